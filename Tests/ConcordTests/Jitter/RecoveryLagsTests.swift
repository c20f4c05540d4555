import Testing
@testable import Concord

/// Recent loss from sequence gaps, and the recovery floor it prices.
@Suite struct RecoveryLagsTests {
    /// Feeds frames 0..<count except `lost`, each carrying copies at `offsets` frames back.
    static func lags(count: Int, lost: (Int) -> Bool, offsets: [Int]) -> RecoveryLags {
        var lags = RecoveryLags()
        for k in 0..<count where !lost(k) { lags.observe(sequence: Int64(k), carrying: offsets) }
        return lags
    }

    @Test func noLossNothingToWaitFor() {
        let lags = Self.lags(count: 1_000, lost: { _ in false }, offsets: [1, 2])
        #expect(lags.needingWait(1) == 0 && lags.needingWait(2) == 0)
    }

    /// Runs of three lost packets with copies of the last two frames: of each run the last frame
    /// comes back after one frame, the middle after two, and the first never (not counted).
    @Test func consecutiveCopiesRebuildTheEndOfARun() {
        let lags = Self.lags(count: 5_000, lost: { $0 % 50 < 3 && $0 >= 50 }, offsets: [1, 2])
        for (w, expected) in [(1, 2.0 / 47), (2, 1.0 / 47), (3, 0.0)] {  // per packet received
            #expect(abs(lags.needingWait(w) - expected) < 0.003, "wait \(w): \(lags.needingWait(w))")
        }
    }

    /// The same runs with copies spread to one and three frames back: all three come back, the
    /// first two only after three frames.
    @Test func spreadCopiesRebuildAWholeRunOfThree() {
        let lags = Self.lags(count: 5_000, lost: { $0 % 50 < 3 && $0 >= 50 }, offsets: [1, 3])
        for (w, expected) in [(1, 3.0 / 47), (2, 2.0 / 47), (3, 2.0 / 47), (4, 0.0)] {
            #expect(abs(lags.needingWait(w) - expected) < 0.003, "wait \(w): \(lags.needingWait(w))")
        }
    }

    @Test func aReorderedPacketTakesItsLossBack() {
        var lags = RecoveryLags()
        for k in 0..<100 { lags.observe(sequence: Int64(k), carrying: [1]) }
        lags.observe(sequence: 101, carrying: [1])
        #expect(lags.needingWait(1) > 0)
        lags.observe(sequence: 100, carrying: [1])
        #expect(lags.needingWait(1) < 1e-12)
    }

    /// A loss long ago still counts at the stream's long-run rate: 1 in 5000.
    @Test func theLongRunRateIsAFloorUnderTheRecentOne() {
        let lags = Self.lags(count: 5_000, lost: { $0 == 10 }, offsets: [1])
        #expect(abs(lags.needingWait(1) - 1.0 / 4_999) < 1e-9)
    }

    /// A FEC stream on a jitter-free link plays 19 ms below a frame, which one loss in a while
    /// does not pay for (15 750 ms × 0.1 % < 19 ms). Three losses close together do: the buffer
    /// holds a frame while they are recent and lets it go once they are tens of seconds old and
    /// the stream's long-run rate no longer pays for it either. The first two are concealed
    /// (nothing was held for them: with the buffer 5 ms ahead of arrivals on a 20 ms tick, the
    /// next frame is waited for too, in three half-frame steps: the harness takes half a frame
    /// out between the second and the third as a stretch); the third and fourth are rebuilt
    /// from FEC.
    @Test func theRecoveryFloorHoldsOnlyWhileLossPaysForIt() throws {
        var h = try JitterHarness()
        let lost: Set<Int> = [300, 320, 340, 390]
        for k in 0..<6_000 where !lost.contains(k) { h.send(k, delay: 5, flags: [.fec]) }
        h.run(ticks: 315)  // one loss
        #expect(h.buffer.targetDelayMilliseconds < 20)
        h.run(ticks: 45)  // three
        #expect(h.buffer.targetDelayMilliseconds >= 20)
        h.run(ticks: 1_000)  // 20 s after
        #expect(h.buffer.targetDelayMilliseconds >= 20)
        h.run(ticks: 4_500)  // 110 s after: 4 in 5 900 packets
        #expect(h.buffer.targetDelayMilliseconds < 20)
        #expect(h.buffer.statistics.concealedSamples == 2 * 3 * 480)
        #expect(h.buffer.statistics.fecRecoveredSamples == 2 * 960)
    }

    /// Two copies and losses in pairs: a frame of delay rebuilds only the second of each pair,
    /// two frames rebuild both, and the floor goes to two frames. The same stream with lone
    /// losses needs one.
    @Test func theFloorWaitsAsDeepAsTheLossesNeed() throws {
        for (pairs, floor) in [(true, 40.0), (false, 20.0)] {
            var h = try JitterHarness()
            for k in 0..<1_500 {
                let lost = pairs ? (k % 25 == 10 || k % 25 == 11) : k % 25 == 10
                if !lost { h.send(k, delay: 5, redundancy: k >= 2 ? [k - 2, k - 1] : []) }
            }
            h.run(ticks: 1_400)
            let target = h.buffer.targetDelayMilliseconds
            #expect(target >= floor && target < floor + 20, "pairs \(pairs): target \(target) ms")
            // Late in the stream every loss is rebuilt from a copy.
            let late = h.decisions.filter { $0.tick > 700 }
            #expect(!late.contains { if case .conceal = $0.decision { true } else { false } }, "pairs \(pairs)")
        }
    }
}
