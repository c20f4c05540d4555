import Foundation

/// The short fixed-width table printed on stdout after a run: one line per stream with the
/// numbers people look at first, then one room line. Everything else is in the report files.
public enum SummaryTable {
    private struct Column: Sendable {
        let title: String
        let value: @Sendable (StreamReport) -> String
    }

    private static let columns: [Column] = [
        Column(title: "lat mean") { $0.latencyMs.map { ms($0.mean) } ?? "dead" },
        Column(title: "lat p95") { $0.latencyMs.map { ms($0.p95) } ?? "-" },
        Column(title: "xcorr mean") { s in s.latencyXcorrMs.map { s.latencyXcorrWindows > 0 ? ms($0.mean) : "-" } ?? "-" },
        Column(title: "loss") { percent($0.packetLoss) },
        Column(title: "late") { percent($0.lateLoss) },
        Column(title: "conceal") { percent($0.concealmentRatio) },
        Column(title: "jb delay") { ms($0.jitterBufferDelayMs.mean) },
        Column(title: "MOS") { number($0.mosEmodel, decimals: 2) },
    ]

    /// The table, ending with a newline. Latencies and delays are in ms; `-` marks a
    /// cross-correlation latency that could not be measured (no confident window); `dead` marks
    /// a stream of which nothing was played (its latency is absent, its MOS 1).
    public static func render(_ report: BenchReport) -> String {
        let names = report.streams.map { "\($0.from) -> \($0.to)" }
        let nameWidth = max("stream".count, names.map(\.count).max() ?? 0)
        let cells = report.streams.map { stream in columns.map { $0.value(stream) } }
        let widths = columns.indices.map { i in max(columns[i].title.count, cells.map { $0[i].count }.max() ?? 0) }

        var lines: [String] = []
        lines.append(pad("stream", nameWidth, left: true) + zip(columns, widths).map { "  " + pad($0.title, $1, left: false) }.joined())
        lines.append(String(repeating: "-", count: lines[0].count))
        for (name, row) in zip(names, cells) {
            lines.append(pad(name, nameWidth, left: true) + zip(row, widths).map { "  " + pad($0, $1, left: false) }.joined())
        }
        if report.streams.isEmpty { lines.append("(no streams)") }
        let room = report.room
        lines.append(
            "room: \(room.participants) participants, \(room.streams) streams; latency mean \(ms(room.meanLatencyMs)) ms, "
                + "worst p95 \(ms(room.worstP95LatencyMs)) ms; concealment \(percent(room.meanConcealmentRatio)); "
                + "MOS mean \(number(room.meanMos, decimals: 2)), worst \(number(room.worstMos, decimals: 2))")
        if report.live != nil {
            lines.append(
                "\(number(report.simulatedSeconds, decimals: 1)) s live; clients' and relay's CPU \(number(report.cpuSeconds, decimals: 2)) s; "
                    + "with analysis \(number(report.wallSeconds, decimals: 2)) s")
        } else {
            lines.append(
                "\(number(report.simulatedSeconds, decimals: 1)) s simulated in \(number(report.simulationWallSeconds, decimals: 2)) s "
                    + "(\(number(report.speedFactor, decimals: 1))x real time), CPU \(number(report.cpuSeconds, decimals: 2)) s "
                    + "(codec \(number(report.cpuCodecSeconds, decimals: 2)) s, "
                    + "\(percent(report.cpuSeconds > 0 ? report.cpuCodecSeconds / report.cpuSeconds : 0))); "
                    + "with analysis and reports \(number(report.wallSeconds, decimals: 2)) s")
        }
        if let membership = MembershipSection.summary(report.membership) { lines.append(membership) }
        if let security = SecuritySection.summary(report.security) { lines.append(security) }
        if let reports = ReceiverReportsSection.summary(report.receiverReports) { lines.append(reports) }
        if let protection = ProtectionSection.summary(report.protection) { lines.append(protection) }
        if let acoustics = AcousticsSection.summary(report.acoustics) { lines.append(acoustics) }
        lines += LiveComparisonSection.summary(report.live)
        return lines.joined(separator: "\n") + "\n"
    }

    private static func pad(_ text: String, _ width: Int, left: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }

    static func number(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return "n/a" }
        return String(format: "%.\(decimals)f", value)
    }
    static func ms(_ value: Double) -> String { number(value, decimals: 1) }
    /// An absent figure (every stream dead) shows as `-`, never as a flattering 0.
    static func ms(_ value: Double?) -> String { value.map(ms) ?? "-" }
    static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "n/a" }
        return String(format: fraction > 0 && fraction < 0.001 ? "%.3f%%" : "%.1f%%", fraction * 100)
    }
}
