import Testing
@testable import Concord

@Suite struct MissingFrameOddsTests {
    @Test func startsAtNoneAndAveragesTheFirstObservationsEqually() {
        var odds = MissingFrameOdds()
        #expect(odds.sparedShare == 0)
        odds.observe(spared: true)
        #expect(odds.sparedShare == 1)
        odds.observe(spared: false)
        odds.observe(spared: false)
        odds.observe(spared: true)
        #expect(abs(odds.sparedShare - 0.5) < 1e-12)
    }

    /// Past `memory` observations each new one weighs 1 / memory: a run of on-time frames
    /// brings a stream whose stretches always spared a wait under the threshold within a handful, and a
    /// single spared wait after many needless stretches does not reach it.
    @Test func forgetsAtOneOverMemory() {
        var odds = MissingFrameOdds()
        for _ in 0..<100 { odds.observe(spared: true) }
        odds.observe(spared: false)
        #expect(abs(odds.sparedShare - (1 - 1 / Double(MissingFrameOdds.memory))) < 1e-12)
        var onTime = 1
        while odds.sparedShare >= JitterBuffer.sparedShareWorthStretching {
            odds.observe(spared: false)
            onTime += 1
        }
        #expect(onTime == 14)
        for _ in 0..<100 { odds.observe(spared: false) }
        odds.observe(spared: true)
        #expect(odds.sparedShare < JitterBuffer.sparedShareWorthStretching)
    }
}
