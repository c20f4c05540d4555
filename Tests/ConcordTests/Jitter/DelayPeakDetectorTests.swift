import Testing
@testable import Concord

/// Recurring spikes are remembered and priced; a single one, or ones long gone, are not.
@Suite struct DelayPeakDetectorTests {
    /// Relative delays of 2 ms every 20 ms, with a spike of `height` ms starting at each of
    /// `spikes` (ms): the packets sent during it arrive together when it ends.
    static func observe(_ detector: inout DelayPeakDetector, until end: Double, spikes: [Double], height: Double) {
        var t = 0.0
        while t < end {
            var delay = 2.0
            if let start = spikes.last(where: { $0 <= t }), t < start + height { delay = start + height - t }
            detector.observe(relativeDelay: delay, target: 5, at: .milliseconds(t + delay))
            t += 20
        }
    }

    @Test func oneSpikeIsNotARecurrence() {
        var detector = DelayPeakDetector(threshold: 40)
        Self.observe(&detector, until: 4_000, spikes: [1_000], height: 200)
        #expect(detector.peaks.count == 1)
        #expect(detector.peaks.first.map { abs($0.height - 200) < 1e-9 } == true)
        #expect(detector.rate(at: .milliseconds(4_000)) == nil)
    }

    @Test func spikesEveryThreeSecondsRecurUntilTwiceTheirGapHasPassed() throws {
        var detector = DelayPeakDetector(threshold: 40)
        Self.observe(&detector, until: 10_000, spikes: [1_000, 4_000, 7_000], height: 200)
        #expect(detector.peaks.count == 3)
        let rate = try #require(detector.rate(at: .milliseconds(10_000)))
        #expect(abs(rate - 1.0 / 3_000) < 1e-6)
        // The last spike started at 7 s; the longest gap is 3 s.
        #expect(detector.rate(at: .milliseconds(12_900)) != nil)
        #expect(detector.rate(at: .milliseconds(13_300)) == nil)
    }

    @Test func spikesFurtherApartThanTheMaximumPeriodDoNotRecur() {
        var detector = DelayPeakDetector(threshold: 40, maximumPeriodMilliseconds: 5_000)
        Self.observe(&detector, until: 20_000, spikes: [1_000, 8_000, 15_000], height: 200)
        #expect(detector.peaks.count == 1)
        #expect(detector.rate(at: .milliseconds(20_000)) == nil)
    }

    /// The priced cost: at a delay d, spikes of height h at rate r make r · (h − d) of the
    /// packets late; the cost-minimising delay weighs that against d itself.
    @Test func theTargetHoldsThroughRecurringSpikesWhereTheyAreWorthIt() {
        var histogram = DelayHistogram(maximumMilliseconds: 1_000, bucketMilliseconds: 1, forgetFactor: 0.983, initialMilliseconds: 80)
        for _ in 0..<2_000 { histogram.add(milliseconds: 2) }
        #expect(histogram.costMinimisingDelay(lateLossWorth: 15_750) == 3)
        // 200 ms spikes every 3 s: d + 15 750 · (200 − d) / 3 000 falls with d up to 200.
        let frequent = DelayHistogram.SpikeLateLoss(sortedHeights: [200, 200], rate: 1.0 / 3_000)
        #expect(histogram.costMinimisingDelay(lateLossWorth: 15_750, spikes: frequent) == 200)
        // Heights 100 and 300: the late share falls at rate/2 per ms above 100, the delay's cost
        // is 1 per ms, so it is worth holding above 100 only while 15 750 · rate / 2 > 1.
        let mixed = DelayHistogram.SpikeLateLoss(sortedHeights: [100, 300], rate: 1.0 / 3_000)
        #expect(histogram.costMinimisingDelay(lateLossWorth: 15_750, spikes: mixed) == 300)
        let rare = DelayHistogram.SpikeLateLoss(sortedHeights: [100, 300], rate: 1.0 / 10_000)
        #expect(histogram.costMinimisingDelay(lateLossWorth: 15_750, spikes: rare) == 100)
        let rarer = DelayHistogram.SpikeLateLoss(sortedHeights: [100, 300], rate: 1.0 / 40_000)
        #expect(histogram.costMinimisingDelay(lateLossWorth: 15_750, spikes: rarer) == 3)
    }

    /// In the buffer: spikes every 3 s of 200 ms; after two of them the target stays up between
    /// spikes and the later spikes are concealed far less than the first.
    @Test func theBufferConcealsLaterSpikesLessThanTheFirst() throws {
        var h = try JitterHarness()
        let spikes = [2_000.0, 5_000, 8_000, 11_000, 14_000]
        for k in 0..<800 {
            let sent = Double(k + 1) * 20
            var delay = 5.0
            if let start = spikes.last(where: { $0 <= sent }), sent < start + 200 { delay = start + 200 - sent + 5 }
            h.send(k, delay: delay)
        }
        var concealedBySpike: [Int] = []
        var before = 0
        for end in [4_000.0, 7_000, 10_000, 13_000, 16_000] {
            h.run(ticks: Int(end / 20) - h.tick)
            let concealed = h.buffer.statistics.concealedSamples
            concealedBySpike.append(concealed - before)
            before = concealed
        }
        #expect(h.buffer.targetDelayMilliseconds > 150, "target \(h.buffer.targetDelayMilliseconds)")
        #expect(concealedBySpike[3] + concealedBySpike[4] < concealedBySpike[0] / 2, "\(concealedBySpike)")
    }
}
