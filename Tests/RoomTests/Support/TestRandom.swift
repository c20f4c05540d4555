@testable import Concord

/// The engine's SplitMix64, for the tests' own draws (message generation, fuzzing, the
/// driver's choices); seeded separately from the nodes'.
typealias SplitMix64 = RoomRandom

extension RoomRandom {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
