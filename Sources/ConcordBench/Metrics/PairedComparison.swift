/// One metric of two configurations run over the same seeds: each side's mean, and the mean of
/// the per-seed differences (B − A) with its 95 % confidence interval (Student's t on the n
/// differences, n − 1 degrees of freedom). Pairing by seed removes what the seed decides for
/// both sides alike (the loss pattern, the jitter draws), so the interval is narrower than one
/// from two independent samples.
public struct PairedComparison: Codable, Sendable, Equatable {
    public var metric: String
    /// Seeds where both runs have the metric (a dead run has no latency).
    public var seeds: Int
    public var a: Double
    public var b: Double
    public var difference: Double
    /// The 95 % interval of `difference`; nil with fewer than two seeds.
    public var low: Double?
    public var high: Double?

    enum CodingKeys: String, CodingKey {
        case metric, seeds, a, b, difference, low, high
    }

    /// From the per-seed values of each side, pairs in seed order; a nil on either side drops the pair.
    public init(metric: String, a: [Double?], b: [Double?]) {
        let pairs = zip(a, b).compactMap { x, y -> (Double, Double)? in
            guard let x, let y, x.isFinite, y.isFinite else { return nil }
            return (x, y)
        }
        let n = pairs.count
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        let differences = pairs.map { $1 - $0 }
        self.metric = metric
        seeds = n
        self.a = mean(pairs.map(\.0))
        self.b = mean(pairs.map(\.1))
        difference = mean(differences)
        guard n >= 2 else { return }
        let variance = differences.reduce(0) { $0 + ($1 - difference) * ($1 - difference) } / Double(n - 1)
        let half = Self.t975(degreesOfFreedom: n - 1) * (variance / Double(n)).squareRoot()
        low = difference - half
        high = difference + half
    }

    /// The 0.975 quantile of Student's t: tabulated to 30 degrees of freedom, then the
    /// Cornish–Fisher expansion around the normal quantile (error below 10⁻⁴ there).
    static func t975(degreesOfFreedom v: Int) -> Double {
        let table: [Double] = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        if v >= 1 && v <= table.count { return table[v - 1] }
        let z = 1.959964, n = Double(max(v, 1))
        let z3 = z * z * z, z5 = z3 * z * z
        return z + (z3 + z) / (4 * n) + (5 * z5 + 16 * z3 + 3 * z) / (96 * n * n)
    }

    /// The metrics a comparison reports, each a run's mean over its streams (as a sweep's).
    public static let metrics: [(name: String, value: @Sendable (StreamReport) -> Double?)] = [
        ("latency_ms_mean", { $0.latencyMs?.mean }),
        ("latency_ms_p95", { $0.latencyMs?.p95 }),
        ("latency_xcorr_ms_mean", { $0.latencyXcorrMs?.mean }),
        ("packet_loss", { $0.packetLoss }),
        ("late_loss", { $0.lateLoss }),
        ("concealment_ratio", { $0.concealmentRatio }),
        ("concealment_events", { Double($0.concealmentEvents) }),
        ("jitter_buffer_delay_ms_mean", { $0.jitterBufferDelayMs.mean }),
        ("target_delay_ms_mean", { $0.targetDelayMs.mean }),
        ("mos_emodel", { $0.mosEmodel }),
    ]

    /// Every metric of `metrics` for runs `a[k]` and `b[k]` made with the same seed.
    public static func compare(_ a: [BenchReport], _ b: [BenchReport]) -> [PairedComparison] {
        func runMean(_ report: BenchReport, _ value: (StreamReport) -> Double?) -> Double? {
            let values = report.streams.compactMap(value).filter(\.isFinite)
            return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
        }
        return metrics.map { metric in
            PairedComparison(
                metric: metric.name, a: a.map { runMean($0, metric.value) }, b: b.map { runMean($0, metric.value) })
        }
    }
}
