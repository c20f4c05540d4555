import Testing
@testable import Concord

/// RFC 3611's burst/gap split on sequences whose answer is known by hand.
@Suite struct BurstGapCounterTests {
    /// "r" received, "l" lost, each repeated by the count before it: `run([100, "r", 1, "l"])`.
    private func counted(_ pattern: [(Int, Character)], counter: inout BurstGapCounter) {
        for (count, kind) in pattern {
            for _ in 0..<count { counter.note(lost: kind == "l") }
        }
    }

    private func figures(_ pattern: [(Int, Character)]) -> BurstGapCounter.Figures {
        var counter = BurstGapCounter()
        counted(pattern, counter: &counter)
        return counter.snapshot()
    }

    @Test func twoLossesCloseTogetherAreABurst() {
        let f = figures([(100, "r"), (1, "l"), (1, "r"), (1, "l"), (100, "r")])
        #expect(f.burstDensity == 2.0 / 3 && f.burstPackets == 3)
        #expect(f.gapDensity == 0 && f.gapPackets == 100)  // two gaps of 100
    }

    @Test func loneLossesBelongToTheGap() {
        let f = figures([(50, "r"), (1, "l"), (50, "r"), (1, "l"), (50, "r")])
        #expect(f.burstDensity == 0 && f.burstPackets == 0)
        #expect(f.gapDensity == 2.0 / 152 && f.gapPackets == 152)
    }

    /// Gmin = 16: losses 16 receptions apart are separate gap losses; 15 apart, one burst.
    @Test func gMinSeparatesBurstsFromGaps() {
        let apart16 = figures([(20, "r"), (1, "l"), (16, "r"), (1, "l"), (20, "r")])
        #expect(apart16.burstPackets == 0 && apart16.gapDensity == 2.0 / 58)
        let apart15 = figures([(20, "r"), (1, "l"), (15, "r"), (1, "l"), (20, "r")])
        #expect(apart15.burstPackets == 17 && apart15.burstDensity == 2.0 / 17)
        #expect(apart15.gapDensity == 0 && apart15.gapPackets == 20)
    }

    /// Periodic bursts of three: every burst is 3 packets, all lost; every gap 47, none lost —
    /// also when the sequence ends inside a burst.
    @Test func periodicBurstsOfThree() {
        let f = figures(Array(repeating: [(47, Character("r")), (3, Character("l"))], count: 100).flatMap { $0 })
        #expect(f.burstDensity == 1 && f.burstPackets == 3)
        #expect(f.gapDensity == 0 && f.gapPackets == 47)
    }

    /// The same shape read over successive snapshots stays the same shape (decay scales every
    /// count alike); a path that turns clean shows within ten reports.
    @Test func decayFollowsAChangeAndLeavesASteadyShapeAlone() {
        var counter = BurstGapCounter()
        var steady: [BurstGapCounter.Figures] = []
        for _ in 0..<10 {
            counted(Array(repeating: [(19, Character("r")), (1, Character("l"))], count: 5).flatMap { $0 }, counter: &counter)
            steady.append(counter.snapshot())
        }
        for f in steady.dropFirst() {
            #expect(abs(f.gapDensity - 0.05) < 0.005, "\(f)")
            #expect(f.burstPackets == 0)
        }
        var clean = steady.last!
        for _ in 0..<10 {
            counted([(100, "r")], counter: &counter)
            clean = counter.snapshot()
        }
        #expect(clean.gapDensity < 0.02, "\(clean)")
    }

    /// A run of losses counted at once is the same as counting them one by one.
    @Test func aRunOfLossesAtOnceEqualsOneByOne() {
        var one = BurstGapCounter()
        var run = BurstGapCounter()
        for (received, lost) in [(20, 3), (5, 1), (30, 7), (2, 2), (16, 1), (40, 0)] {
            for _ in 0..<received {
                one.note(lost: false)
                run.note(lost: false)
            }
            for _ in 0..<lost { one.note(lost: true) }
            run.noteLost(lost)
        }
        #expect(one == run)
        #expect(one.snapshot() == run.snapshot())
    }

    @Test func nothingCountedReadsZero() {
        var counter = BurstGapCounter()
        #expect(counter.snapshot() == .init(burstDensity: 0, gapDensity: 0, burstPackets: 0, gapPackets: 0))
    }
}
