import Foundation

/// What `report.html` shows under each stream besides its latency, buffer and event charts:
/// per-second lanes of concealment and network conditions, the talker's source and what the
/// listener heard as audio players with waveforms, and the getStats counters.
enum StreamDetailSection {
    /// Scenario events as chart markers, and the stream's warm-up as a shaded band.
    static func markers(_ events: [ScenarioEventReport]) -> [SVGChart.Marker] {
        events.map { SVGChart.Marker(x: $0.atSeconds, label: label($0.kind), detail: $0.detail, colour: colour($0.kind)) }
    }

    static func warmUp(_ t: StreamTimeline, end: Double) -> [SVGChart.Band] {
        if let from = t.steadyFromSeconds {
            return from > 0 ? [SVGChart.Band(from: 0, to: from, label: "warm-up")] : []
        }
        return [SVGChart.Band(from: 0, to: end, label: "jitter buffer never settled")]
    }

    static func label(_ kind: ScenarioEventReport.Kind) -> String {
        switch kind {
        case .join: "join"
        case .leave: "leave"
        case .crash: "crash"
        case .partition: "partition"
        case .heal: "heal"
        case .linkChange: "link change"
        }
    }

    static func colour(_ kind: ScenarioEventReport.Kind) -> String {
        switch kind {
        case .join: "#2f7d32"
        case .leave: "#7a5230"
        case .crash: "#c62828"
        case .partition: "#8e24aa"
        case .heal: "#1565c0"
        case .linkChange: "#ef6c00"
        }
    }

    /// Four lanes on the stream's time axis, one value per second.
    static func lanes(
        _ name: String, _ t: StreamTimeline, _ timeAxis: SVGChart.Axis, markers: [SVGChart.Marker], bands: [SVGChart.Band],
        leftMargin: Double
    ) -> [SVGChart] {
        let s = t.seconds
        func points(_ values: [Double?]) -> [SVGChart.Point] {
            values.enumerated().compactMap { k, v in v.map { SVGChart.Point(x: Double(k), y: $0) } }
        }
        func lane(_ title: String, _ values: [Double?], _ axis: SVGChart.Axis, _ colour: String) -> SVGChart {
            SVGChart(
                title: title, x: timeAxis, y: axis,
                series: [SVGChart.Series(name: title, points: points(values), colour: colour, mark: .step, gapFactor: 3)],
                plotHeight: 56, showLegend: false, leftMargin: leftMargin, markers: markers, bands: bands)
        }
        return [
            lane("\(name): concealed share, per second", s.concealment, SVGChart.Axis(label: "", min: 0, includeZero: true, percent: true), "#b07aa1"),
            lane("time-stretch per second (ms; + slower, − faster)", s.stretchMs, SVGChart.Axis(label: "", includeZero: true), "#76b7b2"),
            lane("one-way network delay, per second (ms)", s.oneWayDelayMs, SVGChart.Axis(label: "", includeZero: true), "#4e79a7"),
            lane("network loss, per second", s.loss, SVGChart.Axis(label: "", min: 0, includeZero: true, percent: true), "#e15759"),
            lane("queueing delay above the path's fastest packet, per second (ms)", s.queueMs, SVGChart.Axis(label: "", includeZero: true), "#f28e2b"),
        ]
    }

    /// The source and the listener's track side by side: a player each (the WAVs the run
    /// writes beside the report) over its waveform.
    static func audio(_ s: StreamReport, _ t: StreamTimeline, markers: [SVGChart.Marker]) -> String {
        let source = BenchRun.sourceFile(s.from), track = BenchRun.trackFile(listener: s.to, talker: s.from)
        return """
            <div class="audio">
            <div><p><strong>\(escapeHTML(s.from))</strong> said (source, after capture) · <code>\(escapeHTML(source))</code></p>
            <audio controls preload="none" src="\(escapeHTML(source))"></audio>\(waveform(t.waveform.source, seconds: t.waveform.seconds, colour: "#4e79a7", markers: markers))</div>
            <div><p><strong>\(escapeHTML(s.to))</strong> heard · <code>\(escapeHTML(track))</code></p>
            <audio controls preload="none" src="\(escapeHTML(track))"></audio>\(waveform(t.waveform.track, seconds: t.waveform.seconds, colour: "#59a14f", markers: markers))</div>
            </div>

            """
    }

    /// A min/max envelope as one filled path; event markers as thin lines.
    static func waveform(_ envelope: [(low: Float, high: Float)], seconds: Double, colour: String, markers: [SVGChart.Marker]) -> String {
        let width = 540.0, height = 70.0, mid = height / 2
        var out = "<svg class=\"waveform\" viewBox=\"0 0 \(SVGChart.n(width)) \(SVGChart.n(height))\" width=\"\(SVGChart.n(width))\" height=\"\(SVGChart.n(height))\" role=\"img\" aria-label=\"waveform\">"
        out += "<rect x=\"0\" y=\"0\" width=\"\(SVGChart.n(width))\" height=\"\(SVGChart.n(height))\" fill=\"#f6f8fa\"/>"
        if !envelope.isEmpty {
            let step = width / Double(envelope.count)
            var top = "", bottom = ""
            for (i, column) in envelope.enumerated() {
                let x = SVGChart.n((Double(i) + 0.5) * step)
                top += (i == 0 ? "M" : "L") + "\(x) \(SVGChart.n(mid - Double(max(0, min(1, column.high))) * mid))"
            }
            for (i, column) in envelope.enumerated().reversed() {
                let x = SVGChart.n((Double(i) + 0.5) * step)
                bottom += "L\(x) \(SVGChart.n(mid - Double(max(-1, min(0, column.low))) * mid))"
            }
            out += "<path d=\"\(top)\(bottom)Z\" fill=\"\(colour)\" stroke=\"\(colour)\" stroke-width=\"0.5\"/>"
        }
        if seconds > 0 {
            for m in markers where m.x >= 0 && m.x <= seconds {
                let x = SVGChart.n(m.x / seconds * width)
                out += "<line x1=\"\(x)\" x2=\"\(x)\" y1=\"0\" y2=\"\(SVGChart.n(height))\" stroke=\"\(escapeHTML(m.colour))\" stroke-dasharray=\"3 2\"><title>\(escapeHTML(m.label))</title></line>"
            }
        }
        out += "</svg>"
        return out
    }

    /// The jitter buffer's counters under their W3C getStats names.
    /// The sound card drift the buffer absorbed, and what it did: one sentence under the charts.
    static func clockDrift(_ d: ClockDriftReport) -> String {
        let measured = d.measuredPPM.map { "\(ReportHTML.fmt($0, 1)) ppm measured from the packets" }
            ?? "not measured (arrivals span under \(Int(ClockDriftEstimate.minimumSeconds)) s)"
        return "<p class=\"drift\">Sound card clocks: talker against listener \(ReportHTML.fmt(d.configuredPPM, 1)) ppm configured, "
            + "\(measured); absorbing it asked the buffer to remove \(ReportHTML.fmt(d.expectedCorrectionMs, 1)) ms "
            + "(negative: insert). Over the stream the buffer removed \(ReportHTML.fmt(d.acceleratedMs, 0)) ms and inserted "
            + "\(ReportHTML.fmt(d.deceleratedMs, 0)) ms by time-stretching, for drift and delay changes together.</p>\n"
    }

    static func getStats(_ g: GetStatsReport?) -> String {
        guard let g else { return "" }
        /// W3C sums seconds over samples; the mean per emitted sample is what people read.
        func perSample(_ seconds: Double) -> String {
            g.jitterBufferEmittedCount > 0 ? " (\(ReportHTML.fmt(1000 * seconds / Double(g.jitterBufferEmittedCount), 1)) ms a sample)" : ""
        }
        let rows: [(String, String)] = [
            ("concealedSamples", String(g.concealedSamples)), ("silentConcealedSamples", String(g.silentConcealedSamples)),
            ("concealmentEvents", String(g.concealmentEvents)),
            ("insertedSamplesForDeceleration", String(g.insertedSamplesForDeceleration)),
            ("removedSamplesForAcceleration", String(g.removedSamplesForAcceleration)),
            ("jitterBufferDelay", ReportHTML.fmt(g.jitterBufferDelay, 3) + " s" + perSample(g.jitterBufferDelay)),
            ("jitterBufferTargetDelay", ReportHTML.fmt(g.jitterBufferTargetDelay, 3) + " s" + perSample(g.jitterBufferTargetDelay)),
            ("jitterBufferEmittedCount", String(g.jitterBufferEmittedCount)),
            ("totalSamplesReceived", String(g.totalSamplesReceived)), ("fecPacketsReceived", String(g.fecPacketsReceived)),
            ("packetsDiscarded", String(g.packetsDiscarded)),
        ]
        return "<dl class=\"getstats\">" + rows.map { "<div><dt>\($0.0)</dt><dd>\(escapeHTML($0.1))</dd></div>" }.joined() + "</dl>\n"
    }
}
