import Testing
@testable import Concord

/// The stream block a listener builds from the voice it received (RFC 3550 A.3's interval
/// arithmetic, the jitter estimator, the burst figures in milliseconds).
@Suite struct VoiceArrivalsReportTests {
    /// 20 ms packets from `first`, arriving on time except for `jitterMs` alternating ±.
    private func arrivals(
        first: UInt16 = 0, count: Int, lost: Set<Int> = [], jitterMs: Double = 0, into a: inout VoiceArrivals
    ) {
        for i in 0..<count where !lost.contains(i) {
            let offset = i % 2 == 0 ? jitterMs : -jitterMs
            a.note(
                first &+ UInt16(truncatingIfNeeded: i), timestamp: UInt32(truncatingIfNeeded: 1_000 + 960 * i),
                at: .milliseconds(1_000 + 20 * Double(i) + offset))
        }
    }

    private func report(_ a: inout VoiceArrivals, _ playout: JitterBufferStatistics) throws -> ReceiverReport.Stream {
        let stream = a.report(playout: playout)
        return try #require(stream)
    }

    @Test func lossCountsAndBurstsInMilliseconds() throws {
        var a = VoiceArrivals()
        #expect(a.report(playout: .init()) == nil)
        arrivals(count: 100, lost: [10, 11, 12, 50], into: &a)
        let first = try report(&a, .init())
        #expect(first.highestSequence == 99 && first.cumulativeLost == 4)
        #expect(first.fractionLost == ReceiverReport.Stream.per256(0.04))
        #expect(first.interarrivalJitter == 0)
        #expect(first.burstDensity == 255 && first.burstDurationMilliseconds == 60)  // one burst of three
        // Gaps: 10 before the burst, 87 after it (with the lone loss at 50).
        #expect(first.gapDensity == ReceiverReport.Stream.per256(1.0 / 87))
        #expect(first.gapDurationMilliseconds == UInt16((97.0 / 2 * 20).rounded()))
    }

    /// Loss is counted per interval: a clean second after a lossy one reports 0.
    @Test func fractionLostIsSinceThePreviousReport() throws {
        var a = VoiceArrivals()
        var b = VoiceArrivals()
        arrivals(count: 50, lost: [5, 25], into: &a)
        arrivals(count: 50, lost: [5, 25], into: &b)
        _ = a.report(playout: .init())
        for i in 50..<100 {
            a.note(UInt16(i), timestamp: UInt32(1_000 + 960 * i), at: .milliseconds(1_000 + 20 * Double(i)))
        }
        let second = try report(&a, .init())
        #expect(second.fractionLost == 0 && second.cumulativeLost == 2 && second.highestSequence == 99)
        #expect(b.report(playout: .init())?.fractionLost == ReceiverReport.Stream.per256(2.0 / 50))
    }

    /// Sequence numbers wrap into the cycle count (RFC 3550's extended highest sequence).
    @Test func highestSequenceCountsCycles() throws {
        var a = VoiceArrivals()
        arrivals(first: 65_500, count: 100, into: &a)
        let report = try report(&a, .init())
        // Unwrapped from the first packet: 65 500 + 99 = 65 599 = 1 cycle and 63.
        #expect(report.highestSequence == 65_599)
        #expect(report.cumulativeLost == 0)
    }

    /// Arrivals alternately 5 ms early and late: consecutive transits differ by 10 ms, so the
    /// RFC 3550 estimate converges to 10 ms (480 samples).
    @Test func jitterOfAnAlternatingSchedule() throws {
        var a = VoiceArrivals()
        arrivals(count: 300, jitterMs: 5, into: &a)
        let report = try report(&a, .init())
        #expect(abs(report.jitterMilliseconds - 10) < 0.1, "\(report.jitterMilliseconds)")
    }

    /// The playout figures are the buffer's, differenced since the previous report.
    @Test func playoutFiguresAreSinceThePreviousReport() throws {
        var a = VoiceArrivals()
        arrivals(count: 50, into: &a)
        var playout = JitterBufferStatistics()
        playout.jitterBufferDelay = 40 * 0.060
        playout.jitterBufferEmittedCount = 40
        playout.totalSamplesReceived = 48_000
        playout.concealedSamples = 480
        playout.targetDelayMilliseconds = 55.4
        playout.packetsDiscardedLate = 1
        let first = try report(&a, playout)
        #expect(first.playoutDelayMilliseconds == 60 && first.targetDelayMilliseconds == 55)
        #expect(first.concealedFraction == ReceiverReport.Stream.per65536(0.01))
        #expect(first.fractionDiscarded == ReceiverReport.Stream.per256(1.0 / 50))
        arrivals(count: 100, into: &a)  // sequence 0...99 again: duplicates, nothing new expected
        playout.jitterBufferDelay += 10 * 0.030
        playout.jitterBufferEmittedCount += 10
        let second = try report(&a, playout)
        #expect(second.playoutDelayMilliseconds == 30 && second.concealedFraction == 0 && second.fractionDiscarded == 0)
    }
}
