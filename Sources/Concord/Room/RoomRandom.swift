/// SplitMix64: the room's only source of randomness (gossip targets, announce and welcome
/// draws). Seeded at `RoomNode.init`, so a run is a pure function of its inputs — no global
/// generator, no `SystemRandomNumberGenerator`.
public struct RoomRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Up to `k` distinct elements of `items`, chosen uniformly (partial Fisher–Yates).
    public mutating func sample<T>(_ items: [T], _ k: Int) -> [T] {
        var pool = items
        let n = min(k, pool.count)
        for i in 0..<n {
            let j = i + Int(next() % UInt64(pool.count - i))
            pool.swapAt(i, j)
        }
        return Array(pool.prefix(n))
    }
}
