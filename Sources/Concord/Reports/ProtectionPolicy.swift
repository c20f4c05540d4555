/// What a talker spends on protecting its voice against loss, decided from its listeners'
/// receiver reports (issue 16, item 2; not yet wired to the sender).
///
/// **The rule.** For each listener, the packets its last reports covered and the ones they say
/// were lost, counted over windows of reports. The level goes up when a window of 4 or 8
/// reports of any current listener shows loss clearly above the next level's threshold: its
/// one-sided Wilson lower bound (95 %; 99 % to start FEC) is above it. It goes down when, for
/// every current listener, the level's end window (8 reports; 20 for FEC) shows loss clearly
/// below 0.7 of the threshold (upper bound). The sampling error of the counts and the band
/// between start and end keep a steady path still, also right on a threshold; a clear change
/// (0 → 10 %) shows within a few reports; protection is dropped more slowly than it is added.
/// Listeners not heard for `staleAfterSeconds`, or forgotten, do not count. One encode goes to
/// every listener, so the worst listener decides.
///
/// Levels (the measurements, 32 kbit/s, 20 ms: FEC is the cheapest help at low loss,
/// full copies beat FEC from about 10 %, and FEC plus copies is worse than copies alone):
/// below 1 % nothing; from 1 % in-band FEC planned for the loss seen; from 6 % one copy of the
/// previous frame; from 14 % two copies, and two as soon as copies are needed at all when the
/// loss comes in bursts of two or more packets, which a copy of the previous frame alone cannot
/// recover.
public struct ProtectionPolicy: Sendable {
    public enum Protection: Equatable, Sendable, Comparable {
        case none
        /// Opus in-band FEC, with `OPUS_SET_PACKET_LOSS_PERC` at this figure.
        case fec(expectedLossPercent: Int)
        /// This many earlier frames repeated in each packet.
        case copies(Int)

        var level: Int {
            switch self {
            case .none: return 0
            case .fec: return 1
            case .copies(let n): return 1 + n
            }
        }

        public static func < (a: Protection, b: Protection) -> Bool { a.level < b.level }
    }

    /// Loss at which each level starts: FEC, one copy, two copies.
    public static let thresholds = [0.01, 0.06, 0.14]
    /// Loss below which each level ends: 0.7 of where it starts. Without this band a path whose
    /// loss sits right on a threshold shows clear evidence either way every few tens of reports
    /// (the bounds are 95 % one-sided, over several windows) and flaps. 0.7 keeps FEC's end
    /// reachable: 8 clean reports (400 packets) put the upper bound at 0.67 %.
    public static let endThresholds = thresholds.map { 0.7 * $0 }
    /// z of the one-sided Wilson bounds (95 %), and of the evidence that starts FEC (99 %): at
    /// half FEC's threshold, five losses in 200 packets come every few minutes at 95 %.
    public static let confidenceZ = 1.64
    public static let fecStartZ = 2.33
    /// Reports per window that may start a level: 200 packets at least (on 2 reports, a 3 %
    /// path shows ten losses in a hundred packets a few times an hour and would add a copy for a
    /// few seconds).
    public static let windows = [4, 8]
    /// The window that may end each level (FEC, one copy, two copies). Ending FEC needs 20
    /// clean-enough reports: at 0.5–1 % loss a clean 8 s comes every minute or two, and FEC
    /// would flap with it; a clean 20 s at 1 % does not come (p = 4·10⁻⁵).
    public static let endWindows = [20, 8, 8]
    public static let staleAfterSeconds = 3.0
    /// Mean burst (packets) above which the previous frame's copy alone does not recover.
    public static let burstPacketsForSecondCopy = 2.0

    struct Listener {
        /// Per report interval, newest last: packets the interval covered and the loss counted.
        var intervals: [(expected: Int, lost: Int)] = []
        var burstPackets = 0.0
        var last: (highest: UInt32, cumulativeLost: UInt32)?
        var at: Instant
    }

    public private(set) var protection = Protection.none
    private var listeners: [PeerID: Listener] = [:]
    private let frameMilliseconds: Double

    public init(frameMilliseconds: Int) { self.frameMilliseconds = Double(max(1, frameMilliseconds)) }

    /// One listener's report about this talker's voice; the new protection when it changes.
    public mutating func take(_ stream: ReceiverReport.Stream, from listener: PeerID, at now: Instant) -> Protection? {
        var l = listeners[listener] ?? Listener(at: now)
        l.at = now
        if let last = l.last {
            let span = Int64(stream.highestSequence) - Int64(last.highest)
            if span < 0 || span > 1 << 15 {
                // The listener counts anew (it dropped and re-added this talker): start over.
                l = Listener(at: now)
            } else if span > 0 {
                // A late packet counted lost before lowers the cumulative figure: it may go down.
                let lost = Int64(stream.cumulativeLost) - Int64(last.cumulativeLost)
                l.intervals.append((Int(span), Int(max(-span, min(span, lost)))))
                if l.intervals.count > Self.endWindows.max()! { l.intervals.removeFirst() }
            }
        }
        l.last = (stream.highestSequence, stream.cumulativeLost)
        l.burstPackets = Double(stream.burstDurationMilliseconds) / frameMilliseconds
        listeners[listener] = l
        return decide(now: now)
    }

    /// A listener that left: its reports no longer count.
    public mutating func forget(_ listener: PeerID) { listeners[listener] = nil }

    /// The loss share of `listener`'s last `reports` intervals and its Wilson bounds; nil when
    /// fewer intervals are known.
    func loss(of listener: PeerID, reports: Int, z: Double = confidenceZ) -> (share: Double, lower: Double, upper: Double)? {
        guard let l = listeners[listener], l.intervals.count >= reports else { return nil }
        let window = l.intervals.suffix(reports)
        let expected = window.reduce(0) { $0 + $1.expected }
        let lost = max(0, window.reduce(0) { $0 + $1.lost })
        return expected > 0 ? Self.wilson(lost: Double(lost), of: Double(expected), z: z) : nil
    }

    static func wilson(lost: Double, of n: Double, z: Double = confidenceZ) -> (share: Double, lower: Double, upper: Double) {
        let p = min(1, max(0, lost / n))
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (p, max(0, centre - half), min(1, centre + half))
    }

    private mutating func decide(now: Instant) -> Protection? {
        let current = listeners.filter { now.seconds - $0.value.at.seconds <= Self.staleAfterSeconds }
        guard !current.isEmpty else { return nil }
        var share = 0.0
        var burst = 0.0
        for id in current.keys {
            share = max(share, loss(of: id, reports: Self.windows[1])?.share ?? loss(of: id, reports: Self.windows[0])?.share ?? 0)
            burst = max(burst, current[id]!.burstPackets)
        }
        var level = protection.level
        // Evidence of high loss: any window of any current listener with its lower bound above
        // the next level's threshold.
        while level < 3,
            current.keys.contains(where: { id in
                Self.windows.contains { w in
                    let z = level == 0 ? Self.fecStartZ : Self.confidenceZ
                    return (loss(of: id, reports: w, z: z)?.lower ?? 0) > Self.thresholds[level]
                }
            })
        {
            level += 1
        }
        // Evidence of low loss: every current listener's upper bound over the level's end
        // window below its end threshold (a listener with too few reports to say keeps it).
        if level == protection.level {
            while level > 0,
                current.keys.allSatisfy({ id in
                    loss(of: id, reports: Self.endWindows[level - 1]).map { $0.upper < Self.endThresholds[level - 1] } ?? false
                })
            {
                level -= 1
            }
        }
        if level == 2, burst >= Self.burstPacketsForSecondCopy { level = 3 }
        let next: Protection
        switch level {
        case 0: next = .none
        case 1:
            // The planned loss follows the estimate in 5-point steps, and only when it has moved
            // more than a step away: Opus re-plans its FEC bits, nothing worth a flap.
            if case .fec(let planned) = protection, abs(share * 100 - Double(planned)) <= 5 {
                next = protection
            } else {
                next = .fec(expectedLossPercent: Self.plannedLossPercent(share))
            }
        default: next = .copies(level - 1)
        }
        guard next != protection else { return nil }
        protection = next
        return next
    }

    /// FEC's planned loss in steps of 5 %, so it does not change with every report.
    static func plannedLossPercent(_ share: Double) -> Int { min(25, max(5, Int((share * 100 / 5).rounded(.up)) * 5)) }
}
