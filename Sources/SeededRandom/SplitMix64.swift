/// SplitMix64 (Steele, Lea & Flood 2014): a tiny generator used to expand one seed into many,
/// and the room's only source of randomness (gossip targets, announce and welcome draws), so a
/// run is a pure function of its seeds: no global generator, no `SystemRandomNumberGenerator`.
///
/// A target of its own because the engine and SimNet both draw from it and neither may depend
/// on the other. SimNet re-exports it: its users seed their own draws with it.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    @inlinable public init(seed: UInt64) { state = seed }

    @inlinable public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    @inlinable public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Up to `k` distinct elements of `items`, chosen uniformly (partial Fisher–Yates).
    @inlinable public mutating func sample<T>(_ items: [T], _ k: Int) -> [T] {
        var pool = items
        let n = min(k, pool.count)
        for i in 0..<n {
            let j = i + Int(next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(n))
    }
}
