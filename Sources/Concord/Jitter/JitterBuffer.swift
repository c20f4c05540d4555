/// What the receiver must do to produce the next playout frame.
public enum PlayoutDecision: Equatable, Sendable {
    /// Decode this Opus frame.
    case decode([UInt8])
    /// The frame is lost; rebuild it from the in-band FEC of this (the next) packet.
    case decodeFEC(next: [UInt8])
    /// Packet-loss concealment of this many samples: a whole frame, less where a later frame
    /// is already here and the delay allows playing it sooner, or a step of half a frame while
    /// nothing is here (see `JitterBuffer`).
    case conceal(samples: Int)
    /// Play silence.
    case silence
}

/// An adaptive jitter buffer for one remote stream: it reorders packets, drops duplicates and
/// late ones, decides which frame to decode next, and tells its playout how far to stretch the
/// decoded audio to reach the delay it wants.
///
/// The target delay: each arrival's *relative delay* — its transit time minus a reference
/// transit, the smallest in the last 2 s carried along a rising queue (`TransitBaseline`), plus
/// what a packet of several frames made its oldest frame wait — feeds a forgetting histogram (NetEq's, in 1 ms buckets), and the target is the delay that
/// minimises delay plus the cost of the packets it would make late — those the histogram
/// predicts and those recurring spikes would (`DelayPeakDetector`) — priced from the E-model
/// (`JitterBufferSettings.lateLossWorthMilliseconds`), clamped to [min, max]. Where NetEq
/// plays at a fixed 0.95 quantile, this covers the tail as long as a late packet would cost more
/// than the delay that saves it. Before the stream has said
/// anything about its path the target is the initial delay, weighted as a small fraction of an
/// arrival: it carries the first packets and is outweighed within about ten, so the playout
/// reaches the measured target by stretching, not by a cut. Three first arrivals whose transits
/// agree within a bucket drop it at once (`AgreeingFirstArrivals`): a jitter-free stream starts
/// after 40 ms instead of 80 and has half as much to stretch away.
///
/// Delay is changed only by stretching the decoded audio (`playoutCorrection`, done by the
/// playout) and, at the start of every talk-spurt, by re-aligning for free. The playout pulls
/// a fixed number of samples per tick and a frame must be in the buffer at the tick that first
/// needs it, so the delays a frame can be *needed* at form a grid one pull apart; the buffer
/// aims at the lowest point of that grid at or above the target, and at playing every frame as
/// soon as it is needed (no samples left over from the last pull).
///
/// A missing frame is recovered from FEC or redundancy when a later packet carrying it is there
/// (so a stream that carries either keeps an adaptive target of as many frames as the losses
/// those frames rebuild pay for, `RecoveryLags`); when
/// nothing has arrived yet the buffer conceals *without* moving on, half a frame at a time, so
/// a late packet (a delay spike) is still played and the delay grows (by whole steps, not
/// whole frames) instead of the audio breaking twice. What was concealed while waiting then
/// stands in for lost frames if later packets turn up: a frame of it per frame, and the rest,
/// half a frame at least, for one more — so a lost frame whose successor is a little late
/// costs half a frame, not a whole one (NetEq expands 10 ms at a time and merges into what has
/// arrived: on the `4g` preset that took Concord's concealment from 0.64 to 0.43 %, NetEq's 0.50).
/// When a later frame *is* here, the lost one is concealed only as long as the frames behind it
/// then still play at `shortenedConcealmentFloor` of the target or more, half a frame at least
/// (NetEq merges into the next packet after one 10 ms expand on the same condition): the frames
/// behind play sooner, the playout stretches back up to the target where the audio allows, and
/// less of the stream is synthetic. Before the first wait, a frame still missing one pull before
/// it is needed may be given up to half a frame by stretching what is left to play
/// (`shouldStretchForMissingFrame`), when such frames have been coming in that time.
///
/// Decoding and stretching are the caller's job (`JitterBufferPlayout`): this type only stores
/// and decides, which keeps it testable without a codec.
public struct JitterBuffer {
    public let settings: JitterBufferSettings
    public let frameSamples: Int
    public private(set) var statistics = JitterBufferStatistics()
    /// Whether `nextFrame` logs a `PlayoutEvent` for `takeEvents`; starts as
    /// `settings.recordEvents`. A driver that analyses only some streams turns it off for the
    /// others: the log costs an append per frame, and in a big room most streams are silence.
    public var recordsEvents: Bool

    private struct Entry {
        var timestamp: Int64
        /// nil for frames recovered from another packet's redundancy.
        var sequence: Int64?
        var flags: VoicePacket.Flags
        var payload: [UInt8]
        var arrival: Instant
        /// The packet's oldest frame (its only frame, unless the packet bundles several): the
        /// one a sequence number is counted by.
        var opensPacket = true
    }

    private enum Phase {
        /// Nothing received yet.
        case idle
        /// Between talk-spurts: waiting until the next packet is due.
        case silent
        /// Playing consecutive frames from `playoutTimestamp`.
        case talking
    }

    /// Sorted by timestamp; small (a few dozen at most), so a sorted array beats a tree.
    private var entries: [Entry] = []
    private var phase = Phase.idle
    /// The media timestamp of the next frame to play.
    private var playoutTimestamp: Int64 = 0
    /// Samples concealed while waiting for `playoutTimestamp`.
    private var heldSamples = 0
    private var lastPlayedSequence: Int64?
    private var lastOutcomeWasConcealment = false
    private var sequenceUnwrapper = SequenceUnwrapper<UInt16>()
    private var timestampUnwrapper = SequenceUnwrapper<UInt32>()
    private var seenSequences: [Int64]
    private var histogram: DelayHistogram
    private var peaks: DelayPeakDetector
    /// The histogram's cost-minimising delay, spikes aside.
    private var histogramTarget: Double
    private var transits = TransitBaseline()
    private var firstArrivals: AgreeingFirstArrivals
    private var events: [PlayoutEvent] = []
    /// A stretch noted when no event was waiting to carry it: it goes on the next one.
    private var unloggedStretch = 0
    /// How many frames back the stream's packets can rebuild a loss: 1 with FEC, the depth of its
    /// copies with redundancy, 0 without either (the latest packet in speech says; the sender
    /// may change its protection mid-call). Rebuilding frame k from packet k + w needs that
    /// packet in the buffer when k is due, so the target is kept at w frames for the deepest w
    /// whose extra losses rebuilt are worth the delay (`recoveryFloor`).
    private var recoveryDepth = 0
    /// Frames in the stream's last packet that was not a DTX marker: copies and recovery lags
    /// count packets, each this many frames.
    private var framesPerPacket = 1
    private var recoveryLags = RecoveryLags()
    private var missingFrameOdds = MissingFrameOdds()
    /// The frame found missing one pull before it was needed, until it is scored: when it was
    /// needed and when it came.
    private var missingFrame: (timestamp: Int64, neededAt: Double, arrival: Double?)?
    /// The last frame found missing so, observed once however many pulls it stays missing.
    private var lastMissingTimestamp: Int64?
    /// Samples inserted so far to give that frame longer.
    private var stretchedForMissingFrame = 0

    private var frameMilliseconds: Double { milliseconds(ofSamples: frameSamples) }
    private func milliseconds(ofSamples count: Int) -> Double { Double(count) * 1000 / Double(AudioFormat.sampleRate) }

    public init(settings: JitterBufferSettings = .init(), frameSamples: Int) throws(JitterBufferError) {
        try settings.validate()
        guard frameSamples > 0 else {
            throw .invalidSetting(name: "frameSamples", value: "\(frameSamples)", allowed: "> 0")
        }
        self.settings = settings
        self.frameSamples = frameSamples
        recordsEvents = settings.recordEvents
        seenSequences = [Int64](repeating: -1, count: 1024)
        firstArrivals = AgreeingFirstArrivals(toleranceMilliseconds: Double(settings.bucketMilliseconds))
        histogram = DelayHistogram(
            maximumMilliseconds: settings.maximumDelayMilliseconds, bucketMilliseconds: settings.bucketMilliseconds,
            forgetFactor: settings.forgetFactor, initialMilliseconds: settings.initialDelayMilliseconds)
        peaks = DelayPeakDetector(threshold: Self.peakThresholdFrames * Double(frameSamples) * 1000 / Double(AudioFormat.sampleRate))
        histogramTarget = histogram.costMinimisingDelay(lateLossWorth: settings.lateLossWorthMilliseconds)
        statistics.targetDelayMilliseconds = Self.clampedTarget(histogramTarget, settings)
    }

    /// A relative delay this many frames above the histogram's target is a spike (NetEq: two
    /// packets).
    static let peakThresholdFrames = 2.0

    /// Arrivals after which an adaptive buffer's initial guess no longer decides its target: the
    /// guess's share of the histogram's mass, priced at `lateLossWorthMilliseconds`, is worth
    /// less than the guess's delay. 0 for a fixed buffer.
    public static func arrivalsToOutweighInitialGuess(_ settings: JitterBufferSettings) -> Int {
        guard case .adaptive = settings.mode, settings.forgetFactor > 0, settings.forgetFactor < 1 else { return 0 }
        let f = settings.forgetFactor
        let prior = DelayHistogram.priorWeight * (1 - f)
        var n = 0
        var weight = 1.0  // fⁿ
        while n < 100_000 {
            let share = prior * weight / (prior * weight + 1 - weight)
            if share * settings.lateLossWorthMilliseconds <= Double(settings.initialDelayMilliseconds) { break }
            n += 1
            weight *= f
        }
        return n
    }

    /// Packets waiting to be played.
    public var bufferedPackets: Int { entries.count }
    /// Nothing buffered outside a talk-spurt: `nextFrame` will decide `.silence`.
    public var isQuiet: Bool { phase != .talking && entries.isEmpty }
    public var targetDelayMilliseconds: Double { statistics.targetDelayMilliseconds }

    /// What `insert` did with a packet.
    public enum InsertResult: Equatable, Sendable { case accepted, late, duplicate }

    // MARK: - Arrivals

    @discardableResult
    public mutating func insert(_ packet: VoicePacket, arrival: Instant) -> InsertResult {
        statistics.packetsReceived += 1
        let sequence = sequenceUnwrapper.unwrap(packet.sequenceNumber)
        let timestamp = timestampUnwrapper.unwrap(packet.timestamp)
        let slot = Int(truncatingIfNeeded: sequence) & (seenSequences.count - 1)
        if seenSequences[slot] == sequence {
            statistics.packetsDiscardedDuplicate += 1
            return .duplicate
        }
        seenSequences[slot] = sequence
        // Recovery is counted in packets: a copy of a frame F·o + j frames back (F frames per
        // packet, j < F) is of the packet o back.
        let frames = packet.frameCount
        var lags = Set(packet.redundancy.map { max(1, (Int($0.timestampOffset) + frameSamples / 2) / frameSamples / frames) })
        if packet.flags.contains(.fec) { lags.insert(1) }
        recoveryLags.observe(sequence: sequence, carrying: Array(lags))
        if !packet.flags.contains(.dtx), !packet.flags.contains(.talkspurtStart) {
            // A talk-spurt's first packet has nothing earlier to carry; silence carries nothing.
            recoveryDepth = min(RecoveryLags.maximumLag, lags.max() ?? 0)
        }
        if !packet.flags.contains(.dtx) { framesPerPacket = frames }
        // The oldest frame waited longest for its packet: playout must cover that wait too. It
        // is added to the relative delay rather than to the transit, so that the reference
        // transit stays the path's and the packet's duration may change without moving it.
        let bundledSpan = milliseconds(
            ofSamples: min(Int(packet.bundledFrames.first?.timestampOffset ?? 0), VoicePacket.maxBundledFrames * frameSamples))
        observeArrival(timestamp: timestamp, arrival: arrival, waitedInPacket: bundledSpan)

        if phase != .idle, timestamp < playoutTimestamp {
            statistics.packetsDiscardedLate += 1
            return .late
        }
        let entry = Entry(
            timestamp: timestamp, sequence: sequence, flags: packet.flags, payload: packet.payload, arrival: arrival,
            opensPacket: packet.bundledFrames.isEmpty)
        switch store(entry) {
        case .inserted, .replacedRedundancy: break
        case .alreadyPresent:
            statistics.packetsDiscardedDuplicate += 1
            return .duplicate
        }
        for (index, block) in packet.bundledFrames.enumerated() {
            let frameTimestamp = timestamp - Int64(block.timestampOffset)
            guard phase == .idle || frameTimestamp >= playoutTimestamp else { continue }
            _ = store(
                Entry(
                    timestamp: frameTimestamp, sequence: sequence, flags: packet.flags.subtracting(.dtx),
                    payload: block.payload, arrival: arrival, opensPacket: index == 0))
        }
        for block in packet.redundancy {
            let redundantTimestamp = timestamp - Int64(block.timestampOffset)
            guard phase == .idle || redundantTimestamp >= playoutTimestamp else { continue }
            _ = store(
                Entry(timestamp: redundantTimestamp, sequence: nil, flags: [], payload: block.payload, arrival: arrival))
        }
        while entries.count > settings.maximumPackets {
            entries.removeFirst()
            statistics.packetsDiscardedOverflow += 1
        }
        return .accepted
    }

    private enum StoreResult { case inserted, replacedRedundancy, alreadyPresent }

    private mutating func store(_ entry: Entry) -> StoreResult {
        if missingFrame?.timestamp == entry.timestamp, missingFrame?.arrival == nil {
            missingFrame?.arrival = entry.arrival.milliseconds
        }
        var index = entries.endIndex
        while index > entries.startIndex, entries[index - 1].timestamp >= entry.timestamp { index -= 1 }
        if index < entries.endIndex, entries[index].timestamp == entry.timestamp {
            guard entries[index].sequence == nil, entry.sequence != nil else { return .alreadyPresent }
            entries[index] = entry
            return .replacedRedundancy
        }
        entries.insert(entry, at: index)
        return .inserted
    }

    private mutating func observeArrival(timestamp: Int64, arrival: Instant, waitedInPacket: Double) {
        let transit = arrival.milliseconds - mediaMilliseconds(timestamp)
        let minimum = transits.add(arrival: arrival, transitMilliseconds: transit)
        guard case .adaptive = settings.mode else { return }
        let relative = transit - minimum + waitedInPacket
        if firstArrivals.observe(transitMilliseconds: transit) { histogram.forgetInitialGuess() }
        // Spikes are measured against the histogram's own target before this arrival (one
        // spike's first packet already lifts it to the spike's height), so neither that nor a
        // target raised by earlier spikes hides them.
        peaks.observe(relativeDelay: relative, target: histogramTarget, at: arrival)
        histogram.add(milliseconds: relative)
        let worth = settings.lateLossWorthMilliseconds
        histogramTarget = histogram.costMinimisingDelay(lateLossWorth: worth)
        var target = histogramTarget
        if let spikes = peaks.lateLoss(at: arrival) {
            target = histogram.costMinimisingDelay(lateLossWorth: worth, spikes: spikes)
        }
        statistics.targetDelayMilliseconds = Self.clampedTarget(recoveryFloor(above: target, worth: worth), settings)
    }

    /// The recovery floor, priced like the rest: waiting w frames costs up to w frames of delay
    /// and rebuilds the losses that need a wait of w or less instead of concealing them. Of
    /// 0…`recoveryDepth` frames, the wait with the least delay + worth × losses left concealed
    /// (`RecoveryLags`: what each wait would have rebuilt on this stream so far).
    /// It follows loss, so the first loss after a clean stretch finds no floor and is concealed.
    private func recoveryFloor(above target: Double, worth: Double) -> Double {
        guard recoveryDepth > 0 else { return target }
        // Losses beyond the deepest copy are concealed whatever the wait: they cost alike.
        var best = (target: target, cost: target + worth * recoveryLags.needingWait(1))
        for w in 1...recoveryDepth {
            let waited = max(target, Double(w * framesPerPacket) * frameMilliseconds)
            let cost = waited + worth * recoveryLags.needingWait(w + 1)
            if cost < best.cost { best = (waited, cost) }
        }
        return best.target
    }

    private static func clampedTarget(_ delay: Double, _ settings: JitterBufferSettings) -> Double {
        switch settings.mode {
        case .fixed(let ms): return Double(ms)
        case .adaptive:
            return min(
                Double(settings.maximumDelayMilliseconds), max(Double(settings.minimumDelayMilliseconds), delay))
        }
    }

    private func mediaMilliseconds(_ timestamp: Int64) -> Double {
        Double(timestamp) * 1000 / Double(AudioFormat.sampleRate)
    }

    /// How far behind the fastest recent packet `timestamp` would be if played `now` (ms).
    private func playoutDelay(of timestamp: Int64, now: Instant) -> Double? {
        transits.current.map { now.milliseconds - mediaMilliseconds(timestamp) - $0 }
    }

    // MARK: - Playout

    /// Decides the next frame to decode, at the tick `now` that needs it; `queuedSamples` earlier
    /// samples are still to play first, so the frame starts playing that much later. Call as
    /// often as the playout needs frames. A `.silence` decision is counted as `silenceSamples`
    /// samples (what the caller fills with zeros; a frame by default), so a caller pulling less
    /// than a frame counts each silent sample once.
    public mutating func nextFrame(now: Instant, queuedSamples: Int = 0, silenceSamples: Int? = nil) -> PlayoutDecision {
        let playsAt = now.advanced(byMilliseconds: milliseconds(ofSamples: queuedSamples))
        let target = statistics.targetDelayMilliseconds
        if phase != .talking {
            // A talk-spurt starts at the first tick at which its first frame is due (the target
            // reached), whatever the last one left queued.
            guard let first = entries.first, let delay = playoutDelay(of: first.timestamp, now: now), delay >= target
            else {
                return emit(
                    .silence, at: playsAt, timestamp: nil, entry: nil, counted: phase != .idle,
                    samples: silenceSamples ?? frameSamples)
            }
            phase = .talking
            playoutTimestamp = first.timestamp
            heldSamples = 0
        }
        discardPassedEntries()

        if let entry = entries.first, entry.timestamp == playoutTimestamp {
            entries.removeFirst()
            playoutTimestamp += Int64(frameSamples)
            played(entry)
            if entry.flags.contains(.dtx) { phase = .silent }
            return emit(
                entry.sequence == nil ? .recoveredRedundancy : .decoded, at: playsAt, timestamp: entry.timestamp,
                entry: entry, decision: .decode(entry.payload))
        }

        // The frame due now is missing.
        if let next = entries.first {
            if let last = lastPlayedSequence, let sequence = next.sequence, sequence == last + 1, next.opensPacket {
                // Nothing was lost: the sender paused (DTX without its flag reaching us).
                phase = .silent
                return nextFrame(now: now, queuedSamples: queuedSamples, silenceSamples: silenceSamples)
            }
            if heldSamples > 0 {
                // A concealment emitted while waiting already stood in for this frame: a frame
                // of it for each frame, what is left (half a frame at least) for the last.
                heldSamples = max(0, heldSamples - frameSamples)
                playoutTimestamp += Int64(frameSamples)
                return nextFrame(now: now, queuedSamples: queuedSamples, silenceSamples: silenceSamples)
            }
            let lost = playoutTimestamp
            playoutTimestamp += Int64(frameSamples)
            if next.timestamp == lost + Int64(frameSamples), next.sequence != nil, next.flags.contains(.fec) {
                return emit(.recoveredFEC, at: playsAt, timestamp: lost, entry: nil, decision: .decodeFEC(next: next.payload))
            }
            let samples = shortenedConcealment(of: lost, playingAt: playsAt)
            return emit(.concealed, at: playsAt, timestamp: lost, entry: nil, decision: .conceal(samples: samples), samples: samples)
        }
        // Nothing buffered: conceal and keep waiting for this frame, a step at a time, so that
        // what turns up next plays as soon as a step ends — the frame itself (late: the delay
        // grew by the steps), or a later one (this frame was lost and the steps stand in for it).
        let step = waitingConcealmentStep
        heldSamples += step
        if milliseconds(ofSamples: heldSamples) > Double(settings.stallMilliseconds) {
            phase = .silent
            heldSamples = 0
            return emit(.silence, at: playsAt, timestamp: nil, entry: nil, samples: silenceSamples)
        }
        // Each step is logged; `PlayoutEvent.mergingWaitingSteps` makes frames of them again.
        return emit(
            .concealed, at: playsAt, timestamp: playoutTimestamp, entry: nil, decision: .conceal(samples: step), samples: step)
    }

    /// How much one concealment while waiting lasts: half a frame (in whole
    /// `OpusDecoder.concealmentStep`s) where the target adapts, as NetEq expands 10 ms at a time
    /// and merges into whatever arrived; a fixed buffer waits whole frames.
    private var waitingConcealmentStep: Int {
        guard settings.mode == .adaptive else { return frameSamples }
        let step = OpusDecoder.concealmentStep
        return min(frameSamples, max(step, frameSamples / 2 / step * step))
    }

    /// The share of the target the frames behind a lost one may play at after its concealment
    /// is shortened: NetEq's low limit (`DecisionLogic`: it keeps expanding below ¾ of its target
    /// level, else merges), not tuned here.
    static let shortenedConcealmentFloor = 0.75

    /// Samples to conceal lost frame `lost`, which starts playing at `playsAt`, a later frame
    /// being buffered: a whole frame, less by the delay the frames behind it have above
    /// `shortenedConcealmentFloor` of the target, in whole `OpusDecoder.concealmentStep`s and
    /// down to half a frame. A fixed buffer always conceals whole frames.
    private func shortenedConcealment(of lost: Int64, playingAt playsAt: Instant) -> Int {
        guard settings.mode == .adaptive, let delay = playoutDelay(of: lost, now: playsAt) else { return frameSamples }
        // Without the cut the next frame plays at this same delay.
        let spare = delay - Self.shortenedConcealmentFloor * statistics.targetDelayMilliseconds
        let step = OpusDecoder.concealmentStep
        let shortest = max(step, frameSamples / 2 / step * step)
        guard spare > 0, frameSamples > shortest else { return frameSamples }
        let cut = min(frameSamples - shortest, Int(spare * Double(AudioFormat.sampleRate) / 1000) / step * step)
        return frameSamples - cut
    }

    /// How many samples the playout should remove from (> 0) or insert into (< 0) what it has
    /// queued, at the tick `now`, with `queuedSamples` decoded and not yet played and a pull of
    /// `pullSamples` per tick; 0 outside a talk-spurt.
    ///
    /// The next frame is decoded at the tick that runs out of queued samples, and its delay at
    /// that tick — what decides whether it arrived in time — can only take values one pull
    /// apart, from its delay now upwards. The lowest of them at or above the target is the
    /// delay to play at: queued audio beyond it is removed (once it exceeds
    /// `hysteresisMilliseconds`), and a shortfall is inserted. Removing less than the
    /// excess, or inserting more than the shortfall, is always safe.
    public func playoutCorrection(now: Instant, queuedSamples: Int, pullSamples: Int) -> Int {
        guard phase == .talking, pullSamples > 0, queuedSamples >= 0,
            let delay = playoutDelay(of: playoutTimestamp, now: now)
        else { return 0 }
        let pull = milliseconds(ofSamples: pullSamples)
        let target = statistics.targetDelayMilliseconds
        let lowest = delay + max(0, ((target - delay) / pull).rounded(.up)) * pull
        let playing = delay + milliseconds(ofSamples: queuedSamples)
        let samplesPerMillisecond = Double(AudioFormat.sampleRate) / 1000
        if playing < lowest { return -Int(((lowest - playing) * samplesPerMillisecond).rounded(.up)) }
        // A fixed target never moves, so it needs no margin against moving.
        let hysteresis = settings.mode == .adaptive ? Self.hysteresisMilliseconds : 0
        guard playing - lowest > hysteresis else { return 0 }
        return Int(((playing - lowest) * samplesPerMillisecond).rounded(.down))
    }

    /// How far above an adaptive target the needed-at delay may sit before the playout is sped
    /// up. The delay to play at moves in whole pulls, so a target moving by a millisecond
    /// seldom moves it and a small margin is enough. At 5 ms a LAN stream's mouth-to-ear stayed
    /// up to 5 ms above its floor (median p50 over 24 streams 31.9 ms, 30.0 at 1 ms); the cost
    /// is that a pitch period inserted beyond a shortfall is sooner taken back (10–18 % more
    /// stretching on the `4g` preset; concealment and ViSQOL unchanged on the presets tried).
    public static let hysteresisMilliseconds = 1.0

    /// Records that the playout removed (`samples` > 0) or inserted (< 0) that many samples, in
    /// the counters and on the event of the last frame decoded (the next one when that event has
    /// already been taken).
    public mutating func noteStretch(samples: Int) {
        if samples > 0 { statistics.removedSamplesForAcceleration += samples }
        if samples < 0 {
            statistics.insertedSamplesForDeceleration -= samples
            if lastMissingTimestamp == playoutTimestamp { stretchedForMissingFrame -= samples }
        }
        guard recordsEvents else { return }
        if events.isEmpty {
            unloggedStretch -= samples
        } else {
            events[events.count - 1].stretchedSamples -= samples
        }
    }

    /// Whether the playout should stretch the audio it holds now (`queuedSamples`, fewer than
    /// two pulls) to give the next frame longer to arrive. It should when that frame is needed at
    /// the next pull, is not here and has not been waited for yet, fewer than half a frame of
    /// samples have been inserted for it so far, and on this stream such a stretch has often
    /// enough spared a wait (`MissingFrameOdds.sparedShare` at least
    /// `sparedShareWorthStretching`). Call once per pull (the calls also score the frames found
    /// missing so, stretched for or not) and report what was inserted with `noteStretch(samples:)`.
    public mutating func shouldStretchForMissingFrame(now: Instant, queuedSamples: Int, pullSamples: Int) -> Bool {
        scoreMissingFrame(now: now)
        guard settings.mode == .adaptive, phase == .talking, entries.isEmpty, heldSamples == 0, pullSamples > 0,
            queuedSamples - pullSamples < pullSamples
        else { return false }
        if lastMissingTimestamp != playoutTimestamp {
            lastMissingTimestamp = playoutTimestamp
            missingFrame = (playoutTimestamp, now.milliseconds + milliseconds(ofSamples: pullSamples), nil)
            stretchedForMissingFrame = 0
        }
        return missingFrameOdds.sparedShare >= Self.sparedShareWorthStretching
            && stretchedForMissingFrame < frameSamples / 2
    }

    /// A stretch spares a wait when the frame comes after the pull that needed it and within
    /// the most the playout stretches for one frame (half a frame); one that came in time was
    /// stretched for needlessly, one lost or later still is waited for anyway.
    private mutating func scoreMissingFrame(now: Instant) {
        guard let missing = missingFrame, now.milliseconds >= missing.neededAt else { return }
        let horizon = missing.neededAt + milliseconds(ofSamples: frameSamples / 2)
        if let arrival = missing.arrival {
            missingFrameOdds.observe(spared: arrival > missing.neededAt && arrival <= horizon)
        } else if now.milliseconds >= horizon {
            missingFrameOdds.observe(spared: false)
        } else {
            return
        }
        missingFrame = nil
    }

    /// Set before measuring, not tuned: at a quarter, three needless stretches (each shed again
    /// later) are risked for each 10 ms of concealment spared.
    static let sparedShareWorthStretching = 0.25

    /// Whether the frame `nextFrame` would play next is in the buffer: a playout may decode it
    /// ahead of its tick (to have enough audio to stretch) without risking a concealment.
    public var nextFrameIsBuffered: Bool {
        phase == .talking && entries.first?.timestamp == playoutTimestamp
    }

    /// Moves the recorded events not yet taken that play after `instant` by `milliseconds`:
    /// the playout stretched the audio before them.
    public mutating func shiftEvents(playingAfter instant: Instant, byMilliseconds milliseconds: Double) {
        for i in events.indices where events[i].playoutTime > instant {
            events[i].playoutTime = events[i].playoutTime.advanced(byMilliseconds: milliseconds)
        }
    }

    /// Hands over the per-frame log recorded since the last call (with `recordEvents`).
    public mutating func takeEvents() -> [PlayoutEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    private mutating func played(_ entry: Entry) {
        heldSamples = 0
        if let sequence = entry.sequence { lastPlayedSequence = sequence }
    }

    /// Entries behind the playout point (skipped by a merge or a resync) can never play.
    private mutating func discardPassedEntries() {
        while let first = entries.first, first.timestamp < playoutTimestamp {
            entries.removeFirst()
            if first.sequence != nil, first.opensPacket { statistics.packetsDiscardedLate += 1 }
        }
    }

    private mutating func emit(
        _ outcome: PlayoutOutcome, at playsAt: Instant, timestamp: Int64?, entry: Entry?,
        decision: PlayoutDecision = .silence, counted: Bool = true, samples: Int? = nil
    ) -> PlayoutDecision {
        let samples = samples ?? frameSamples
        let target = statistics.targetDelayMilliseconds
        var bufferDelay: Double?
        if counted {
            statistics.totalSamplesReceived += samples
            let concealment = outcome == .concealed
            switch outcome {
            case .concealed: statistics.concealedSamples += samples
            case .recoveredFEC: statistics.fecRecoveredSamples += samples
            case .recoveredRedundancy: statistics.redundancyRecoveredSamples += samples
            case .silence: statistics.silentSamples += samples
            case .decoded, .accelerated, .decelerated: break
            }
            if concealment && !lastOutcomeWasConcealment { statistics.concealmentEvents += 1 }
            lastOutcomeWasConcealment = concealment
            if let entry {
                let waited = playsAt.milliseconds(since: entry.arrival)
                bufferDelay = waited
                statistics.jitterBufferDelay += waited / 1000 * Double(frameSamples)
                statistics.jitterBufferTargetDelay += target / 1000 * Double(frameSamples)
                statistics.jitterBufferEmittedCount += frameSamples
            }
        }
        if recordsEvents {
            var event = PlayoutEvent(
                playoutTime: playsAt, timestamp: timestamp, outcome: outcome, bufferDelayMilliseconds: bufferDelay,
                targetDelayMilliseconds: target)
            event.stretchedSamples = unloggedStretch
            if samples != frameSamples { event.samples = samples }
            unloggedStretch = 0
            events.append(event)
        }
        return decision
    }
}
