/// Finds the lag at which a signal repeats itself across a point: the pitch period of voiced
/// speech, measured exactly where a time stretcher would splice.
///
/// For a lag L the two candidate periods are the L samples before the splice point and the L
/// samples after it, and the score is their normalised correlation (1 for an exact repeat, ≤ 0
/// for unrelated or opposite content). Scoring the very segments that will be crossfaded, not a
/// fixed analysis window, keeps "correlated" meaning "safe to splice".
///
/// Every lag at the full 48 kHz would cost ~0.8 M multiply-adds a call, so the search runs
/// twice: every lag of a low-passed copy decimated to 8 kHz (where a period still spans 20–120
/// samples, enough for the fundamental and the first formant's fine structure to separate
/// periods), then the ±5 full-rate lags around the coarse winner, which restores one-sample
/// precision. The coarse pass prefers a whole fraction (½, ⅓, …) of the best lag when it scores
/// within `octaveTolerance` of it: a signal periodic in T is also periodic in 2T and 3T, and
/// splicing one period disturbs speech less than splicing several.
struct PitchPeriodSearch {
    static let decimation = 6
    /// How far below the best coarse score a shorter lag may sit and still be preferred.
    static let octaveTolerance: Float = 0.05

    let minimumLag: Int
    let maximumLag: Int
    /// Three cascaded 6-sample moving averages: nulls at every multiple of 8 kHz (the bands that
    /// decimation folds onto the pitch range), −11 dB at 4 kHz, side lobes under −37 dB, and no
    /// trigonometry. Loose, but aliasing only blurs a coarse search the full-rate pass corrects.
    private let lowPass: [Float]
    private var decimated: [Float]
    private var coarseScores: [Float]

    /// The lags are in 48 kHz samples; both are rounded to whole decimated samples for the coarse pass.
    init(minimumLag: Int, maximumLag: Int) {
        self.minimumLag = minimumLag
        self.maximumLag = maximumLag
        lowPass = Self.makeLowPass(boxLength: Self.decimation, passes: 3)
        decimated = [Float](repeating: 0, count: 2 * maximumLag / Self.decimation)
        coarseScores = [Float](repeating: 0, count: maximumLag / Self.decimation + 1)
    }

    /// The best lag up to `longestLag` (from `minimumLag` to `maximumLag`) for a splice at
    /// `centre`, and its full-rate correlation. The caller guarantees
    /// `samples[centre - longestLag ..< centre + longestLag]` exists and `longestLag ≥ minimumLag`;
    /// nothing outside those samples is read.
    mutating func bestLag(in samples: [Float], centre: Int, longestLag: Int) -> (lag: Int, correlation: Float) {
        let coarse = coarseLag(in: samples, centre: centre, longestLag: longestLag)
        var best = (lag: coarse, correlation: -Float.infinity)
        let from = max(minimumLag, coarse - Self.decimation + 1)
        let to = min(longestLag, coarse + Self.decimation - 1)
        for lag in from...to {
            let score = Self.correlation(samples, from: centre - lag, count: lag, lag: lag)
            if score > best.correlation { best = (lag, score) }
        }
        return best
    }

    /// Normalised correlation of `samples[from ..< from + count]` with the `count` samples `lag`
    /// later; 0 when either is silent or the sums are not finite (so NaN never passes a threshold).
    static func correlation(_ samples: [Float], from: Int, count: Int, lag: Int) -> Float {
        samples.withUnsafeBufferPointer { x in
            var cross = 0.0, before = 0.0, after = 0.0
            for i in 0..<count {
                let a = Double(x[from + i]), b = Double(x[from + lag + i])
                cross += a * b
                before += a * a
                after += b * b
            }
            let score = cross / (before * after).squareRoot()
            return score.isFinite ? Float(score) : 0
        }
    }

    /// The coarse winner, in full-rate samples.
    private mutating func coarseLag(in samples: [Float], centre: Int, longestLag: Int) -> Int {
        let lowest = max(1, (minimumLag + Self.decimation - 1) / Self.decimation)
        let highest = min(longestLag, maximumLag) / Self.decimation
        let middle = highest
        decimate(samples, from: centre - highest * Self.decimation, count: 2 * highest)
        var best = lowest
        for lag in lowest...highest {
            let score = decimated.withUnsafeBufferPointer { y in
                var cross: Float = 0, before: Float = 0, after: Float = 0
                for i in 0..<lag {
                    let a = y[middle - lag + i], b = y[middle + i]
                    cross += a * b
                    before += a * a
                    after += b * b
                }
                let score = cross / (before * after).squareRoot()
                return score.isFinite ? score : 0
            }
            coarseScores[lag] = score
            if score > coarseScores[best] { best = lag }
        }
        // The shortest whole fraction of the best lag that scores nearly as well: the pitch
        // period when `best` is a multiple of it.
        let floor = coarseScores[best] - Self.octaveTolerance
        var divisor = best / lowest
        while divisor >= 2 {
            let centre = (best + divisor / 2) / divisor
            var candidate = max(lowest, centre - 1)
            for lag in candidate...min(highest, centre + 1) where coarseScores[lag] > coarseScores[candidate] {
                candidate = lag
            }
            if coarseScores[candidate] >= floor { return candidate * Self.decimation }
            divisor -= 1
        }
        return best * Self.decimation
    }

    /// Low-passes and decimates `count · decimation` samples from `start` into `decimated`; taps
    /// that fall outside that span are skipped, so nothing outside what the caller vouched for is read.
    private mutating func decimate(_ samples: [Float], from start: Int, count: Int) {
        let end = start + count * Self.decimation
        let half = lowPass.count / 2
        samples.withUnsafeBufferPointer { x in
            for m in 0..<count {
                let centre = start + m * Self.decimation
                var sum: Float = 0
                for k in 0..<lowPass.count {
                    let index = centre + k - half
                    if index >= start, index < end { sum += lowPass[k] * x[index] }
                }
                decimated[m] = sum
            }
        }
    }

    /// `passes` moving averages of `boxLength` samples convolved together, unit DC gain.
    private static func makeLowPass(boxLength: Int, passes: Int) -> [Float] {
        var h: [Float] = [1]
        for _ in 0..<passes {
            var next = [Float](repeating: 0, count: h.count + boxLength - 1)
            for (i, value) in h.enumerated() {
                for j in 0..<boxLength { next[i + j] += value / Float(boxLength) }
            }
            h = next
        }
        return h
    }
}
