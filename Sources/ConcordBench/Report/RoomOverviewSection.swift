import Foundation

/// The top of `report.html`: talker × listener heatmaps of speech quality (ViSQOL), concealment
/// and p95 latency, so a room's weak pairs show before any table is read.
enum RoomOverviewSection {
    static func html(_ r: BenchReport) -> String {
        guard !r.streams.isEmpty else { return "" }
        func cells(_ value: (StreamReport) -> Double?, absent: (StreamReport) -> String) -> [Heatmap.Cell] {
            r.streams.enumerated().map { index, s in
                Heatmap.Cell(talker: s.from, listener: s.to, value: value(s), absentReason: absent(s), link: "stream-\(index)")
            }
        }
        let quality = Heatmap(
            title: "Speech quality (ViSQOL MOS-LQO)",
            cells: cells({ $0.quality?.visqolMos }, absent: { $0.quality?.visqolNotScored ?? "not scored" }),
            badness: { (4.5 - $0) / 3.0 }, format: { ReportHTML.fmt($0, 2) },
            scaleNote: "green ≥ 4.5, red ≤ 1.5")
        let concealment = Heatmap(
            title: "Concealment",
            cells: cells({ $0.concealmentRatio }, absent: { _ in "" }),
            // Logarithmic: 0.1 % is already audible now and then, 10 % is broken speech.
            badness: { $0 <= 0.001 ? 0 : min(1, log10($0 / 0.001) / 2) }, format: { ReportHTML.pct($0) },
            scaleNote: "green ≤ 0.1 %, red ≥ 10 %")
        // Steady state where the buffer settled (the whole run's p95 mostly measures its warm-up),
        // the whole run's where it never did, so that such a stream is not hidden.
        var latencyCells = cells({ $0.steadyState?.latencyMs?.p95 ?? $0.latencyMs?.p95 }, absent: { _ in "dead stream: nothing played" })
        for (index, s) in r.streams.enumerated() where s.steadyState?.latencyMs == nil && s.latencyMs != nil {
            latencyCells[index].note = " (whole run: the jitter buffer never settled)"
        }
        let latency = Heatmap(
            title: "p95 latency, steady state (ms)",
            cells: latencyCells,
            // ITU-T G.114: up to 150 ms one way is fine for most, beyond 400 ms unacceptable.
            badness: { min(1, max(0, ($0 - 100) / 300)) }, format: { ReportHTML.fmt($0, 0) },
            scaleNote: "green ≤ 100 ms, red ≥ 400 ms")
        let scored = r.room.visqolScoredStreams ?? 0
        let note = scored == r.streams.count
            ? ""
            : " ViSQOL scored \(scored) of \(r.streams.count) streams; a grey cell says why in its tooltip."
        return """
            <section class="overview">
            <h2>The room at a glance</h2>
            <div class="heatmaps">\(quality.render())\(concealment.render())\(latency.render())</div>
            <p class="legend-line">Each cell is one stream (talker → listener); hover for its value, click for its timelines.\(escapeHTML(note))</p>
            </section>

            """
    }
}
