import Foundation

/// The receiver reports' part of the reports: each stream's reported figures beside the bench's
/// own, and what the reports cost.
enum ReceiverReportsSection {
    static func html(_ r: ReceiverReportsReport?) -> String {
        guard let r, !r.streams.isEmpty else { return "" }
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "—" }
        let rows = r.streams.map { s in
            "<tr><td>\(escapeHTML(s.from)) → \(escapeHTML(s.to))</td><td class=\"num\">\(s.reports)</td>"
                + "<td class=\"num\">\(String(format: "%.2f", s.reportedLossPercent))</td><td class=\"num\">\(String(format: "%.2f", s.measuredLossPercent))</td>"
                + "<td class=\"num\">\(ms(s.reportedJitterMs))</td><td class=\"num\">\(ms(s.measuredJitterMs))</td>"
                + "<td class=\"num\">\(ms(s.roundTripMs))</td><td class=\"num\">\(ms(s.networkRoundTripMs))</td>"
                + "<td class=\"num\">\(ms(s.reportedQueueingMs))</td><td class=\"num\">\(ms(s.measuredQueueingMs))</td></tr>"
        }.joined(separator: "\n")
        return """
            <section>
            <h2>Receiver reports</h2>
            <p>\(escapeHTML(summary(r) ?? ""))</p>
            <p>What each listener told the talker (loss and jitter at its last report; the round trip the talker measured from the echoes;
            the mean one-way queueing delay over its reports), beside the bench's own count of the same packets from the simulated network's records.</p>
            <table><thead><tr><th>stream</th><th>reports</th><th>loss % reported</th><th>loss % measured</th>
            <th>jitter ms reported</th><th>jitter ms measured</th><th>round trip ms reported</th><th>round trip ms network</th>
            <th>queueing ms reported</th><th>queueing ms measured</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>

            """
    }

    static func summary(_ r: ReceiverReportsReport?) -> String? {
        guard let r, !r.streams.isEmpty else { return nil }
        let lossGap = r.streams.map { abs($0.reportedLossPercent - $0.measuredLossPercent) }.max() ?? 0
        let jitterGap = r.streams.map { abs($0.reportedJitterMs - $0.measuredJitterMs) }.max() ?? 0
        let queueingGap = r.streams.compactMap { s in s.reportedQueueingMs.flatMap { a in s.measuredQueueingMs.map { abs(a - $0) } } }.max() ?? 0
        var line = String(
            format: "receiver reports: %d sent, %.0f bit/s per pair; reported vs measured: loss within %.2f points, jitter within %.1f ms, queueing within %.1f ms",
            r.reportsSent, r.bitsPerSecondPerPair, lossGap, jitterGap, queueingGap)
        let rtt = r.streams.compactMap { s in s.roundTripMs.flatMap { a in s.networkRoundTripMs.map { (a, $0) } } }
        if !rtt.isEmpty {
            let reported = rtt.map(\.0).reduce(0, +) / Double(rtt.count)
            let network = rtt.map(\.1).reduce(0, +) / Double(rtt.count)
            line += String(format: "; round trip %.1f ms (network %.1f ms)", reported, network)
        }
        return line
    }
}
