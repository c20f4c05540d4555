import Foundation

/// Adaptive loss protection in the reports: each talker's changes, the time at each setting, and
/// how long the protection took to settle after each change of its paths. The changes are also
/// markers on the talker's stream timelines.
enum ProtectionSection {
    static func html(_ r: ProtectionReport?) -> String {
        guard let r, !r.talkers.isEmpty else { return "" }
        func s(_ v: Double) -> String { String(format: "%.1f", v) }
        var body = ""
        for t in r.talkers {
            let shares = t.secondsAt.sorted { $0.value > $1.value }.map { "\(escapeHTML($0.key)) \(s($0.value)) s" }
            body += "<h3>\(escapeHTML(t.name))</h3>\n<p>\(shares.joined(separator: " · "))</p>\n"
            if !t.settling.isEmpty {
                let rows = t.settling.map { p in
                    "<tr><td class=\"num\">\(s(p.pathChangeAtSeconds))</td><td>\(escapeHTML(p.links))</td>"
                        + "<td>\(escapeHTML(p.before)) → \(escapeHTML(p.after))</td><td class=\"num\">\(p.changes)</td>"
                        + "<td class=\"num\">\(p.settleSeconds.map(s) ?? "—")</td></tr>"
                }.joined(separator: "\n")
                body += """
                    <table><thead><tr><th>path change (s)</th><th>links</th><th>protection</th><th>changes</th><th>settled after (s)</th></tr></thead>
                    <tbody>\(rows)</tbody></table>

                    """
            }
            if !t.changes.isEmpty {
                let rows = t.changes.map { c in
                    "<tr><td class=\"num\">\(s(c.atSeconds))</td><td>\(escapeHTML(c.from)) → \(escapeHTML(c.to))</td></tr>"
                }.joined(separator: "\n")
                body += "<details><summary>\(t.changes.count) changes</summary><table><thead><tr><th>time (s)</th><th>change</th></tr></thead><tbody>\(rows)</tbody></table></details>\n"
            }
        }
        return """
            <section>
            <h2>Loss protection</h2>
            <p>\(escapeHTML(summary(r) ?? ""))</p>
            <p>Each talker chose in-band FEC or copies of earlier frames (at \(r.copyBitrate / 1000) kbit/s) from its listeners' receiver reports;
            the worst current listener decides.</p>
            \(body)</section>

            """
    }

    static func summary(_ r: ProtectionReport?) -> String? {
        guard let r, !r.talkers.isEmpty else { return nil }
        let changes = r.talkers.reduce(0) { $0 + $1.changes.count }
        var line = "loss protection (adaptive, copies at \(r.copyBitrate / 1000) kbit/s): \(changes) changes"
        let settle = r.talkers.flatMap(\.settling).compactMap(\.settleSeconds)
        if let worst = settle.max() { line += String(format: "; settled within %.1f s of each path change", worst) }
        return line
    }

    /// The changes of `talker` as timeline markers.
    static func markers(_ r: ProtectionReport?, talker: String) -> [SVGChart.Marker] {
        guard let t = r?.talkers.first(where: { $0.name == talker }) else { return [] }
        return t.changes.map { SVGChart.Marker(x: $0.atSeconds, label: $0.to, detail: "protection \($0.from) → \($0.to)", colour: "#00897b") }
    }
}
