/// How late the relay forwarded datagrams against the times the path models gave them, in
/// 10 µs buckets up to 100 ms (later ones share the last bucket, and the maximum is kept
/// exactly): fixed memory however long the relay runs.
public struct SchedulingErrorHistogram: Sendable, Equatable {
    static let bucketNanoseconds: Int64 = 10_000
    static let bucketCount = 10_000

    private var buckets = [Int](repeating: 0, count: bucketCount + 1)
    public private(set) var count = 0
    public private(set) var maximumNanoseconds: Int64 = 0

    public init() {}

    /// A datagram due at some time went out `lateness` nanoseconds after it (never negative:
    /// the relay sends nothing early).
    public mutating func add(latenessNanoseconds lateness: Int64) {
        let l = max(0, lateness)
        buckets[Int(min(l / Self.bucketNanoseconds, Int64(Self.bucketCount)))] += 1
        count += 1
        maximumNanoseconds = max(maximumNanoseconds, l)
    }

    /// The q-quantile (0…1) in milliseconds, as the upper edge of its bucket (so within 10 µs
    /// above the true value); `nil` before any datagram.
    public func quantileMilliseconds(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = max(1, Int((q * Double(count)).rounded(.up)))
        var seen = 0
        for (i, n) in buckets.enumerated() {
            seen += n
            if seen >= rank {
                let edge = i == Self.bucketCount ? maximumNanoseconds : Int64(i + 1) * Self.bucketNanoseconds
                return Double(min(edge, maximumNanoseconds)) / 1e6
            }
        }
        return Double(maximumNanoseconds) / 1e6
    }
}
