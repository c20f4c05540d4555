/// How fast this talker may send to one listener, estimated from that listener's receiver
/// reports in the spirit of WebRTC's Google Congestion Control (draft-ietf-rmcat-gcc-02): back
/// off on a queue the talker fills, come back up to just under the rate that congested and stay
/// there, and lift the limit quickly once the queue is gone. `nil` while no limit is known: a voice call sends what it wants until the path
/// says otherwise, so a clean path never changes anything.
///
/// **The delay signal** is the one-way queueing delay q the listener reports (`QueueingDelay`:
/// the mean transit of the talker's packets over the report interval less the least transit of
/// the last 30 s). Reports come once a second, too seldom for GCC's per-packet delay gradient,
/// but like GCC it measures the talker → listener direction alone: the round trip of the
/// report echoes would also carry a queue standing on the way back, which this talker did not
/// fill and cannot drain.
///
/// **The rule**, per report:
/// - *overuse*: q above the threshold and growing (by more than `growthMilliseconds`) on two
///   reports in a row, each with the listener's highest sequence number advancing at less than
///   `thinnedShare` of the talker's packet rate (the queue holds packets back: a clear
///   overload); or on four reports in a row (a slight one, which holds back too few packets to
///   tell, fills the queue slowly: 40 ms a second at 4 % over); or q standing
///   above twice the threshold and not about to drain (not gone within `drainReports` at the
///   rate it fell since the previous report) on two reports that both lost more than
///   `fullQueueLoss` of the packets (a full drop-tail queue), or on four reports without loss
///   (a rate just at the bottleneck's, which a deep buffer holds for ever, or a back-off too
///   small for the queue it left). The threshold is `overuseMilliseconds`, or 4 × the
///   interarrival jitter the listener reports when higher: a jittery path (EDGE, congested
///   Wi-Fi) moves transit by hundreds of ms, while a queue that grows steadily adds
///   little jitter. A lone delay spike (a Wi-Fi scan) is gone one report later; a queue that
///   stands still below twice the threshold without loss is not overuse (on a slow link the
///   serialisation of each packet alone adds tens of ms); one draining fast enough is left to
///   drain.
/// - on overuse, at most once per `holdReports`: estimate = `backOff` × the rate the listener
///   received over its last report interval (its packets, at the mean size sent, over its own
///   interval), which is the bottleneck's rate when a queue stands, or × the estimate when that
///   is lower. The lower of the rates received at the back-offs is remembered.
///   Not while the talker sent fewer than half the packets a talker without pauses sends (DTX
///   in silence): it filled no queue, and its rate says nothing of the path.
/// - otherwise, while limited and q neither grows nor drains by more than `growthMilliseconds`
///   (a change in flight is let to show first): +25 % per report while the queue is empty
///   (q < 10 ms: the path has room, e.g. the cross traffic left); with a queue, +8 % per report
///   up to 0.95 × the remembered rate and no higher: a voice call wants a steady rate more than
///   the last few kbit/s, and a sawtooth of probes under the bottleneck would change the
///   bitrate every few seconds. It probes again when the queue is gone (or the least transit
///   of the window has moved up to the bottleneck's). Never above 1.5 × what the listener
///   received. Once the estimate passes 1.2 × the rate the talker wants, the limit is gone
///   (`nil`).
///
/// Random loss is not a congestion signal here: loss protection answers it (a voice call of
/// 30–90 kbit/s is rarely what fills a queue; a queue it fills shows as delay first).
public struct BandwidthEstimator: Sendable {
    public static let overuseMilliseconds = 50.0
    public static let growthMilliseconds = 10.0
    public static let fullQueueLoss = 0.1
    public static let thinnedShare = 0.9
    public static let jitterMultiple = 4.0
    public static let heldBackReportsForOveruse = 2
    public static let growingReportsForOveruse = 4
    public static let standingReportsForOveruse = 4
    public static let drainReports = 4
    public static let backOff = 0.85
    public static let holdReports = 2
    static let increaseFactor = 1.08
    static let emptyPathIncreaseFactor = 1.25
    static let steadyShare = 0.95
    static let receivedCap = 1.5
    static let releaseFactor = 1.2
    /// The estimate does not back off below this: Opus's 6 kbit/s and the headers of 50 packets
    /// a second already take 34 kbit/s, and what is left would only starve the receiver reports.
    public static let floorBitsPerSecond = 16_000.0

    /// One report, as the talker sees it.
    public struct Sample: Sendable {
        /// The one-way queueing delay the report gives, ms; nil when the listener heard nothing
        /// over the interval.
        public var queueingMilliseconds: Double?
        /// The listener's clock when it sent the report (`ReceiverReport.sentAt`).
        public var sentAt: UInt32
        public var highestSequence: UInt32
        public var cumulativeLost: UInt32
        /// The report's fraction lost.
        public var lossShare: Double
        /// The report's interarrival jitter, ms.
        public var jitterMilliseconds: Double
        /// Mean size on the wire (IP and UDP headers included) of what the talker sent to this
        /// listener since its previous report; nil when it sent nothing.
        public var meanWireBytes: Double?
        /// Voice packets the talker sent this listener since its previous report, over how many
        /// seconds, and how many a talker without pauses would have (DTX and mute send fewer).
        public var packetsSent: Int
        public var sentSeconds: Double
        public var packetsWhenTalking: Int
        /// What the talker would send now if unconstrained, bit/s on the wire.
        public var wantedBitsPerSecond: Double

        public init(
            queueingMilliseconds: Double?, sentAt: UInt32, highestSequence: UInt32, cumulativeLost: UInt32,
            lossShare: Double = 0, jitterMilliseconds: Double = 0, meanWireBytes: Double?, packetsSent: Int = 50, sentSeconds: Double = 1,
            packetsWhenTalking: Int = 50, wantedBitsPerSecond: Double
        ) {
            self.packetsSent = packetsSent
            self.sentSeconds = sentSeconds
            self.packetsWhenTalking = packetsWhenTalking
            self.lossShare = lossShare
            self.jitterMilliseconds = jitterMilliseconds
            self.queueingMilliseconds = queueingMilliseconds
            self.sentAt = sentAt
            self.highestSequence = highestSequence
            self.cumulativeLost = cumulativeLost
            self.meanWireBytes = meanWireBytes
            self.wantedBitsPerSecond = wantedBitsPerSecond
        }
    }

    /// Bit/s on the wire this listener's path carries; nil: no limit known.
    public private(set) var bitsPerSecond: Double?
    /// The rate received when the path last backed off.
    public private(set) var congestionBitsPerSecond: Double?
    /// The latest queueing delay seen, ms.
    public private(set) var queueingMilliseconds: Double?
    /// Times the estimate backed off.
    public private(set) var backOffs = 0

    private var previousQueueing: Double?
    private var previousLoss = 0.0
    /// q's change since the previous report.
    private var queueTrend: Double?
    /// Reports in a row whose q grew past the threshold; of them, the last ones in a row with
    /// packets held back.
    private var growingReports = 0
    /// Reports in a row with q above twice the threshold and not draining.
    private var standingReports = 0
    private var heldBackReports = 0
    private var last: (sentAt: UInt32, highest: UInt32, lost: UInt32)?
    private var reportsSinceBackOff = Int.max

    public init() {}

    /// Takes one report; true when the estimate changed.
    @discardableResult
    public mutating func take(_ sample: Sample, at now: Instant) -> Bool {
        let before = bitsPerSecond
        let (received, advanceRate) = receivedRates(sample)
        reportsSinceBackOff = reportsSinceBackOff == .max ? .max : reportsSinceBackOff + 1
        var overuse = false
        if let q = sample.queueingMilliseconds, q.isFinite, q >= 0 {
            let threshold = max(Self.overuseMilliseconds, Self.jitterMultiple * sample.jitterMilliseconds)
            if let previous = previousQueueing { queueTrend = q - previous } else { queueTrend = nil }
            // A growing queue holds back packets the talker sent: the listener's highest
            // sequence falls behind. Loss leaves gaps the highest sequence skips; jitter holds
            // packets back now and then, but not report after report while the delay climbs.
            let heldBack = advanceRate.map { rate in
                sample.sentSeconds > 0 && rate < Self.thinnedShare * Double(sample.packetsSent) / sample.sentSeconds
            } ?? false
            if let previous = previousQueueing, q > threshold, q - previous > Self.growthMilliseconds {
                growingReports += 1
                heldBackReports = heldBack ? heldBackReports + 1 : 0
            } else {
                growingReports = 0
                heldBackReports = 0
            }
            var full = false
            // Standing: above twice the threshold and not about to drain (gone within
            // `drainReports` at the rate it fell since the previous report).
            let drained = (previousQueueing ?? q) - q
            if q > 2 * threshold, drained * Double(Self.drainReports) < q {
                standingReports += 1
                full = sample.lossShare > Self.fullQueueLoss && previousLoss > Self.fullQueueLoss
            } else {
                standingReports = 0
            }
            previousLoss = sample.lossShare
            overuse = heldBackReports >= Self.heldBackReportsForOveruse || growingReports >= Self.growingReportsForOveruse
                || full || standingReports >= Self.standingReportsForOveruse
            previousQueueing = q
            queueingMilliseconds = q
        } else {
            previousQueueing = nil
            queueTrend = nil
            growingReports = 0
            heldBackReports = 0
            standingReports = 0
        }
        // A talker that paused for most of the interval (DTX) did not fill any queue: the delay is
        // someone else's, and what arrived says nothing of what the path carries.
        if 2 * sample.packetsSent < sample.packetsWhenTalking { overuse = false }
        if overuse, reportsSinceBackOff >= Self.holdReports, let received {
            // Below what is already allowed too: a queue that outlived one back-off needs another.
            bitsPerSecond = max(Self.floorBitsPerSecond, Self.backOff * min(bitsPerSecond ?? .infinity, received))
            congestionBitsPerSecond = min(congestionBitsPerSecond ?? .infinity, received)
            reportsSinceBackOff = 0
            backOffs += 1
        } else if !overuse, reportsSinceBackOff >= Self.holdReports, let current = bitsPerSecond,
            abs(queueTrend ?? 0) <= Self.growthMilliseconds
        {
            var next = current * Self.increaseFactor
            if let q = queueingMilliseconds, q < Self.growthMilliseconds {
                next = current * Self.emptyPathIncreaseFactor
            } else if let congested = congestionBitsPerSecond {
                next = min(next, max(current, Self.steadyShare * congested))
            }
            if let received { next = min(next, max(current, Self.receivedCap * received)) }
            bitsPerSecond = next >= Self.releaseFactor * sample.wantedBitsPerSecond ? nil : next
        }
        return bitsPerSecond != before
    }

    /// The listener's packets over its own report interval at the mean size the talker sent, in
    /// bit/s, and how fast its highest sequence number advanced, per second.
    private mutating func receivedRates(_ sample: Sample) -> (bitsPerSecond: Double?, advancePerSecond: Double?) {
        defer { last = (sample.sentAt, sample.highestSequence, sample.cumulativeLost) }
        guard let last else { return (nil, nil) }
        let seconds = ReceiverReport.milliseconds(sample.sentAt &- last.sentAt) / 1000
        let span = Int64(sample.highestSequence) - Int64(last.highest)
        let lost = Int64(sample.cumulativeLost) - Int64(last.lost)
        // A listener that starts counting anew, or an interval too short to rate, says nothing.
        guard seconds >= 0.2, seconds <= 10, span >= 0, span <= 1 << 15 else { return (nil, nil) }
        let packetRate = Double(max(0, span - max(0, lost))) / seconds
        return (sample.meanWireBytes.map { packetRate * $0 * 8 }, Double(span) / seconds)
    }
}
