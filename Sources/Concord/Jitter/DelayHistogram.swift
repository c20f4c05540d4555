/// A histogram of how late packets have been, with exponential forgetting, and the delay that
/// is worth playing at given what a late packet costs.
///
/// Each `add` scales every bucket by `forgetFactor` and adds `1 - forgetFactor` to the bucket of
/// the new value, so old observations fade geometrically (NetEq's relative-delay histogram).
/// The scaling is kept as one factor (`scale`) instead of touching every bucket — with 1 ms
/// buckets that is a thousand multiplications per packet — and folded back in when it grows.
///
/// It starts with a prior: `priorWeight` (a small fraction of one arrival's weight) at the
/// initial delay, so that the first packet plays at that delay and measured ones replace it
/// within a few hundred milliseconds — or at once, by `forgetInitialGuess()`.
struct DelayHistogram {
    /// Masses, each to be divided by `scale`.
    private var buckets: [Double]
    private var total: Double
    private var scale = 1.0
    let bucketMilliseconds: Double
    let forgetFactor: Double

    /// The prior's mass, as a fraction of one arrival's (1 − forgetFactor).
    static let priorWeight = 1.0 / 16

    init(maximumMilliseconds: Int, bucketMilliseconds: Int, forgetFactor: Double, initialMilliseconds: Int) {
        self.bucketMilliseconds = Double(bucketMilliseconds)
        self.forgetFactor = forgetFactor
        buckets = [Double](repeating: 0, count: maximumMilliseconds / bucketMilliseconds + 1)
        let prior = Self.priorWeight * (1 - forgetFactor)
        priorBucket = min(buckets.count - 1, initialMilliseconds / bucketMilliseconds)
        buckets[priorBucket] = prior
        total = prior
        priorMass = prior
    }

    /// Where the prior sits, and its mass as stored (divided by `scale` like every bucket's).
    private let priorBucket: Int
    private var priorMass: Double

    /// Removes the prior, leaving only what was measured.
    mutating func forgetInitialGuess() {
        buckets[priorBucket] = max(0, buckets[priorBucket] - priorMass)
        total = max(0, total - priorMass)
        priorMass = 0
    }

    mutating func add(milliseconds: Double) {
        let index =
            milliseconds.isFinite ? min(buckets.count - 1, max(0, Int(milliseconds / bucketMilliseconds))) : buckets.count - 1
        scale /= forgetFactor
        buckets[index] += (1 - forgetFactor) * scale
        total += (1 - forgetFactor) * scale
        if scale > 1e100 {
            for i in buckets.indices { buckets[i] /= scale }
            total /= scale
            priorMass /= scale
            scale = 1
        }
    }

    /// Recurring spikes (`DelayPeakDetector`): at a delay d they make rate · mean(max(0, h − d))
    /// of the packets late, over the heights h.
    struct SpikeLateLoss {
        var sortedHeights: [Double]
        /// Spikes per millisecond.
        var rate: Double
    }

    /// The delay d (ms, a bucket's upper edge) that minimises d + `lateLossWorth` · P(later than d):
    /// each millisecond of delay against the share of packets it would make late, priced as
    /// `lateLossWorth` milliseconds of delay per unit of probability. `spikes` adds the late
    /// share of recurring spikes to the histogram's.
    ///
    /// Scanning stops past the last bucket with mass and the highest spike, beyond which the
    /// cost only grows, so a jitter-free stream costs one bucket.
    func costMinimisingDelay(lateLossWorth: Double, spikes: SpikeLateLoss? = nil) -> Double {
        guard total > 0 else { return bucketMilliseconds }
        let heights = spikes?.sortedHeights ?? []
        let highestSpike = heights.last ?? 0
        let spikeWeight = spikes.map { $0.rate / Double(max(1, heights.count)) } ?? 0
        // Σ over spikes above d of (h − d), kept as (Σ h, count) over the heights still above d.
        var above = heights.count
        var sumAbove = heights.reduce(0, +)
        var cumulative = 0.0
        var best = (delay: Double(buckets.count) * bucketMilliseconds, cost: Double.infinity)
        for (i, mass) in buckets.enumerated() {
            cumulative += mass
            let delay = Double(i + 1) * bucketMilliseconds
            while above > 0, heights[heights.count - above] <= delay {
                sumAbove -= heights[heights.count - above]
                above -= 1
            }
            let late = max(0, total - cumulative) / total + spikeWeight * (sumAbove - Double(above) * delay)
            let cost = delay + lateLossWorth * late
            if cost < best.cost { best = (delay, cost) }
            if late <= 0, delay >= highestSpike { break }
        }
        return best.delay
    }
}
