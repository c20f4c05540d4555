import Testing
@testable import Concord

/// The bandwidth estimator on synthetic report streams: one report a second, 50 packets each
/// (20 ms frames), the queueing delay and loss as a path with a given queue would show them.
@Suite struct BandwidthEstimatorTests {
    struct Path {
        var estimator = BandwidthEstimator()
        var second = 0
        var highest: UInt32 = 5_000
        var lost: UInt32 = 0
        /// The estimate after each report (nil: unconstrained).
        var estimates: [Double?] = []

        /// One report: of the `sent` packets of `bytes` each, the listener got `received`, found
        /// `lost` missing, and the rest are still held back in a queue of `queue` ms.
        mutating func report(
            queue: Double, received: Int = 50, lost newlyLost: Int = 0, sent: Int = 50, bytes: Double = 150,
            wanted: Double = 60_000
        ) {
            second += 1
            highest &+= UInt32(received + newlyLost)
            lost &+= UInt32(newlyLost)
            let now = Instant(nanoseconds: Int64(second) * 1_000_000_000)
            estimator.take(
                .init(
                    queueingMilliseconds: queue, sentAt: ReceiverReport.clock(now), highestSequence: highest,
                    cumulativeLost: lost, lossShare: Double(newlyLost) / Double(max(1, received + newlyLost)), meanWireBytes: bytes,
                    packetsSent: sent, sentSeconds: 1, packetsWhenTalking: 50, wantedBitsPerSecond: wanted),
                at: now)
            estimates.append(estimator.bitsPerSecond)
        }
    }

    @Test func aCleanPathSetsNoLimit() {
        var path = Path()
        for _ in 0..<30 { path.report(queue: 0) }
        #expect(path.estimates.allSatisfy { $0 == nil })
        #expect(path.estimator.backOffs == 0)
    }

    /// A slow link's own serialisation: tens of ms that do not grow, nothing lost.
    @Test func aStandingQueueWithoutLossIsNotOveruse() {
        var path = Path()
        for _ in 0..<5 { path.report(queue: 0) }
        for k in 0..<30 { path.report(queue: 70 + Double(k % 3) * 5) }
        #expect(path.estimator.backOffs == 0)
    }

    /// Jitter delays packets without holding them back: a delay that climbs for three
    /// reports while every packet arrives, then falls, is not a queue the talker fills.
    @Test func delayWithoutHoldingBackIsNotOveruse() {
        var path = Path()
        for _ in 0..<5 { path.report(queue: 0) }
        for q in [60.0, 90, 130, 40, 70, 110, 160, 20] { path.report(queue: q) }
        #expect(path.estimator.backOffs == 0)
    }

    /// A slight overload holds back too few packets to tell, but its queue climbs report after
    /// report: the fourth rise in a row is overuse.
    @Test func aSlowlyGrowingQueueIsOveruseAfterFourRises() {
        var path = Path()
        for _ in 0..<5 { path.report(queue: 0) }
        for q in [60.0, 100, 140] { path.report(queue: q, received: 48) }
        #expect(path.estimator.backOffs == 0)
        path.report(queue: 180, received: 48)
        #expect(path.estimator.backOffs == 1)
    }

    /// A talker in DTX silence filled no queue, whatever the delay did.
    @Test func aPausedTalkerDoesNotBackOff() {
        var path = Path()
        for _ in 0..<5 { path.report(queue: 0) }
        for q in [80.0, 300] { path.report(queue: q, received: 5, sent: 6) }
        #expect(path.estimator.backOffs == 0)
    }

    /// Wi-Fi scans: one report now and then lands in a 250 ms spike.
    @Test func loneDelaySpikesAreNotOveruse() {
        var path = Path()
        for k in 0..<60 { path.report(queue: k % 7 == 3 ? 250 : 5) }
        #expect(path.estimator.backOffs == 0)
        #expect(path.estimates.allSatisfy { $0 == nil })
    }

    /// A queue that grows report after report: back off to 0.85 × what arrived, then hold for a
    /// report, then creep up by 1 kbit/s to 0.95 × the congested rate and stay there.
    @Test func aGrowingQueueBacksOffBelowWhatArrived() throws {
        var path = Path()
        for _ in 0..<5 { path.report(queue: 0) }
        path.report(queue: 80, received: 44)
        #expect(path.estimator.backOffs == 0, "one report of a growing queue is not enough")
        path.report(queue: 300, received: 40)  // 40 × 150 B = 48 kbit/s arrived
        #expect(path.estimator.backOffs == 1)
        let backedOff = try #require(path.estimator.bitsPerSecond)
        #expect(abs(backedOff - 0.85 * 48_000) < 1)
        #expect(path.estimator.congestionBitsPerSecond.map { abs($0 - 48_000) < 1 } == true)
        path.report(queue: 400, received: 40)
        #expect(path.estimator.backOffs == 1, "held: the back-off has not reached the queue yet")
        // Draining, then standing at the serialisation delay: no further back-off.
        for q in [250.0, 120, 70, 65, 70, 68, 66, 70, 72, 69, 70, 68] { path.report(queue: q, bytes: 100) }
        #expect(path.estimator.backOffs == 1)
        let settled = try #require(path.estimator.bitsPerSecond)
        #expect(settled <= 0.95 * 48_000 + 1 && settled > backedOff, "\(path.estimates)")
        let last = path.estimates.suffix(4)
        #expect(Set(last.map { $0 ?? 0 }).count == 1, "steady under the bottleneck: \(last)")
    }

    /// A queue standing at twice the threshold, neither growing nor draining and losing
    /// nothing (a talker just over a bottleneck with a deep buffer): overuse after four reports.
    @Test func aHighStandingQueueIsOveruseAfterFourReports() {
        var path = Path()
        for _ in 0..<3 { path.report(queue: 0) }
        for q in [240.0, 250, 245] { path.report(queue: q) }
        #expect(path.estimator.backOffs == 0)
        path.report(queue: 248)
        #expect(path.estimator.backOffs == 1)
    }

    /// A full drop-tail queue stands still but loses packets: that is overuse too.
    @Test func aFullQueueThatDropsIsOveruse() {
        var path = Path()
        for _ in 0..<3 { path.report(queue: 0) }
        path.report(queue: 400, received: 44, lost: 6)
        path.report(queue: 405, received: 44, lost: 6)
        #expect(path.estimator.backOffs == 1)
    }

    /// The queue gone (the cross traffic left): the estimate grows by a quarter a report until it
    /// no longer limits anything.
    @Test func anEmptyPathLiftsTheLimitWithinSeconds() throws {
        var path = Path()
        for _ in 0..<3 { path.report(queue: 0) }
        path.report(queue: 200, received: 25)
        path.report(queue: 500, received: 25)  // 30 kbit/s arrived
        #expect(path.estimator.backOffs == 1)
        var reports = 0
        while path.estimator.bitsPerSecond != nil, reports < 20 {
            path.report(queue: 0)
            reports += 1
        }
        #expect(path.estimator.bitsPerSecond == nil)
        #expect(reports <= 6, "lifted after \(reports) reports: \(path.estimates)")
    }

    /// Garbage in a report (a listener that restarted its counting, a clock that jumped) gives
    /// no rate, and never a trap.
    @Test func nonsenseReportsGiveNoRate() {
        var estimator = BandwidthEstimator()
        let now = Instant(nanoseconds: 1_000_000_000)
        for (highest, lost, sentAt) in [(UInt32.max, UInt32.max, UInt32.max), (0, 0, 0), (7, UInt32.max, 1)] {
            estimator.take(
                .init(
                    queueingMilliseconds: .infinity, sentAt: sentAt, highestSequence: highest, cumulativeLost: lost,
                    meanWireBytes: .greatestFiniteMagnitude, wantedBitsPerSecond: 60_000),
                at: now)
        }
        #expect(estimator.bitsPerSecond == nil)
    }
}

/// Fitting the protection into the estimates: copies go first, then the primary's bitrate.
@Suite struct RateBudgetTests {
    let fps = 50.0

    func wire(_ primary: Int, copies: Int) -> Double {
        RateBudget.wireBitsPerSecond(primary: primary, copies: copies, copyBitrate: 16_000, framesPerSecond: fps, sealed: true)
    }

    @Test func theWireRateCountsEveryHeader() {
        // 32 kbit/s of Opus + 50 × (28 + 14 + 28) B of headers.
        #expect(wire(32_000, copies: 0) == 32_000 + 50 * 8 * 70)
        #expect(wire(32_000, copies: 1) == 32_000 + 16_000 + 50 * 8 * 74)
    }

    @Test func withoutEstimatesNothingChanges() {
        let wanted = ProtectionPolicy.Setting(copies: [1: 2], listeners: 1)
        #expect(RateBudget.fit(wanted, estimates: [:], primary: 32_000, copyBitrate: 16_000, frameMilliseconds: 20, sealed: true) == wanted)
    }

    @Test func copiesGiveWayBeforeThePrimary() {
        let wanted = ProtectionPolicy.Setting(copies: [1: 2, 2: 1], listeners: 2)
        // Listener 1's path carries one copy but not two; listener 2's none at all.
        let fitted = RateBudget.fit(
            wanted, estimates: [1: wire(32_000, copies: 1) + 100, 2: wire(32_000, copies: 0) + 100], primary: 32_000,
            copyBitrate: 16_000, frameMilliseconds: 20, sealed: true)
        #expect(fitted.copies == [1: 1])
        #expect(fitted.bitrate == nil)
        #expect(fitted.fecPercent == ProtectionPolicy.provisionalFECPercent, "listener 2 gets FEC instead")
    }

    @Test func thePrimaryFitsTheTightestListener() {
        let fitted = RateBudget.fit(
            ProtectionPolicy.Setting(listeners: 2), estimates: [1: 100_000, 2: 54_000], primary: 32_000,
            copyBitrate: 16_000, frameMilliseconds: 20, sealed: true)
        // 54 kbit/s less 28 kbit/s of headers.
        #expect(fitted.bitrate == 26_000)
        #expect(fitted.packetMilliseconds == nil)
        #expect(fitted.description == "none, 26 kbit/s")
    }

    @Test func longerPacketsWhenHeadersWouldLeaveTooLittle() {
        func fit(_ estimate: Double, now frames: Int = 1) -> ProtectionPolicy.Setting {
            RateBudget.fit(
                ProtectionPolicy.Setting(listeners: 1), estimates: [1: estimate], primary: 32_000, copyBitrate: 16_000,
                frameMilliseconds: 20, sealed: true, currentFramesPerPacket: frames)
        }
        // 44 kbit/s: 16 kbit/s left in 20 ms packets; 44 − 25 × 8 × 74 B = 29.2 in 40 ms ones.
        #expect(fit(44_000).bitrate == 29_000 && fit(44_000).packetMilliseconds == 40)
        #expect(fit(44_000).description == "none, 29 kbit/s in 40 ms packets")
        #expect(RateBudget.wireBitsPerSecond(primary: 29_000, copies: 0, copyBitrate: 16_000, framesPerSecond: fps, framesPerPacket: 2, sealed: true) <= 44_000)
        // 34 kbit/s: 19.2 kbit/s in 40 ms packets, 23.6 in 60 ms ones (16.7 × 8 × 78 B): still
        // below 24, so the longest.
        #expect(fit(34_000).bitrate == 23_000 && fit(34_000).packetMilliseconds == 60)
        // Starved: the longest packet at Opus's floor.
        #expect(fit(1_000).bitrate == RateBudget.minimumBitrate && fit(1_000).packetMilliseconds == 60)
        // Room for the primary as configured: nothing changes.
        #expect(fit(70_000) == ProtectionPolicy.Setting(listeners: 1))
        // 53 kbit/s leaves 25 in 20 ms packets: enough to start with, not enough to go back to
        // from 40 ms ones (28 needed); 57 is.
        #expect(fit(53_000).packetMilliseconds == nil && fit(53_000, now: 2).packetMilliseconds == 40)
        #expect(fit(57_000, now: 2).packetMilliseconds == nil && fit(57_000, now: 2).bitrate == 29_000)
    }
}
