import Testing
@testable import Concord

/// Recent loss from sequence gaps, and the recovery floor it prices.
@Suite struct RecentLossTests {
    @Test func noGapsNoLoss() {
        var loss = RecentLoss()
        for s in 0..<1_000 { loss.observe(sequence: Int64(s)) }
        #expect(loss.fraction == 0)
    }

    @Test func everyTenthPacketLostReadsAboutTenPercent() {
        var loss = RecentLoss()
        for s in 0..<3_000 where s % 10 != 5 { loss.observe(sequence: Int64(s)) }
        #expect(abs(loss.fraction - 0.1) < 0.01, "\(loss.fraction)")
    }

    @Test func aReorderedPacketTakesItsLossBack() {
        var loss = RecentLoss()
        for s in 0..<100 { loss.observe(sequence: Int64(s)) }
        loss.observe(sequence: 101)
        #expect(loss.fraction > 0)
        loss.observe(sequence: 100)
        #expect(loss.fraction < 1e-12)
    }

    /// A loss long ago still counts at the stream's long-run rate: 1 in 5000.
    @Test func theLongRunRateIsAFloorUnderTheRecentOne() {
        var loss = RecentLoss()
        for s in 0..<5_000 where s != 10 { loss.observe(sequence: Int64(s)) }
        #expect(abs(loss.fraction - 1.0 / 5_000) < 1e-9)
    }

    /// A FEC stream on a jitter-free link plays 19 ms below a frame, which one loss in a while
    /// does not pay for (15 750 ms × 0.1 % < 19 ms). Three losses close together do: the buffer
    /// holds a frame while they are recent and lets it go once they are tens of seconds old and
    /// the stream's long-run rate no longer pays for it either. The first two are concealed
    /// (nothing was held for them: with the buffer 5 ms ahead of arrivals on a 20 ms tick, the
    /// next frame is waited for too); the third and fourth are rebuilt from FEC.
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
        #expect(h.buffer.statistics.concealedSamples == 2 * 2 * 960)
        #expect(h.buffer.statistics.fecRecoveredSamples == 2 * 960)
    }
}
