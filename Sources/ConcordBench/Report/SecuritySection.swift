import Concord
import Foundation

/// The security layer's part of the reports: an HTML section and a summary line.
enum SecuritySection {
    static func html(_ s: SecurityReport?) -> String {
        guard let s else { return "" }
        let r = s.rejected
        let causes: [(String, Int)] = [
            ("forged", r.forged), ("replayed", r.replayed), ("too old", r.tooOld), ("wrong room", r.wrongRoom),
            ("unknown key", r.unknownKey), ("stale", r.stale), ("throttled", r.throttled), ("malformed", r.malformed),
            ("impersonation", s.impersonations),
        ]
        let rows = causes.map { "<tr><td>\($0.0)</td><td class=\"num\">\($0.1)</td></tr>" }.joined(separator: "\n")
        return """
            <section>
            <h2>Security</h2>
            <p>\(escapeHTML(summary(s) ?? ""))</p>
            <table><thead><tr><th>rejected datagrams</th><th>count</th></tr></thead>
            <tbody>\(rows)</tbody></table>
            </section>

            """
    }

    static func summary(_ s: SecurityReport?) -> String? {
        guard let s else { return nil }
        return String(
            format: "security: %d sealed + %d opened, +%d B/packet, %.2f µs CPU/packet (%.1f %% of codec CPU); %d handshakes, %d rejected, %d impersonations",
            s.packetsSealed, s.packetsOpened, s.overheadBytesPerPacket, s.cpuMicrosecondsPerPacket,
            s.cpuFractionOfCodec * 100, s.handshakesCompleted, s.rejected.dropped, s.impersonations)
            + (s.staleVoiceDrops > 0 ? "; \(s.staleVoiceDrops) voice frames too old when their handshake ended, not sent" : "")
    }
}
