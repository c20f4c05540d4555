/// xoshiro256** (Blackman & Vigna 2018), seeded through SplitMix64. Every path owns one.
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
    @usableFromInline var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    public init(seed: UInt64) {
        var sm = SplitMix64(seed: seed)
        s0 = sm.next(); s1 = sm.next(); s2 = sm.next(); s3 = sm.next()
        if s0 | s1 | s2 | s3 == 0 { s0 = 1 }  // the all-zero state is a fixed point
    }

    @inlinable public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    @inlinable func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// Uniform in [0, 1) with 53 random bits.
    @inlinable public mutating func uniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// Uniform in (0, 1): never exactly 0, so it is safe for log and inverse CDFs.
    @inlinable public mutating func uniformOpen() -> Double {
        (Double(next() >> 11) + 0.5) * 0x1.0p-53
    }

    /// `true` with probability `p` (no draw is taken when p ≤ 0).
    @inlinable public mutating func bernoulli(_ p: Double) -> Bool {
        p > 0 && uniform() < p
    }
}

/// The per-path seed: a function of (global seed, source address, destination address) only,
/// so adding traffic, hosts or paths never changes the randomness of another path.
@usableFromInline func pathSeed(global: UInt64, source: UInt32, destination: UInt32) -> UInt64 {
    var mix = SplitMix64(seed: global)
    let salt = mix.next()
    var key = SplitMix64(seed: salt ^ (UInt64(source) << 32 | UInt64(destination)))
    return key.next()
}
