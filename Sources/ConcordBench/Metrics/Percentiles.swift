/// Order statistics of a sample, as used by every latency and delay figure in the report.
///
/// Percentiles are *linearly interpolated* between the two nearest order statistics
/// (Hyndman & Fan type 7, the default of NumPy, R and spreadsheets): for p in [0, 1] and n sorted
/// values x₀ … xₙ₋₁ the percentile is at fractional rank h = p·(n − 1), i.e.
/// x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋). This is continuous in p and exact on small hand-made
/// samples, which is why it is preferred over nearest-rank here.
public enum Percentiles {
    /// The interpolated p-quantile (p in [0, 1], clamped) of an ascending array; 0 when empty.
    public static func value(sorted values: [Double], quantile p: Double) -> Double {
        guard let first = values.first else { return 0 }
        guard values.count > 1, p.isFinite else { return first }
        let rank = min(1, max(0, p)) * Double(values.count - 1)
        let lower = Int(rank.rounded(.down))
        let upper = min(lower + 1, values.count - 1)
        let fraction = rank - Double(lower)
        return values[lower] + fraction * (values[upper] - values[lower])
    }

    /// The values that can enter a report: non-finite samples (which would also break
    /// `JSONEncoder`) are dropped rather than poisoning the mean.
    static func finiteSorted(_ samples: [Double]) -> [Double] {
        samples.filter(\.isFinite).sorted()
    }
}

extension Distribution {
    /// All zeros: the distribution of an empty sample.
    public static let zero = Distribution(mean: 0, p50: 0, p95: 0, p99: 0, max: 0)

    /// mean / p50 / p95 / p99 / max of `samples` (non-finite values ignored; zeros when empty),
    /// percentiles linearly interpolated as described in `Percentiles`.
    public init(samples: [Double]) {
        let sorted = Percentiles.finiteSorted(samples)
        guard let largest = sorted.last else {
            self = .zero
            return
        }
        // Summed in ascending order: a little more accurate for long positive samples.
        let mean = sorted.reduce(0, +) / Double(sorted.count)
        self.init(
            mean: mean,
            p50: Percentiles.value(sorted: sorted, quantile: 0.50),
            p95: Percentiles.value(sorted: sorted, quantile: 0.95),
            p99: Percentiles.value(sorted: sorted, quantile: 0.99),
            max: largest)
    }
}
