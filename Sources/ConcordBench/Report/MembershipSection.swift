import Foundation

/// The room protocol's part of the reports: an HTML section and a summary line.
enum MembershipSection {
    static func html(_ m: MembershipReport?) -> String {
        guard let m else { return "" }
        func ms(_ v: Double?) -> String { v.map { String(format: "%.0f", $0) } ?? "never" }
        var rows = ""
        for c in m.convergence {
            rows += "<tr><td>\(escapeHTML(c.event))</td><td class=\"num\">\(String(format: "%.2f", c.atSeconds))</td>"
                + "<td class=\"num\">\(ms(c.convergedAfterMs))</td></tr>\n"
        }
        var joins = ""
        for j in m.joins {
            joins += "<tr><td>\(escapeHTML(j.participant))</td><td class=\"num\">\(ms(j.joinMs))</td>"
                + "<td class=\"num\">\(String(format: "%.0f", j.controlBytesPerSecond))</td></tr>\n"
        }
        return """
            <section>
            <h2>Room protocol</h2>
            <p>Control traffic per peer: mean \(String(format: "%.0f", m.controlBytesPerSecondMean)) B/s, max \(String(format: "%.0f", m.controlBytesPerSecondMax)) B/s.</p>
            <table><thead><tr><th>event</th><th>at (s)</th><th>views converged after (ms)</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            <table><thead><tr><th>participant</th><th>time to join (ms)</th><th>control (B/s)</th></tr></thead>
            <tbody>\(joins)</tbody></table>
            </section>

            """
    }

    static func summary(_ m: MembershipReport?) -> String? {
        guard let m else { return nil }
        let joins = m.joins.compactMap(\.joinMs)
        let converged = m.convergence.compactMap(\.convergedAfterMs)
        let never = m.convergence.count - converged.count
        return String(
            format: "membership: join %.0f–%.0f ms; views converged within %.0f ms of each of %d events%@; control %.0f B/s per peer",
            joins.min() ?? 0, joins.max() ?? 0, converged.max() ?? 0, m.convergence.count,
            never > 0 ? " (\(never) never)" : "", m.controlBytesPerSecondMean)
    }
}
