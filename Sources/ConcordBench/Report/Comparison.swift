import Foundation

/// Two configurations of one room, run over the same seeds: per metric, both means, the paired
/// difference (B − A, seed by seed) and its 95 % confidence interval over the seeds.
///
/// Pairing by seed is what makes small differences visible: with the same seed both runs draw
/// the same network (the same losses, delays and traces) and the same clock phases, so most of
/// the run-to-run spread cancels in B − A. The interval is Student's t on the n paired
/// differences (n − 1 degrees of freedom); it needs two seeds at least.
public struct ComparisonRow: Codable, Sendable, Equatable {
    /// `room`, or one stream as `talker→listener`.
    public var scope: String
    public var metric: String
    /// Seeds at which both runs had the figure (a dead stream has no latency).
    public var seeds: Int
    public var a: Double
    public var b: Double
    /// Mean over seeds of B − A.
    public var difference: Double
    /// The 95 % confidence interval of `difference`; nil with fewer than two seeds.
    public var low: Double?
    public var high: Double?

    /// True when the interval excludes zero: the difference is not the luck of the draw.
    public var isSignificant: Bool { (low ?? 0) > 0 || (high ?? 0) < 0 }

    enum CodingKeys: String, CodingKey {
        case scope, metric, seeds, a, b, difference
        case low = "ci95_low"
        case high = "ci95_high"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(scope, forKey: .scope)
        try c.encode(metric, forKey: .metric)
        try c.encode(seeds, forKey: .seeds)
        try c.encode(a, forKey: .a)
        try c.encode(b, forKey: .b)
        try c.encode(difference, forKey: .difference)
        try c.encode(low, forKey: .low)
        try c.encode(high, forKey: .high)
    }
}

public enum Comparison {
    /// The room's figures, then each stream's, compared seed by seed: `a[k]` and `b[k]` were run
    /// with the same seed.
    public static func rows(a: [BenchReport], b: [BenchReport]) -> [ComparisonRow] {
        let pairs = Array(zip(a, b))
        var rows: [ComparisonRow] = []
        for (metric, value) in roomMetrics {
            if let row = row(scope: "room", metric: metric, pairs.map { (value($0.0), value($0.1)) }) { rows.append(row) }
        }
        let streams = (a.first?.streams ?? []).map { ($0.from, $0.to) }
        for (from, to) in streams {
            let matched = pairs.map { x, y in
                (x.streams.first { $0.from == from && $0.to == to }, y.streams.first { $0.from == from && $0.to == to })
            }
            for (metric, value) in streamMetrics {
                let values = matched.map { (x, y) in (x.flatMap(value), y.flatMap(value)) }
                if let row = row(scope: "\(from)→\(to)", metric: metric, values) { rows.append(row) }
            }
        }
        return rows
    }

    static let roomMetrics: [(String, @Sendable (BenchReport) -> Double?)] = [
        ("mean_latency_ms", { $0.room.meanLatencyMs }),
        ("worst_p95_latency_ms", { $0.room.worstP95LatencyMs }),
        ("mean_concealment_ratio", { $0.room.meanConcealmentRatio }),
        ("mean_latency_steady_state_ms", { $0.room.meanLatencySteadyStateMs }),
        ("worst_p95_latency_steady_state_ms", { $0.room.worstP95LatencySteadyStateMs }),
        ("mean_visqol_mos", { $0.room.meanVisqolMos }),
        ("worst_visqol_mos", { $0.room.worstVisqolMos }),
        ("mean_mos_emodel", { $0.room.meanMos }),
        ("worst_mos_emodel", { $0.room.worstMos }),
        ("mean_packet_loss", { mean($0.streams.map(\.packetLoss)) }),
        ("mean_late_loss", { mean($0.streams.map(\.lateLoss)) }),
        ("mean_jitter_buffer_delay_ms", { mean($0.streams.map(\.jitterBufferDelayMs.mean)) }),
        ("mean_bitrate_with_overhead_kbps", { mean($0.streams.map(\.bitrateWithOverheadKbps)) }),
    ]

    static let streamMetrics: [(String, @Sendable (StreamReport) -> Double?)] = [
        ("latency_ms_mean", { $0.latencyMs?.mean }),
        ("latency_ms_p95", { $0.latencyMs?.p95 }),
        ("latency_steady_state_ms_p95", { $0.steadyState?.latencyMs?.p95 }),
        ("concealment_ratio", { $0.concealmentRatio }),
        ("visqol_mos", { $0.quality?.visqolMos }),
        ("visqol_mos_steady_state", { $0.quality?.visqolMosSteadyState }),
        ("mos_emodel", { $0.mosEmodel }),
        ("jitter_buffer_delay_ms_mean", { $0.jitterBufferDelayMs.mean }),
    ]

    private static func mean(_ values: [Double]) -> Double? {
        values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    }

    /// The row of one metric from its (A, B) values per seed; nil when no seed has both.
    static func row(scope: String, metric: String, _ values: [(Double?, Double?)]) -> ComparisonRow? {
        let both = values.compactMap { x, y -> (Double, Double)? in
            guard let x, let y, x.isFinite, y.isFinite else { return nil }
            return (x, y)
        }
        guard !both.isEmpty else { return nil }
        let n = Double(both.count)
        let differences = both.map { $1 - $0 }
        let difference = differences.reduce(0, +) / n
        var low: Double?, high: Double?
        if both.count >= 2 {
            let variance = differences.reduce(0) { $0 + ($1 - difference) * ($1 - difference) } / (n - 1)
            let half = studentT975(degreesOfFreedom: both.count - 1) * (variance / n).squareRoot()
            low = difference - half
            high = difference + half
        }
        return ComparisonRow(
            scope: scope, metric: metric, seeds: both.count, a: both.reduce(0) { $0 + $1.0 } / n,
            b: both.reduce(0) { $0 + $1.1 } / n, difference: difference, low: low, high: high)
    }

    /// The two-sided 95 % quantile of Student's t (t₀.₉₇₅) for `degreesOfFreedom` ≥ 1.
    static func studentT975(degreesOfFreedom df: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        if df >= 1 && df <= table.count { return table[df - 1] }
        if df <= 40 { return 2.021 }
        if df <= 60 { return 2.000 }
        if df <= 120 { return 1.980 }
        return 1.960
    }

    /// Why two scenarios cannot be compared stream by stream: the participants that only one
    /// of them has; nil when both have the same names.
    public static func participantDifference(a: [String], b: [String]) -> String? {
        let onlyA = a.filter { !b.contains($0) }, onlyB = b.filter { !a.contains($0) }
        guard !onlyA.isEmpty || !onlyB.isEmpty else { return nil }
        var parts: [String] = []
        if !onlyA.isEmpty { parts.append("only the first has \(onlyA.joined(separator: ", "))") }
        if !onlyB.isEmpty { parts.append("only the second has \(onlyB.joined(separator: ", "))") }
        return "the scenarios have different participants: " + parts.joined(separator: "; ")
    }

    /// `compare.json` and `compare.csv` in `directory`.
    public static func write(_ rows: [ComparisonRow], a: String, b: String, seeds: [UInt64], to directory: String) throws {
        struct File: Encodable {
            var a: String
            var b: String
            var seeds: [UInt64]
            var rows: [ComparisonRow]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let json = try encoder.encode(File(a: a, b: b, seeds: seeds, rows: rows))
        try json.write(to: URL(fileURLWithPath: directory).appendingPathComponent("compare.json"), options: .atomic)
        let template = try FlatEncoder.flatten(
            ComparisonRow(scope: "", metric: "", seeds: 0, a: 0, b: 0, difference: 0, low: nil, high: nil))
        let csv = try ReportCSV.table(rows, emptyTemplate: template, fixedColumns: true)
        try Data(csv.utf8).write(to: URL(fileURLWithPath: directory).appendingPathComponent("compare.csv"), options: .atomic)
    }
}
