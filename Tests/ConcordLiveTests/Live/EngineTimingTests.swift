import ConcordLive
import Testing

@Suite struct EngineTimingTests {
    static let pull: Int64 = 10_000_000

    @Test func ticksUpToOnePullLateAreNotStalls() {
        var timing = EngineTiming()
        #expect(timing.noteTick(intervalNanoseconds: Self.pull, pullNanoseconds: Self.pull) == nil)
        // Catching up after a late tick: back-to-back pulls.
        #expect(timing.noteTick(intervalNanoseconds: 0, pullNanoseconds: Self.pull) == nil)
        #expect(timing.noteTick(intervalNanoseconds: 2 * Self.pull, pullNanoseconds: Self.pull) == nil)
        #expect(timing.ticks == 3 && timing.stalls == 0 && timing.longestStallMs == 0)
    }

    @Test func aTickMoreThanAPullLateIsAStallOfItsLateness() {
        var timing = EngineTiming()
        #expect(timing.noteTick(intervalNanoseconds: 2 * Self.pull + 1_000_000, pullNanoseconds: Self.pull) == 11)
        #expect(timing.noteTick(intervalNanoseconds: 90_000_000, pullNanoseconds: Self.pull) == 80)
        #expect(timing.noteTick(intervalNanoseconds: 40_000_000, pullNanoseconds: Self.pull) == 30)
        #expect(timing.ticks == 3 && timing.stalls == 3 && timing.longestStallMs == 80)
    }
}
