import Foundation

/// A talker × listener grid of one per-stream figure, as an inline SVG: a room at a glance.
/// Rows are talkers, columns listeners, each in the report's order; a cell is a stream,
/// coloured from good (green) through fair (yellow) to bad (red), with the value written in it
/// when the cell is big enough and always in its tooltip. A pair with no stream (the talker
/// never spoke while the listener was there, or a listener's own row) stays blank.
struct Heatmap {
    struct Cell {
        var talker: String
        var listener: String
        /// nil: the stream exists but this figure is absent (e.g. not scored); the cell says why.
        var value: Double?
        var absentReason: String
        /// Anchor of the stream's section.
        var link: String
        /// Said after the value in the tooltip.
        var note = ""
    }

    var title: String
    var cells: [Cell]
    /// 0 (good) … 1 (bad) for a value.
    var badness: (Double) -> Double
    var format: (Double) -> String
    /// Left to right: what the colours mean.
    var scaleNote: String

    static let cellClass = "cell"

    func render() -> String {
        // One order for rows and columns (each name where it first appears), so that the
        // blank own-stream cells run down the diagonal.
        var people: [String] = []
        for c in cells {
            for name in [c.talker, c.listener] where !people.contains(name) { people.append(name) }
        }
        let talkers = people.filter { p in cells.contains { $0.talker == p } }
        let listeners = people.filter { p in cells.contains { $0.listener == p } }
        let size = Double(max(6, min(44, 380 / max(1, listeners.count))))
        let labelChars = Double(talkers.map(\.count).max() ?? 1)
        let left = (labelChars * 6.8 + 10).rounded()
        let columnLabels = size >= 12
        let top = 26.0 + (columnLabels ? Double(listeners.map(\.count).max() ?? 1) * 5.2 + 10 : 8)
        let note = "rows: talker · columns: listener · \(scaleNote)"
        // Wide enough for the title (13 px bold) and the note under the grid, not only the cells.
        let width = max(left + size * Double(listeners.count) + 10, Double(title.count) * 7.8, Double(note.count) * 6.1)
        let height = top + size * Double(talkers.count) + 24
        let showValues = size >= 34
        var out = "<svg class=\"heatmap\" viewBox=\"0 0 \(SVGChart.n(width)) \(SVGChart.n(height))\" width=\"\(SVGChart.n(width))\" height=\"\(SVGChart.n(height))\" role=\"img\" aria-label=\"\(escapeHTML(title))\" font-family=\"system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif\" font-size=\"11\">\n"
        out += "<title>\(escapeHTML(title))</title>\n"
        out += "<text x=\"0\" y=\"15\" font-size=\"13\" font-weight=\"600\" fill=\"#1f2328\">\(escapeHTML(title))</text>\n"
        for (r, talker) in talkers.enumerated() {
            let y = top + size * Double(r) + size / 2 + 4
            if size >= 9 {
                out += "<text x=\"\(SVGChart.n(left - 5))\" y=\"\(SVGChart.n(y))\" text-anchor=\"end\" fill=\"#57606a\">\(escapeHTML(talker))</text>\n"
            }
        }
        if columnLabels {
            for (c, listener) in listeners.enumerated() {
                let x = left + size * Double(c) + size / 2 + 3
                out += "<text transform=\"translate(\(SVGChart.n(x)),\(SVGChart.n(top - 4))) rotate(-60)\" fill=\"#57606a\">\(escapeHTML(listener))</text>\n"
            }
        }
        for cell in cells {
            guard let r = talkers.firstIndex(of: cell.talker), let c = listeners.firstIndex(of: cell.listener) else { continue }
            let x = left + size * Double(c), y = top + size * Double(r)
            let shown = cell.value.map(format) ?? "–"
            let tip = "\(cell.talker) → \(cell.listener): " + (cell.value == nil ? cell.absentReason : shown + cell.note)
            let fill = cell.value.map { Self.colour(badness($0)) } ?? "#d0d7de"
            out += "<a href=\"#\(escapeHTML(cell.link))\"><rect class=\"\(Self.cellClass)\" x=\"\(SVGChart.n(x + 0.5))\" y=\"\(SVGChart.n(y + 0.5))\" width=\"\(SVGChart.n(size - 1))\" height=\"\(SVGChart.n(size - 1))\" fill=\"\(fill)\"><title>\(escapeHTML(tip))</title></rect>"
            if showValues {
                out += "<text x=\"\(SVGChart.n(x + size / 2))\" y=\"\(SVGChart.n(y + size / 2 + 4))\" text-anchor=\"middle\" fill=\"#1f2328\" pointer-events=\"none\">\(escapeHTML(shown))</text>"
            }
            out += "</a>\n"
        }
        out += "<text x=\"0\" y=\"\(SVGChart.n(height - 6))\" fill=\"#57606a\">\(escapeHTML(note))</text>\n"
        out += "</svg>"
        return out
    }

    /// Green → yellow → red, perceptually ordered and readable with most colour-vision deficits
    /// (ColorBrewer RdYlGn ends, with a light middle).
    static func colour(_ badness: Double) -> String {
        let stops: [(Double, Double, Double)] = [(26, 152, 80), (145, 207, 96), (254, 224, 139), (252, 141, 89), (215, 48, 39)]
        let t = min(1, max(0, badness.isFinite ? badness : 1)) * Double(stops.count - 1)
        let i = min(stops.count - 2, Int(t.rounded(.down)))
        let f = t - Double(i)
        let a = stops[i], b = stops[i + 1]
        func mix(_ x: Double, _ y: Double) -> Int { Int((x + (y - x) * f).rounded()) }
        return String(format: "#%02x%02x%02x", mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
    }
}
