/// A histogram with exponential forgetting, from which a high quantile is read: the NetEq
/// way of turning "how late have recent packets been" into a target delay.
///
/// Each `add` scales every bucket by `forgetFactor` and adds `1 - forgetFactor` to the bucket
/// of the new value, so the total mass stays 1 and old observations fade geometrically.
struct DelayHistogram {
    private var buckets: [Double]
    let bucketMilliseconds: Double
    let forgetFactor: Double

    init(maximumMilliseconds: Int, bucketMilliseconds: Int, forgetFactor: Double, initialMilliseconds: Int) {
        self.bucketMilliseconds = Double(bucketMilliseconds)
        self.forgetFactor = forgetFactor
        buckets = [Double](repeating: 0, count: maximumMilliseconds / bucketMilliseconds + 1)
        buckets[min(buckets.count - 1, initialMilliseconds / bucketMilliseconds)] = 1
    }

    mutating func add(milliseconds: Double) {
        let index = min(buckets.count - 1, max(0, Int(milliseconds / bucketMilliseconds)))
        for i in buckets.indices { buckets[i] *= forgetFactor }
        buckets[index] += 1 - forgetFactor
    }

    /// The upper edge (ms) of the first bucket at which the cumulative mass reaches `q`: a
    /// delay that covers every observation in that bucket. A jitter-free stream gets one bucket.
    func quantile(_ q: Double) -> Double {
        var cumulative = 0.0
        for (i, mass) in buckets.enumerated() {
            cumulative += mass
            if cumulative >= q { return Double(i + 1) * bucketMilliseconds }
        }
        return Double(buckets.count) * bucketMilliseconds
    }
}
