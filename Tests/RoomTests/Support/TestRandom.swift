import SeededRandom

/// For the tests' own draws (message generation, fuzzing, the driver's choices), seeded
/// separately from the nodes'.
extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
