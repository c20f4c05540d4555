/// RFC 3611 §4.7.2 burst/gap metrics, computed with the state counting of Appendix A.2.
///
/// Input: one flag per packet in sequence-number order, `true` when the packet was *lost or
/// discarded* (the RFC treats both alike). A **burst** is the longest run that starts and ends
/// with a lost packet and holds no Gmin (16) or more consecutive received packets, and contains at
/// least two losses: a loss with ≥ Gmin received packets on both sides is an isolated loss and
/// belongs to the surrounding **gap**. Following §4.7.2, the stream is taken to be preceded and
/// followed by at least Gmin received packets, so a loss at either end is judged on its inner
/// side only.
///
/// Appendix A.2 counts, online, the transitions of a four-state Markov model (1 = received in a
/// gap, 2 = received in a burst, 3 = lost in a burst, 4 = isolated loss in a gap):
/// c11 (gap receptions), c13 (bursts closed), c14 (isolated losses), c22 + c23 (receptions inside
/// bursts; c23 counts the runs), c33 (back-to-back losses in bursts). We follow it line by line,
/// with two boundary corrections that make the counts exact rather than estimates: the first
/// loss does not close a phantom burst (the RFC's code starts with `lost = 0` and would count
/// c13 once too often), and at the end of the sequence the pending cluster is closed and the
/// trailing receptions credited to the gap (the RFC's code leaves both uncounted until the next
/// loss). With exact counts the RFC's estimators reduce to plain ratios, which is what we report:
/// burst density p23/(p23 + p32) = losses in bursts / packets in bursts, gap density
/// c14/(c11 + c14) = losses in gaps / packets in gaps.
///
/// Durations are means over bursts and over gaps (maximal non-empty runs of gap packets) times
/// the packet duration. The RFC's `gap_length = (c11 + c14 + c13)·m / c13` divides by the
/// number of bursts instead, which overstates a stream's single gap when there is no burst
/// (it is undefined then); our mean is the §4.7.2 definition counted directly.
public struct BurstGapAnalyzer: Sendable, Equatable {
    /// Gmin: received packets needed on each side of a loss for it to lie in a gap.
    public let gmin: Int
    /// Appendix A.2 transition counts.
    public private(set) var c11 = 0, c13 = 0, c14 = 0, c22 = 0, c23 = 0, c33 = 0
    /// Packets received since the last loss (A.2 `pkt`).
    private var received = 0
    /// Losses in the current cluster (A.2 `lost`); 0 before the first loss.
    private var clusterLosses = 0
    /// Gap packets credited since the last burst closed, to count gaps.
    private var gapPacketsSinceBurst = 0
    public private(set) var gaps = 0
    /// Lengths of runs of consecutive losses, to report the mean run (the E-model's burstiness).
    private var currentLossRun = 0
    public private(set) var lossRuns = 0
    public private(set) var lossesInRuns = 0
    private var finished = false

    public init(gmin: Int = 16) {
        self.gmin = max(1, gmin)
    }

    /// Feeds the next packet in sequence order (ignored once `finish()` has closed the sequence).
    public mutating func add(lost: Bool) {
        guard !finished else { return }
        if !lost {
            received += 1
            if currentLossRun > 0 {
                lossRuns += 1
                lossesInRuns += currentLossRun
                currentLossRun = 0
            }
            return
        }
        currentLossRun += 1
        if clusterLosses == 0 || received >= gmin {
            // This loss starts a new cluster: close the previous one, then the receptions
            // between the two lie in a gap.
            closeCluster()
            clusterLosses = 1
            c11 += received
            gapPacketsSinceBurst += received
        } else {
            clusterLosses += 1
            if received == 0 {
                c33 += 1
            } else {
                c23 += 1
                c22 += received - 1
            }
        }
        received = 0
    }

    private mutating func closeCluster() {
        switch clusterLosses {
        case 0: break
        case 1:
            c14 += 1
            gapPacketsSinceBurst += 1
        default:
            c13 += 1
            if gapPacketsSinceBurst > 0 { gaps += 1 }
            gapPacketsSinceBurst = 0
        }
    }

    /// Closes the sequence (the stream is assumed followed by Gmin received packets).
    public mutating func finish() {
        guard !finished else { return }
        finished = true
        closeCluster()
        clusterLosses = 0
        c11 += received
        gapPacketsSinceBurst += received
        received = 0
        if gapPacketsSinceBurst > 0 { gaps += 1 }
        gapPacketsSinceBurst = 0
        if currentLossRun > 0 {
            lossRuns += 1
            lossesInRuns += currentLossRun
            currentLossRun = 0
        }
    }

    /// Bursts closed so far.
    public var bursts: Int { c13 }
    /// Losses inside bursts: each burst's first loss plus every later one (c23 + c33).
    public var burstLosses: Int { c13 + c23 + c33 }
    public var burstPackets: Int { burstLosses + c22 + c23 }
    public var gapLosses: Int { c14 }
    public var gapPackets: Int { c11 + c14 }

    /// The report, for packets lasting `packetMilliseconds` each (call after `finish()`).
    public func report(packetMilliseconds: Double) -> BurstGapReport {
        let m = packetMilliseconds.isFinite ? max(0, packetMilliseconds) : 0
        func ratio(_ a: Int, _ b: Int) -> Double { b > 0 ? Double(a) / Double(b) : 0 }
        return BurstGapReport(
            burstDensity: ratio(burstLosses, burstPackets),
            gapDensity: ratio(gapLosses, gapPackets),
            burstDurationMs: ratio(burstPackets, bursts) * m,
            gapDurationMs: ratio(gapPackets, gaps) * m,
            meanLossRunPackets: ratio(lossesInRuns, lossRuns))
    }

    /// Burst/gap metrics of a whole per-packet loss sequence (sequence order; `true` = lost or
    /// discarded). Empty input gives all zeros.
    public static func analyze(lost: [Bool], packetMilliseconds: Double, gmin: Int = 16) -> BurstGapReport {
        var analyzer = BurstGapAnalyzer(gmin: gmin)
        for flag in lost { analyzer.add(lost: flag) }
        analyzer.finish()
        return analyzer.report(packetMilliseconds: packetMilliseconds)
    }
}
