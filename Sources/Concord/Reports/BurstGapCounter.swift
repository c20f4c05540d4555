/// RFC 3611's burst and gap figures (§4.7.2) of one stream, over roughly the last ten reports.
///
/// A *burst* is a run of packets that starts and ends with a loss and in which no two losses are
/// separated by `gMin` (16) or more received packets; everything else is *gap*. A lone loss with
/// `gMin` received packets on both sides belongs to the gap, as in the RFC's algorithm. The
/// densities say how much of each is lost; the durations how long each lasts on average.
///
/// Counts are forgotten by `decay` (0.9) at every snapshot, so a path that changes shows in the
/// figures within a few reports instead of being diluted by the whole call: a sender adapting
/// its protection needs the recent shape of the loss, not its lifetime average. The gap in
/// progress decays with the rest, so after a long clean stretch the mean gap reads about ten
/// reports' worth of packets, not the length of the call.
public struct BurstGapCounter: Sendable, Equatable {
    public static let gMin = 16
    public static let decay = 0.9

    public struct Figures: Sendable, Equatable {
        /// Lost share of the packets inside bursts (0 when there was no burst).
        public var burstDensity: Double
        /// Lost share of the packets between bursts.
        public var gapDensity: Double
        /// Mean burst length, packets.
        public var burstPackets: Double
        /// Mean gap length, packets.
        public var gapPackets: Double
    }

    // Closed bursts and gaps, and the gap in progress (all decayed at each snapshot).
    private var burstPackets = 0.0
    private var burstLosses = 0.0
    private var bursts = 0.0
    private var gapPackets = 0.0
    private var gapLosses = 0.0
    private var gaps = 0.0
    private var openGapPackets = 0.0
    private var openGapLosses = 0.0

    // The open cluster of losses: from its first loss to its last, inclusive, and the packets
    // received since its last loss (fewer than `gMin`, or the cluster would have closed).
    private var clusterLosses = 0
    private var clusterPackets = 0
    private var receivedSinceLoss = 0

    public init() {}

    /// Counts one packet in sequence order: lost (a gap in the sequence) or received.
    public mutating func note(lost: Bool) {
        if lost {
            noteLost(1)
        } else if clusterLosses > 0 {
            receivedSinceLoss += 1
            if receivedSinceLoss >= Self.gMin {
                closeCluster()
                openGapPackets += Double(receivedSinceLoss)
                receivedSinceLoss = 0
            }
        } else {
            openGapPackets += 1
        }
    }

    /// `count` consecutive lost packets, in constant time (a sequence number far ahead costs no
    /// more than the next one): the same as `note(lost: true)` `count` times.
    public mutating func noteLost(_ count: Int) {
        guard count > 0 else { return }
        if clusterLosses > 0 {
            clusterPackets += receivedSinceLoss + count
            clusterLosses += count
        } else {
            clusterLosses = count
            clusterPackets = count
        }
        receivedSinceLoss = 0
    }

    /// A cluster followed by `gMin` receptions: a burst when it holds two losses or more (the gap
    /// before it closes), else a loss inside the gap.
    private mutating func closeCluster() {
        if clusterLosses >= 2 {
            if openGapPackets > 0 {
                gapPackets += openGapPackets
                gapLosses += openGapLosses
                gaps += 1
            }
            openGapPackets = 0
            openGapLosses = 0
            burstPackets += Double(clusterPackets)
            burstLosses += Double(clusterLosses)
            bursts += 1
        } else {
            openGapPackets += Double(clusterPackets)
            openGapLosses += Double(clusterLosses)
        }
        clusterLosses = 0
        clusterPackets = 0
    }

    /// The figures so far, counting the open cluster and the open gap as if they ended now;
    /// then forgets a tenth of every count.
    public mutating func snapshot() -> Figures {
        var bp = burstPackets, bl = burstLosses, b = bursts
        var gp = gapPackets, gl = gapLosses, g = gaps
        if clusterLosses >= 2 {
            // An open burst: the gap before it is complete, and what followed it opens another.
            bp += Double(clusterPackets)
            bl += Double(clusterLosses)
            b += 1
            for run in [openGapPackets, Double(receivedSinceLoss)] where run > 0 {
                gp += run
                g += 1
            }
            gl += openGapLosses
        } else {
            let open = openGapPackets + Double(clusterPackets + receivedSinceLoss)
            gp += open
            gl += openGapLosses + Double(clusterLosses)
            if open > 0 { g += 1 }
        }
        let figures = Figures(
            burstDensity: bp > 0 ? bl / bp : 0, gapDensity: gp > 0 ? gl / gp : 0,
            burstPackets: b > 0 ? bp / b : 0, gapPackets: g > 0 ? gp / g : 0)
        burstPackets *= Self.decay
        burstLosses *= Self.decay
        bursts *= Self.decay
        gapPackets *= Self.decay
        gapLosses *= Self.decay
        gaps *= Self.decay
        openGapPackets *= Self.decay
        openGapLosses *= Self.decay
        return figures
    }
}
