import Foundation

/// A small self-contained SVG chart (lines, steps, points with optional error bars, event
/// ticks) for the HTML reports.
///
/// The reports must open offline and without any JavaScript library, so the charts are drawn
/// here as plain SVG text: axes with "nice" ticks (1/2/5 × 10ⁿ), labels with units, a legend,
/// several series, automatic ranges, numeric or categorical axes. Long series are thinned to
/// about two points per horizontal pixel (keeping each column's minimum and maximum, so spikes
/// survive) to keep an hour-long run's report small. Non-finite points are dropped, so the
/// output never contains `NaN`. All text is escaped.
public struct SVGChart: Sendable {
    /// How a series is drawn.
    public enum Mark: Sendable, Equatable {
        /// Straight segments between points; broken where the data has a gap (see `Series.gapFactor`).
        case line
        /// Horizontal-then-vertical segments: a value that holds until the next point (targets, CDFs).
        case step
        /// A dot per point, with a whisker where `low`/`high` are given.
        case points
        /// A short vertical tick per point, centred on its y value: event timelines.
        case ticks
    }

    public struct Point: Sendable, Equatable {
        public var x: Double
        public var y: Double
        /// Optional whisker (e.g. min and max across seeds), drawn for `.points`.
        public var low: Double?
        public var high: Double?
        public init(x: Double, y: Double, low: Double? = nil, high: Double? = nil) {
            self.x = x
            self.y = y
            self.low = low
            self.high = high
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        /// CSS colour; nil picks the next one of `SVGChart.palette`.
        public var colour: String?
        public var mark: Mark
        public var dashed: Bool
        /// For `.line`/`.step`: a step longer than `gapFactor` × the median step breaks the line, so
        /// silences (no frames played) are not drawn as if they were data.
        public var gapFactor: Double
        /// Whether the legend lists it (its name is its tooltip either way).
        public var inLegend: Bool
        public init(name: String, points: [Point], colour: String? = nil, mark: Mark = .line, dashed: Bool = false, gapFactor: Double = 8, inLegend: Bool = true) {
            self.inLegend = inLegend
            self.name = name
            self.points = points
            self.colour = colour
            self.mark = mark
            self.dashed = dashed
            self.gapFactor = gapFactor
        }
    }

    public struct Axis: Sendable {
        /// The axis title, with its unit, e.g. "latency (ms)".
        public var label: String
        /// Fixed ends; nil means "fit the data" (rounded out to nice ticks).
        public var min: Double?
        public var max: Double?
        /// Whether an automatic range must reach 0 (honest bar-like magnitudes such as delays).
        public var includeZero: Bool
        /// Show values as percentages (0.05 → "5%").
        public var percent: Bool
        /// A categorical axis: value `i` is drawn at category `i`'s slot, labelled by it.
        public var categories: [String]?
        public init(label: String, min: Double? = nil, max: Double? = nil, includeZero: Bool = false, percent: Bool = false, categories: [String]? = nil) {
            self.label = label
            self.min = min
            self.max = max
            self.includeZero = includeZero
            self.percent = percent
            self.categories = categories
        }
    }

    /// A vertical line at `x` across the plot (a scenario event), labelled when there is room;
    /// the full text is its tooltip.
    public struct Marker: Sendable, Equatable {
        public var x: Double
        public var label: String
        public var detail: String
        public var colour: String
        public init(x: Double, label: String, detail: String = "", colour: String = "#57606a") {
            self.x = x
            self.label = label
            self.detail = detail
            self.colour = colour
        }
    }

    /// A shaded span of x (e.g. the jitter buffer's warm-up), behind the data.
    public struct Band: Sendable, Equatable {
        public var from: Double
        public var to: Double
        public var label: String
        public init(from: Double, to: Double, label: String) {
            self.from = from
            self.to = to
            self.label = label
        }
    }

    /// Tableau 10: distinguishable, prints well, reasonably colour-blind-safe.
    public static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac"]

    public var title: String
    public var x: Axis
    public var y: Axis
    public var series: [Series]
    /// Overall width and plot-area height, in SVG user units (the SVG scales to its container).
    public var width: Double
    public var plotHeight: Double
    /// Whether to draw the legend (automatically on when there are several series).
    public var showLegend: Bool?
    /// Text shown in an empty chart.
    public var emptyMessage: String
    /// A fixed left margin (room for the y tick labels), so charts stacked on a shared x axis
    /// line up; nil fits the margin to the labels.
    public var leftMargin: Double?
    /// Pixels kept free at each end of the x axis, so points at the ends of a numeric domain
    /// (a sweep's first and last value) are not cut in half by the frame.
    public var xInset: Double
    public var markers: [Marker]
    public var bands: [Band]

    public init(title: String, x: Axis, y: Axis, series: [Series], width: Double = 1100, plotHeight: Double = 220, showLegend: Bool? = nil, emptyMessage: String = "no data", leftMargin: Double? = nil, xInset: Double = 0, markers: [Marker] = [], bands: [Band] = []) {
        self.markers = markers
        self.bands = bands
        self.leftMargin = leftMargin
        self.xInset = xInset
        self.title = title
        self.x = x
        self.y = y
        self.series = series
        self.width = width
        self.plotHeight = plotHeight
        self.showLegend = showLegend
        self.emptyMessage = emptyMessage
    }

    // MARK: - Rendering

    private static let fontSize = 12.0
    /// Average glyph advance of the sans-serif UI font at 12 px; used to lay out labels and legends.
    private static let charWidth = 6.8

    /// The chart as an `<svg>` element. `standalone` adds the XML namespace needed by a `.svg`
    /// file; inline SVG in HTML5 needs none (and the HTML report must contain no URLs at all).
    public func render(standalone: Bool = false) -> String {
        let clean = series.map { s -> Series in
            var s = s
            s.points = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            return s
        }
        let allPoints = clean.flatMap(\.points)
        let isEmpty = allPoints.isEmpty

        let xScale = Self.scale(axis: x, values: allPoints.map(\.x), targetTicks: Swift.max(2, Int(width / 110)))
        let yValues = allPoints.flatMap { p in [p.y] + [p.low, p.high].compactMap { $0 }.filter(\.isFinite) }
        let yScale = Self.scale(axis: y, values: yValues, targetTicks: Swift.max(3, Int(plotHeight / 45)))

        // Margins from the text they must hold.
        let yLabels = yScale.ticks.map { yScale.label(for: $0) }
        let yLabelWidth = Double(yLabels.map(\.count).max() ?? 1) * Self.charWidth
        let left = leftMargin ?? (yLabelWidth + 34).rounded()
        let right = 18.0
        let top = title.isEmpty ? 12.0 : 32.0
        let xLabels = xScale.ticks.map { xScale.label(for: $0) }
        let slot = (width - left - right) / Double(Swift.max(1, xScale.ticks.count))
        let rotateX = x.categories != nil && (xLabels.map { Double($0.count) * Self.charWidth }.max() ?? 0) > slot * 0.9
        let xLabelDepth = rotateX ? Double(xLabels.map(\.count).max() ?? 0) * Self.charWidth * 0.6 + 12 : 18
        let plotLeft = left, plotRight = width - right, plotTop = top, plotBottom = top + plotHeight
        let axisTitleY = plotBottom + xLabelDepth + 20

        let legendItems = clean.enumerated().filter { !$0.element.name.isEmpty && $0.element.inLegend }.map { ($0.offset, $0.element) }
        let drawLegend = (showLegend ?? (clean.count > 1)) && !legendItems.isEmpty
        var legendLayout: [(x: Double, y: Double, index: Int)] = []
        var legendBottom = axisTitleY
        if drawLegend {
            var cx = plotLeft, cy = axisTitleY + 22
            for (offset, (_, item)) in legendItems.enumerated() {
                let itemWidth = 26 + Double(item.name.count) * Self.charWidth + 18
                if cx + itemWidth > plotRight, cx > plotLeft {
                    cx = plotLeft
                    cy += 18
                }
                legendLayout.append((cx, cy, offset))
                cx += itemWidth
            }
            legendBottom = cy
        }
        let height = (legendBottom + 12).rounded()

        let inset = Swift.min(xInset, (plotRight - plotLeft) / 4)
        func px(_ v: Double) -> Double {
            plotLeft + inset + (v - xScale.low) / (xScale.high - xScale.low) * (plotRight - plotLeft - 2 * inset)
        }
        func py(_ v: Double) -> Double { plotBottom - (v - yScale.low) / (yScale.high - yScale.low) * (plotBottom - plotTop) }

        var out = ""
        out.reserveCapacity(4096 + allPoints.count * 12)
        let ns = standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : ""
        out += "<svg\(ns) class=\"chart\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" role=\"img\" aria-label=\"\(escapeHTML(title))\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"\(Self.n(Self.fontSize))\">\n"
        out += "<title>\(escapeHTML(title))</title>\n"
        out += "<rect x=\"0\" y=\"0\" width=\"\(Self.n(width))\" height=\"\(Self.n(height))\" fill=\"#ffffff\"/>\n"
        if !title.isEmpty {
            out += "<text x=\"\(Self.n(plotLeft))\" y=\"20\" font-size=\"14\" font-weight=\"600\" fill=\"#1f2328\">\(escapeHTML(title))</text>\n"
        }

        // Grid and tick labels.
        out += "<g class=\"grid\" stroke=\"#e6e8eb\" stroke-width=\"1\">\n"
        for t in yScale.ticks { out += "<line x1=\"\(Self.n(plotLeft))\" x2=\"\(Self.n(plotRight))\" y1=\"\(Self.n(py(t)))\" y2=\"\(Self.n(py(t)))\"/>\n" }
        for t in xScale.ticks { out += "<line x1=\"\(Self.n(px(t)))\" x2=\"\(Self.n(px(t)))\" y1=\"\(Self.n(plotTop))\" y2=\"\(Self.n(plotBottom))\"/>\n" }
        out += "</g>\n"
        out += "<rect x=\"\(Self.n(plotLeft))\" y=\"\(Self.n(plotTop))\" width=\"\(Self.n(plotRight - plotLeft))\" height=\"\(Self.n(plotHeight))\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"1\"/>\n"
        out += "<g class=\"ticks\" fill=\"#57606a\">\n"
        for (t, label) in zip(yScale.ticks, yLabels) {
            out += "<text x=\"\(Self.n(plotLeft - 6))\" y=\"\(Self.n(py(t) + 4))\" text-anchor=\"end\">\(escapeHTML(label))</text>\n"
        }
        for (t, label) in zip(xScale.ticks, xLabels) {
            if rotateX {
                out += "<text transform=\"translate(\(Self.n(px(t))),\(Self.n(plotBottom + 14))) rotate(-35)\" text-anchor=\"end\">\(escapeHTML(label))</text>\n"
            } else {
                out += "<text x=\"\(Self.n(px(t)))\" y=\"\(Self.n(plotBottom + 16))\" text-anchor=\"middle\">\(escapeHTML(label))</text>\n"
            }
        }
        out += "</g>\n"
        out += "<text x=\"\(Self.n((plotLeft + plotRight) / 2))\" y=\"\(Self.n(axisTitleY))\" text-anchor=\"middle\" fill=\"#1f2328\">\(escapeHTML(x.label))</text>\n"
        let midY = (plotTop + plotBottom) / 2
        let yTitleX = Swift.max(14, plotLeft - yLabelWidth - 20)
        out += "<text transform=\"translate(\(Self.n(yTitleX)),\(Self.n(midY))) rotate(-90)\" text-anchor=\"middle\" fill=\"#1f2328\">\(escapeHTML(y.label))</text>\n"

        for band in bands where band.to > band.from {
            let x0 = Swift.max(plotLeft, Swift.min(plotRight, px(band.from))), x1 = Swift.max(plotLeft, Swift.min(plotRight, px(band.to)))
            guard x1 > x0 else { continue }
            out += "<rect class=\"band\" x=\"\(Self.n(x0))\" y=\"\(Self.n(plotTop))\" width=\"\(Self.n(x1 - x0))\" height=\"\(Self.n(plotHeight))\" fill=\"#eaeef2\" fill-opacity=\"0.8\"><title>\(escapeHTML(band.label))</title></rect>\n"
            if x1 - x0 > Double(band.label.count) * Self.charWidth * 0.85 + 8 {
                out += "<text x=\"\(Self.n(x0 + 4))\" y=\"\(Self.n(plotBottom - 4))\" font-size=\"10\" fill=\"#57606a\">\(escapeHTML(band.label))</text>\n"
            }
        }

        // Data, clipped to the plot area.
        // Same id ⇒ same geometry, so two charts sharing an id in one page still clip correctly.
        let clipID = "clip" + String(Self.hash("\(plotLeft) \(plotTop) \(plotRight) \(plotHeight)"), radix: 36)
        out += "<clipPath id=\"\(clipID)\"><rect x=\"\(Self.n(plotLeft))\" y=\"\(Self.n(plotTop - 4))\" width=\"\(Self.n(plotRight - plotLeft))\" height=\"\(Self.n(plotHeight + 8))\"/></clipPath>\n"
        out += "<g clip-path=\"url(#\(clipID))\">\n"
        let maxPoints = Swift.max(16, Int((plotRight - plotLeft) * 2))
        let tickHalf = y.categories != nil ? 0.32 * plotHeight / Double(Swift.max(1, y.categories!.count)) : 5
        for (index, s) in clean.enumerated() where !s.points.isEmpty {
            let colour = escapeHTML(s.colour ?? Self.palette[index % Self.palette.count])
            let dash = s.dashed ? " stroke-dasharray=\"6 4\"" : ""
            switch s.mark {
            case .line, .step:
                var d = ""
                for segment in Self.segments(s.points, gapFactor: s.gapFactor) {
                    let thinned = Self.thin(segment, maxPoints: maxPoints, low: xScale.low, high: xScale.high)
                    for (i, p) in thinned.enumerated() {
                        if i == 0 {
                            d += "M\(Self.n(px(p.x))) \(Self.n(py(p.y)))"
                        } else if s.mark == .step {
                            d += "H\(Self.n(px(p.x)))V\(Self.n(py(p.y)))"
                        } else {
                            d += "L\(Self.n(px(p.x))) \(Self.n(py(p.y)))"
                        }
                    }
                    if thinned.count == 1 {  // a lone point would be invisible as a path
                        out += "<circle cx=\"\(Self.n(px(thinned[0].x)))\" cy=\"\(Self.n(py(thinned[0].y)))\" r=\"2\" fill=\"\(colour)\"/>\n"
                    }
                }
                out += "<path class=\"series\" d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.5\" stroke-linejoin=\"round\"\(dash)><title>\(escapeHTML(s.name))</title></path>\n"
            case .points:
                out += "<g fill=\"\(colour)\" stroke=\"\(colour)\"><title>\(escapeHTML(s.name))</title>\n"
                var seen = Set<Int64>()
                for p in s.points {
                    let cx = px(p.x), cy = py(p.y)
                    if let low = p.low, let high = p.high, low.isFinite, high.isFinite {
                        let y0 = py(low), y1 = py(high)
                        out += "<path d=\"M\(Self.n(cx)) \(Self.n(y0))V\(Self.n(y1))M\(Self.n(cx - 4)) \(Self.n(y0))h8M\(Self.n(cx - 4)) \(Self.n(y1))h8\" fill=\"none\" stroke-width=\"1.2\"/>\n"
                    }
                    // One dot per pixel is enough: overdraw only costs bytes.
                    guard seen.insert(Int64(cx.rounded()) << 32 | Int64(cy.rounded())).inserted else { continue }
                    out += "<circle cx=\"\(Self.n(cx))\" cy=\"\(Self.n(cy))\" r=\"2.6\" stroke=\"none\"/>\n"
                }
                out += "</g>\n"
            case .ticks:
                var d = ""
                var seen = Set<Int64>()
                for p in s.points {
                    let cx = (px(p.x) * 2).rounded() / 2, cy = py(p.y)
                    guard seen.insert(Int64(cx * 2) << 32 | Int64(cy.rounded())).inserted else { continue }
                    d += "M\(Self.n(cx)) \(Self.n(cy - tickHalf))v\(Self.n(2 * tickHalf))"
                }
                out += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.2\"><title>\(escapeHTML(s.name))</title></path>\n"
            }
        }
        out += "</g>\n"
        if isEmpty {
            out += "<text x=\"\(Self.n((plotLeft + plotRight) / 2))\" y=\"\(Self.n(midY + 5))\" text-anchor=\"middle\" fill=\"#8c959f\" font-size=\"14\">\(escapeHTML(emptyMessage))</text>\n"
        }
        var lastLabelEnd = -Double.infinity
        for marker in markers.sorted(by: { $0.x < $1.x }) where marker.x.isFinite {
            let mx = px(marker.x)
            guard mx >= plotLeft - 0.5, mx <= plotRight + 0.5 else { continue }
            let colour = escapeHTML(marker.colour)
            let tip = escapeHTML(marker.detail.isEmpty ? marker.label : "\(marker.label): \(marker.detail)")
            out += "<g class=\"marker\"><title>\(tip) at \(escapeHTML(Self.n(marker.x))) s</title>"
            out += "<line x1=\"\(Self.n(mx))\" x2=\"\(Self.n(mx))\" y1=\"\(Self.n(plotTop))\" y2=\"\(Self.n(plotBottom))\" stroke=\"\(colour)\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>"
            let labelWidth = Double(marker.label.count) * Self.charWidth * 0.85
            if mx + 3 > lastLabelEnd, mx + 3 + labelWidth <= plotRight {
                out += "<text x=\"\(Self.n(mx + 3))\" y=\"\(Self.n(plotTop + 11))\" font-size=\"10\" fill=\"\(colour)\">\(escapeHTML(marker.label))</text>"
                lastLabelEnd = mx + 3 + labelWidth + 4
            }
            out += "</g>\n"
        }

        if drawLegend {
            out += "<g class=\"legend\" fill=\"#1f2328\">\n"
            for (lx, ly, offset) in legendLayout {
                let (index, s) = legendItems[offset]
                let colour = escapeHTML(s.colour ?? Self.palette[index % Self.palette.count])
                switch s.mark {
                case .points:
                    out += "<circle cx=\"\(Self.n(lx + 10))\" cy=\"\(Self.n(ly - 4))\" r=\"3\" fill=\"\(colour)\"/>\n"
                case .ticks:
                    out += "<path d=\"M\(Self.n(lx + 10)) \(Self.n(ly - 10))v12\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n"
                case .line, .step:
                    let dash = s.dashed ? " stroke-dasharray=\"5 3\"" : ""
                    out += "<path d=\"M\(Self.n(lx)) \(Self.n(ly - 4))h20\" stroke=\"\(colour)\" stroke-width=\"2.5\"\(dash)/>\n"
                }
                out += "<text x=\"\(Self.n(lx + 26))\" y=\"\(Self.n(ly))\">\(escapeHTML(s.name))</text>\n"
            }
            out += "</g>\n"
        }
        out += "</svg>"
        return out
    }

    // MARK: - Scales

    /// A linear mapping's domain and its tick positions and labels.
    struct Scale {
        var low: Double
        var high: Double
        var ticks: [Double]
        var decimals: Int
        var percent: Bool
        var categories: [String]?

        func label(for value: Double) -> String {
            if let categories {
                let i = Int(value.rounded())
                return categories.indices.contains(i) ? categories[i] : ""
            }
            let shown = percent ? value * 100 : value
            var text = String(format: "%.\(decimals)f", shown)
            if text.hasPrefix("-"), Double(text) == 0 { text.removeFirst() }  // no "-0"
            return percent ? text + "%" : text
        }
    }

    /// Fits a scale to `values` (or to the axis's fixed ends), rounding outwards to nice ticks.
    static func scale(axis: Axis, values: [Double], targetTicks: Int) -> Scale {
        if let categories = axis.categories {
            let n = Swift.max(1, categories.count)
            return Scale(low: -0.5, high: Double(n) - 0.5, ticks: categories.indices.map(Double.init), decimals: 0, percent: false, categories: categories)
        }
        var low = axis.min ?? values.min() ?? 0
        var high = axis.max ?? values.max() ?? 1
        if axis.includeZero {
            if axis.min == nil { low = Swift.min(low, 0) }
            if axis.max == nil { high = Swift.max(high, 0) }
        }
        if !(high > low) {  // one value, or none: open a sensible window around it
            let pad = low == 0 ? 1 : abs(low) * 0.1
            if axis.min == nil { low -= axis.includeZero && low >= 0 ? 0 : pad }
            if axis.max == nil || !(axis.max! > low) { high = low + (low == 0 ? 1 : 2 * pad) }
            if !(high > low) { high = low + 1 }
        }
        let step = niceNumber((high - low) / Double(Swift.max(1, targetTicks - 1)), round: true)
        if axis.min == nil { low = (low / step).rounded(.down) * step }
        if axis.max == nil { high = (high / step).rounded(.up) * step }
        var ticks: [Double] = []
        var t = (low / step).rounded(.up) * step
        while t <= high + step * 1e-9, ticks.count < 50 {
            ticks.append(abs(t) < step * 1e-9 ? 0 : t)
            t += step
        }
        let shownStep = axis.percent ? step * 100 : step
        let decimals = Swift.min(6, Swift.max(0, -Int((log10(shownStep) + 1e-9).rounded(.down))))
        return Scale(low: low, high: high, ticks: ticks, decimals: decimals, percent: axis.percent, categories: nil)
    }

    /// Heckbert's "nice numbers": the closest of 1, 2, 5 × 10ⁿ.
    static func niceNumber(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = log10(value).rounded(.down)
        let fraction = value / pow(10, exponent)
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * pow(10, exponent)
    }

    // MARK: - Series preparation

    /// Splits a line at gaps much longer than its typical step (silences, partitions).
    static func segments(_ points: [Point], gapFactor: Double) -> [[Point]] {
        let sorted = points.sorted { $0.x < $1.x }
        guard sorted.count > 2 else { return sorted.isEmpty ? [] : [sorted] }
        let steps = zip(sorted, sorted.dropFirst()).map { $1.x - $0.x }.filter { $0 > 0 }.sorted()
        guard !steps.isEmpty, gapFactor > 0 else { return [sorted] }
        let limit = steps[steps.count / 2] * gapFactor
        var result: [[Point]] = [[sorted[0]]]
        for (previous, point) in zip(sorted, sorted.dropFirst()) {
            if point.x - previous.x > limit { result.append([]) }
            result[result.count - 1].append(point)
        }
        return result
    }

    /// Keeps at most ~`maxPoints`: per column, the first, lowest, highest and last point in x
    /// order, so peaks stay visible however long the run.
    static func thin(_ points: [Point], maxPoints: Int, low: Double, high: Double) -> [Point] {
        guard points.count > maxPoints, high > low else { return points }
        let columns = Swift.max(1, maxPoints / 4)
        var result: [Point] = []
        var start = 0
        func column(_ p: Point) -> Int { Int(((p.x - low) / (high - low) * Double(columns)).rounded(.down)) }
        while start < points.count {
            var end = start
            let c = column(points[start])
            while end + 1 < points.count, column(points[end + 1]) == c { end += 1 }
            let bucket = points[start...end]
            if bucket.count <= 4 {
                result.append(contentsOf: bucket)
            } else {
                let lowIndex = bucket.indices.min { points[$0].y < points[$1].y }!
                let highIndex = bucket.indices.max { points[$0].y < points[$1].y }!
                for i in Set([start, lowIndex, highIndex, end]).sorted() { result.append(points[i]) }
            }
            start = end + 1
        }
        return result
    }

    /// Coordinates with one decimal: sub-pixel precision, a third of the bytes of full precision.
    static func n(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        if rounded == rounded.rounded() { return String(Int(rounded)) }
        return String(format: "%.1f", rounded)
    }

    /// A stable (run-to-run) string hash for element ids; `Hasher` is seeded per process.
    static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x100_0000_01b3
        }
        return h
    }
}
