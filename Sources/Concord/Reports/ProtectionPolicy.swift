/// What a talker spends on protecting its voice against loss, decided from its listeners'
/// receiver reports. A `VoiceClient` made with a policy feeds it every report and sets its
/// sender as it decides (`VoiceClient+Protection`).
///
/// **The rule.** For each listener, the packets its last reports covered and the ones they say
/// were lost, counted over windows of reports. The level goes up when a window of 4 or 8
/// reports of any current listener shows loss clearly above the next level's threshold: its
/// one-sided Wilson lower bound (95 %; 99 % to start FEC) is above it. It goes down when, for
/// every current listener, the level's end window (8 reports; 20 for FEC) shows loss clearly
/// below 0.7 of the threshold (upper bound). The sampling error of the counts and the band
/// between start and end keep a steady path still, also right on a threshold; a clear change
/// (0 → 10 %) shows within a few reports; protection is dropped more slowly than it is added.
/// Sooner still, a clear change of the path (`LossChange`, in the last 1–3 reports) makes the
/// listener forget the reports before it and take the level of the loss since.
/// Listeners not heard for `staleAfterSeconds`, or forgotten, do not count.
///
/// **Several listeners.** Each listener has its own level. Copies are per listener: the mesh
/// sends every listener its own datagram, so only the listeners whose paths need copies get
/// them (`Setting.copies`). In-band FEC lives inside the one encoded frame every listener gets:
/// it is on while any current listener's level is FEC, planned for the worst of them.
///
/// Levels (the measurements, 32 kbit/s, 20 ms: FEC is the cheapest help at low loss,
/// full copies beat FEC from about 10 %, and FEC plus copies is worse than copies alone):
/// below 1 % nothing; from 1 % in-band FEC planned for the loss seen; from 6 % one copy of the
/// previous frame; from 14 % two copies. And two as soon as one copy is seen not to be enough:
/// when, with one copy in use, a listener still conceals clearly more than 2.5 % of its frames
/// (over 4 reports sent after the change had reached it; concealment less what came too late,
/// and no more than the loss itself, so waits through delay spikes do not count). That is loss in bursts, which a copy of the previous
/// frame cannot recover; the RFC 3611 burst figures do not tell it — at 10 % random loss their
/// "bursts" (losses fewer than 16 packets apart) last tens of packets. Once set, the second copy
/// for bursts stays until the loss falls below the end of copies altogether.
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
    /// A change of the path is looked for in the last 1, 2 or 3 reports, against at least 4
    /// before them (`LossChange`). On one the earlier reports are forgotten and the level is
    /// set from the loss since — its best estimate, not its bounds: a change shows within one
    /// to three reports, when the windows above would take four to eight — but one copy at
    /// most; it then moves on clear evidence, as ever, once the new path has a window's worth
    /// of reports. Two copies only on evidence: on a step to 10 % the best estimate of 50–100
    /// packets chose them for one talker in six, and they stick (at 10 % there is never clear
    /// evidence of less than their end) along with the listener's wait for the copy three
    /// frames back, 40 ms for a whole 10 % phase in a real client's run. Bounds at 84 % instead
    /// of the estimate chose FEC on a first report that covered part of the step, and copies
    /// came 5–9 s later.
    static let changeWindows = [1, 2, 3]
    static let changeBaseline = 4
    /// Concealment, with one copy in use, above which a second copy is needed (the 99 % lower
    /// bound over `windows[0]` reports: the decision sticks, so it must not come from a bad few
    /// seconds). Random loss leaves p² with one copy: 2 % at 14 %, where two copies start anyway;
    /// bursts of three at 10 % leave about 7 %.
    public static let residualForSecondCopy = 0.025
    /// Reports arriving this soon after a change still describe the old setting (a report covers
    /// the second before it was sent, and the change needs a one-way trip to show).
    public static let settleSeconds = 1.5

    /// What the talker sends: FEC (in the one encoded frame) and copies per listener.
    public struct Setting: Sendable, Equatable, CustomStringConvertible {
        /// In-band FEC planned for this loss; nil: off.
        public var fecPercent: Int?
        /// Copies for each listener that gets any.
        public var copies: [PeerID: Int] = [:]
        /// Current listeners when it was decided (for the description only).
        public var listeners = 0
        /// The primary's bitrate when the paths cannot carry the configured one (`RateBudget`);
        /// nil: as configured. The policy itself never sets it.
        public var bitrate: Int?
        /// Frames sent together in one packet when headers every frame cost more than the paths
        /// carry (`RateBudget`); nil: one frame per packet. The policy itself never sets it.
        public var packetMilliseconds: Int?

        public init(
            fecPercent: Int? = nil, copies: [PeerID: Int] = [:], listeners: Int = 0, bitrate: Int? = nil,
            packetMilliseconds: Int? = nil
        ) {
            self.fecPercent = fecPercent
            self.copies = copies
            self.listeners = listeners
            self.bitrate = bitrate
            self.packetMilliseconds = packetMilliseconds
        }

        /// Equal when they send the same: the listener count is for the description only.
        public static func == (a: Setting, b: Setting) -> Bool {
            a.fecPercent == b.fecPercent && a.copies == b.copies && a.bitrate == b.bitrate
                && a.packetMilliseconds == b.packetMilliseconds
        }

        /// The most copies any listener gets.
        public var deepestCopies: Int { copies.values.max() ?? 0 }

        /// "none", "FEC 5 %", "1 copy" (to every listener), "2 copies to 1 of 3",
        /// "FEC 5 % + 1 copy to 2 of 3"; a lowered bitrate and longer packets after a comma:
        /// "FEC 10 %, 20 kbit/s", "none, 24 kbit/s in 40 ms packets".
        public var description: String {
            var parts: [String] = []
            if let fecPercent { parts.append("FEC \(fecPercent) %") }
            let counts = Dictionary(grouping: copies.values, by: { $0 }).mapValues(\.count).sorted { $0.key > $1.key }
            let everyone = counts.count == 1 && counts[0].value >= listeners
            var copyParts = counts.map { n, k in (n == 1 ? "1 copy" : "\(n) copies") + (everyone ? "" : " to \(k)") }
            if !everyone, !copyParts.isEmpty { copyParts[copyParts.count - 1] += " of \(listeners)" }
            parts += copyParts
            let protection = parts.isEmpty ? "none" : parts.joined(separator: " + ")
            var rate: [String] = []
            if let bitrate { rate.append("\(RateBudget.kilobits(bitrate)) kbit/s") }
            if let packetMilliseconds { rate.append("\(packetMilliseconds) ms packets") }
            return rate.isEmpty ? protection : protection + ", " + rate.joined(separator: " in ")
        }
    }

    /// The worst current listener's level: what the talker spends at most.
    public var protection: Protection {
        let levels = listeners.values.filter(\.current).map(\.level)
        switch levels.max() ?? 0 {
        case 0: return .none
        case 1: return .fec(expectedLossPercent: setting.fecPercent ?? Self.plannedLossPercent(0))
        case let level: return .copies(level - 1)
        }
    }
    /// Every path starts with FEC planned for this loss, until its reports say otherwise (see
    /// `provisionalEndWindow`): before anything is known FEC is the cheap bet — it costs no
    /// bitrate, a few hundredths of the speech-quality score on a clean path, and at 10 % loss
    /// it is worth 0.4 during the seconds the reports need to show the loss.
    public static let provisionalFECPercent = 10
    /// Reports after which the provisional FEC is judged like any start of FEC: it stays only if
    /// they show the evidence that would have started it (8 reports, 400 packets), and ends
    /// otherwise — not after the 20 clean ones that end FEC started on evidence.
    public static let provisionalEndWindow = 8

    public private(set) var setting = Setting(fecPercent: provisionalFECPercent)
    private var listeners: [PeerID: Listener] = [:]
    /// The bitrate of the copies (`VoiceSender.copyBitrate`).
    public let copyBitrate: Int
    /// Half the primary's bitrate, and at least 8 kbit/s (Opus narrowband speech still carries
    /// the words there): a copy stands in for a frame now and then, it need not match it.
    public static func copyBitrate(forPrimary bitrate: Int) -> Int { max(8_000, min(bitrate, bitrate / 2)) }

    /// - Parameter copyBitrate: 16 kbit/s by default, half the default 32 kbit/s primary.
    public init(copyBitrate: Int = 16_000) {
        self.copyBitrate = copyBitrate
    }

    /// The copies `listener` gets (0 when none, or when it is not a current listener).
    public func copies(for listener: PeerID) -> Int { setting.copies[listener] ?? 0 }

    /// One listener's report about this talker's voice; the new setting when it changes.
    public mutating func take(_ stream: ReceiverReport.Stream, from listener: PeerID, at now: Instant) -> Setting? {
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
                // Concealed for loss: not for lateness, and not more than was lost (a delay spike
                // is concealed while the buffer waits, with nothing lost that a copy could bring).
                let unrecovered = min(max(0, stream.concealedShare - stream.discardShare), stream.lossShare)
                l.intervals.append(
                    (Int(span), Int(max(-span, min(span, lost))), Int((unrecovered * Double(span)).rounded()), now))
                if l.intervals.count > Self.endWindows.max()! { l.intervals.removeFirst() }
            }
        }
        l.last = (stream.highestSequence, stream.cumulativeLost)
        listeners[listener] = l
        return decide(for: listener, now: now)
    }

    /// A listener that left: its reports no longer count.
    public mutating func forget(_ listener: PeerID) { listeners[listener] = nil }

    /// The loss share of `listener`'s last `reports` intervals and its Wilson bounds; nil when
    /// fewer intervals are known.
    func loss(of listener: PeerID, reports: Int, z: Double = confidenceZ) -> (share: Double, lower: Double, upper: Double)? {
        listeners[listener]?.loss(reports: reports, z: z)
    }

    static func wilson(lost: Double, of n: Double, z: Double = confidenceZ) -> (share: Double, lower: Double, upper: Double) {
        let p = min(1, max(0, lost / n))
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = z * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot() / (1 + z2 / n)
        return (p, max(0, centre - half), min(1, centre + half))
    }

    /// Moves `id`'s level as its reports say, marks who is current, and gathers the setting.
    private mutating func decide(for id: PeerID, now: Instant) -> Setting? {
        for key in listeners.keys { listeners[key]!.current = now.seconds - listeners[key]!.at.seconds <= Self.staleAfterSeconds }
        if var l = listeners[id] {
            l.decide(now: now)
            listeners[id] = l
        }
        var next = Setting(listeners: listeners.values.filter(\.current).count)
        for (key, l) in listeners where l.current {
            if l.level == 1 { next.fecPercent = max(next.fecPercent ?? 0, l.plannedFEC) }
            if l.level >= 2 { next.copies[key] = l.level - 1 }
        }
        guard next != setting else {
            setting.listeners = next.listeners
            return nil
        }
        setting = next
        return next
    }

    struct Listener {
        /// Per report interval, newest last: packets the interval covered, the loss counted, the
        /// frames concealed for loss (not lateness), and when the report came.
        var intervals: [(expected: Int, lost: Int, concealed: Int, at: Instant)] = []
        var last: (highest: UInt32, cumulativeLost: UInt32)?
        var at: Instant
        /// Heard within `staleAfterSeconds` at the last decision.
        var current = true
        /// 0 nothing, 1 FEC, 1 + n: n copies. A new path starts at FEC, provisionally.
        var level = 1
        /// FEC's planned loss for this listener, while its level is FEC.
        var plannedFEC = provisionalFECPercent
        /// The level is the starting guess, not yet moved by evidence.
        var provisional = true
        /// When `level` last changed.
        var changedAt: Instant?
        /// One copy was seen not to be enough: copies come in twos until the loss falls clearly low.
        var burstNeedsSecondCopy = false

        /// The reports since the path clearly changed (`LossChange`, over the last 1–3 reports
        /// against at least `changeBaseline` before them; the fewest that show it), and which
        /// way; nil: no change.
        func changedPath() -> (reports: Int, direction: LossChange.Direction)? {
            func count(_ slice: ArraySlice<(expected: Int, lost: Int, concealed: Int, at: Instant)>) -> (lost: Int, of: Int) {
                (max(0, slice.reduce(0) { $0 + $1.lost }), slice.reduce(0) { $0 + $1.expected })
            }
            for recent in changeWindows where intervals.count >= recent + changeBaseline {
                let split = intervals.count - recent
                let dispersion = LossChange.dispersion(of: intervals[..<split].map { ($0.lost, $0.expected) })
                let change = LossChange.test(recent: count(intervals[split...]), earlier: count(intervals[..<split]), dispersion: dispersion)
                if let change { return (recent, change) }
            }
            return nil
        }

        func loss(reports: Int, z: Double = confidenceZ) -> (share: Double, lower: Double, upper: Double)? {
            guard intervals.count >= reports else { return nil }
            let window = intervals.suffix(reports)
            let expected = window.reduce(0) { $0 + $1.expected }
            let lost = max(0, window.reduce(0) { $0 + $1.lost })
            return expected > 0 ? ProtectionPolicy.wilson(lost: Double(lost), of: Double(expected), z: z) : nil
        }

        mutating func decide(now: Instant) {
            if let (recent, direction) = changedPath() {
                // The path changed a few reports ago: what came before says nothing about it now.
                intervals.removeFirst(intervals.count - recent)
                let share = loss(reports: recent)?.share ?? 0
                let estimated = thresholds.lastIndex { share >= $0 }.map { $0 + 1 } ?? 0
                // Up to one copy on a rise, never below the level already held; down on a fall.
                let next = direction == .rise ? max(level, min(2, estimated)) : min(level, estimated)
                if next == 1, level != 1 || abs(share * 100 - Double(plannedFEC)) > 5 { plannedFEC = plannedLossPercent(share) }
                burstNeedsSecondCopy = false
                provisional = false
                if next != level {
                    level = next
                    changedAt = now
                }
                return
            }
            // After a change the windows may be longer than the path: then what it has.
            let share =
                loss(reports: windows[1])?.share ?? loss(reports: windows[0])?.share ?? loss(reports: intervals.count)?.share ?? 0
            if level == 2, let changedAt {
                let since = changedAt.seconds + settleSeconds
                let window = intervals.suffix(windows[0])
                if window.count == windows[0], window.allSatisfy({ $0.at.seconds >= since }) {
                    let expected = window.reduce(0) { $0 + $1.expected }
                    let concealed = window.reduce(0) { $0 + $1.concealed }
                    if expected > 0,
                        wilson(lost: Double(concealed), of: Double(expected), z: fecStartZ).lower > residualForSecondCopy
                    {
                        burstNeedsSecondCopy = true
                    }
                }
            }
            var next = level
            // Evidence of high loss: a window with its lower bound above the next threshold.
            while next < 3,
                windows.contains(where: { w in
                    (loss(reports: w, z: next == 0 ? fecStartZ : confidenceZ)?.lower ?? 0) > thresholds[next]
                })
            {
                next += 1
            }
            // Evidence of low loss: the upper bound over the level's end window below its end
            // threshold (too few reports to say keep the level).
            if next == level, provisional {
                if intervals.count >= provisionalEndWindow {
                    provisional = false
                    let evidence = windows.contains { w in (loss(reports: w, z: fecStartZ)?.lower ?? 0) > thresholds[0] }
                    if !evidence { next = 0 } else { plannedFEC = plannedLossPercent(share) }
                }
            } else if next == level {
                while next > 0, loss(reports: endWindows[next - 1]).map({ $0.upper < endThresholds[next - 1] }) ?? false {
                    next -= 1
                }
            }
            if next < 2 { burstNeedsSecondCopy = false }
            if next == 2, burstNeedsSecondCopy { next = 3 }
            if next == 1, !provisional {
                // The planned loss follows the estimate in 5-point steps, and only when it has
                // moved more than a step away: Opus re-plans its FEC bits, nothing worth a flap.
                if level != 1 || abs(share * 100 - Double(plannedFEC)) > 5 { plannedFEC = plannedLossPercent(share) }
            }
            if next != level {
                level = next
                changedAt = now
                provisional = false
            }
        }
    }

    /// Where a talker's `count` copies go, packets back (a frame each unless packets bundle
    /// frames): one copy of the previous packet; two spread to one and three packets back, which rebuild every frame of a run of up to three lost
    /// packets (frame k travels in k, k + 1 and k + 3) where copies of the last two frames lose
    /// the run's first. At random loss the two recover the same frames; the spread ones ask the
    /// listener to wait one frame longer for the few that need the second copy.
    public static func copyOffsets(_ count: Int) -> [Int] {
        switch count {
        case ...0: return []
        case 1: return [1]
        case 2: return [1, 3]
        default: return Array(1...min(count, VoicePacket.maxRedundantBlocks))
        }
    }

    /// FEC's planned loss in steps of 5 %, so it does not change with every report.
    static func plannedLossPercent(_ share: Double) -> Int { min(25, max(5, Int((share * 100 / 5).rounded(.up)) * 5)) }
}

extension ProtectionPolicy.Protection: CustomStringConvertible {
    /// "none", "FEC 10 %", "1 copy", "2 copies".
    public var description: String {
        switch self {
        case .none: return "none"
        case .fec(let percent): return "FEC \(percent) %"
        case .copies(let n): return n == 1 ? "1 copy" : "\(n) copies"
        }
    }
}
