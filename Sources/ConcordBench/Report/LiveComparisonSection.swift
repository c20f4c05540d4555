import Foundation

/// A live run's comparison with the virtual-time run: an HTML section and summary lines.
enum LiveComparisonSection {
    static func html(_ c: LiveComparisonReport?) -> String {
        guard let c else { return "" }
        func ms(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "–" }
        func pct(_ v: Double) -> String { String(format: "%.2f %%", v * 100) }
        func mos(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }
        func verdict(_ ok: Bool?) -> String { ok.map { $0 ? "yes" : "<strong>no</strong>" } ?? "–" }
        var rows = ""
        for s in c.streams {
            rows += "<tr><td>\(escapeHTML(s.from)) → \(escapeHTML(s.to))</td>"
                + "<td class=\"num\">\(ms(s.latencyLiveMs))</td><td class=\"num\">\(ms(s.latencyVirtualMs))</td>"
                + "<td class=\"num\">\(ms(s.latencyDifferenceMs))</td><td>\(verdict(s.latencyWithinFrame))</td>"
                + "<td class=\"num\">\(ms(s.stallMs))</td><td>\(verdict(s.latencyWithinAllowance))</td>"
                + "<td class=\"num\">\(ms(s.latencyXcorrLiveMs))</td><td class=\"num\">\(ms(s.latencyXcorrVirtualMs))</td>"
                + "<td class=\"num\">\(pct(s.concealmentLive))</td><td class=\"num\">\(pct(s.concealmentVirtual))</td>"
                + "<td>\(verdict(s.concealmentWithinFactor))</td>"
                + "<td class=\"num\">\(pct(s.lossLive))</td><td class=\"num\">\(pct(s.lossVirtual))</td>"
                + "<td class=\"num\">\(mos(s.mosLive))</td><td class=\"num\">\(mos(s.mosVirtual))</td></tr>\n"
        }
        var events = ""
        for e in c.convergence {
            events += "<tr><td>\(escapeHTML(e.event))</td><td class=\"num\">\(ms(e.liveMs))</td>"
                + "<td class=\"num\">\(ms(e.virtualMs))</td><td>\(verdict(e.withinLimit))</td></tr>\n"
        }
        return """
            <section>
            <h2>Live against virtual time</h2>
            <p>Real <code>concord join</code> processes through the scenario's network as a loopback relay, beside the virtual-time \
            run of the same scenario and seed (its report: <a href="virtual/report.html">virtual/report.html</a>). Latency is the \
            median mouth-to-ear latency from the media timestamps (within one \(String(format: "%.0f", c.frameMs)) ms frame: yes/no) \
            and from the audio; concealment within a factor of \(String(format: "%.1f", LiveComparisonReport.concealmentFactorLimit)). \
            The relay sent datagrams \(ms(c.relaySchedulingErrorP50Ms)) ms late at the median, \(ms(c.relaySchedulingErrorP99Ms)) ms at p99. \
            A stall is the longest delay a stream met outside the simulated network — a tick of its talker's or listener's engine that \
            came late (the machine did not run it), or the relay's latest forward; a jitter buffer deepens after such a spike, so \
            live latency may exceed the virtual run's by up to a frame plus that stall. Engine stalls: \
            \(c.engineStallMs.sorted { $0.key < $1.key }.map { "\(escapeHTML($0.key)) \(ms($0.value)) ms" }.joined(separator: ", ")).</p>
            <table><thead><tr><th>stream</th><th>latency live (ms)</th><th>virtual</th><th>difference</th><th>within a frame</th>\
            <th>longest stall (ms)</th><th>within frame + stall</th>\
            <th>audio live (ms)</th><th>audio virtual</th><th>concealed live</th><th>virtual</th><th>within ×1.5</th>\
            <th>loss live</th><th>virtual</th><th>ViSQOL live</th><th>virtual</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <table><thead><tr><th>event</th><th>views converged live (ms)</th><th>virtual (ms)</th><th>within \(String(format: "%.0f", LiveComparisonReport.convergenceLimitMs)) ms</th></tr></thead>
            <tbody>\(events)</tbody></table>
            </section>

            """
    }

    static func summary(_ c: LiveComparisonReport?) -> [String] {
        guard let c else { return [] }
        var lines = [
            "live vs virtual time: latency within a frame on \(c.latencyWithinFrame) of \(c.latencyCompared) streams "
                + "(within a frame plus the stalls met on \(c.latencyWithinAllowance)); "
                + "concealment within ×1.5 on \(c.streams.filter(\.concealmentWithinFactor).count) of \(c.streams.count)"
        ]
        for s in c.streams {
            let difference = s.latencyDifferenceMs.map { String(format: "%+.1f ms", $0) } ?? "–"
            lines.append(
                "  \(s.from) -> \(s.to): latency \(s.latencyLiveMs.map { String(format: "%.1f", $0) } ?? "–") vs "
                    + "\(s.latencyVirtualMs.map { String(format: "%.1f", $0) } ?? "–") ms (\(difference)"
                    + (s.stallMs > 1 ? String(format: "; a %.0f ms stall", s.stallMs) : "") + "), concealed "
                    + String(format: "%.2f%% vs %.2f%%", s.concealmentLive * 100, s.concealmentVirtual * 100))
        }
        let compared = c.convergence.filter { $0.withinLimit != nil }
        if !compared.isEmpty {
            lines.append(
                "  membership: views converged within 250 ms of the virtual run's after \(compared.filter { $0.withinLimit == true }.count) "
                    + "of \(compared.count) events")
        }
        return lines
    }
}
