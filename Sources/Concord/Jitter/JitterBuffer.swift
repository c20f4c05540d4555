/// What the receiver must do to produce the next playout frame.
public enum PlayoutDecision: Equatable, Sendable {
    /// Decode this Opus frame.
    case decode([UInt8])
    /// The frame is lost; rebuild it from the in-band FEC of this (the next) packet.
    case decodeFEC(next: [UInt8])
    /// Decode both frames and merge them into one (shortens the delay by a frame).
    case merge([UInt8], [UInt8])
    /// Packet-loss concealment.
    case conceal
    /// Play silence.
    case silence
}

/// An adaptive jitter buffer for one remote stream: it reorders packets, drops duplicates and
/// late ones, and decides, once per playout frame, what to play.
///
/// The target delay follows NetEq: each arrival's *relative delay* — its transit time minus the
/// smallest transit in the last 2 s — feeds a forgetting histogram whose 0.95 quantile (clamped
/// to [min, max]) is the target. Playout runs at a delay (now − media time − minimum transit)
/// kept within [target, target + F) by whole-frame steps, F being the frame duration:
/// two frames merged into one when too far behind, a concealment frame inserted when too close,
/// and free re-alignment at the start of every talk-spurt.
///
/// A missing frame is recovered from FEC or redundancy when the next packet is there (so a
/// stream that carries either keeps an adaptive target of at least one frame); when
/// nothing has arrived yet the buffer conceals *without* moving on, so a late packet (a delay
/// spike) is still played and the delay grows instead of the audio breaking twice. Each
/// concealment made while waiting then stands in for one lost frame if later packets turn up.
///
/// Decoding is the caller's job (`VoiceReceiver`): this type only stores and decides, which
/// keeps it testable without a codec.
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
    /// Concealment frames emitted while waiting for `playoutTimestamp`.
    private var heldFrames = 0
    private var lastPlayedSequence: Int64?
    private var lastOutcomeWasConcealment = false
    private var sequenceUnwrapper = SequenceUnwrapper<UInt16>()
    private var timestampUnwrapper = SequenceUnwrapper<UInt32>()
    private var seenSequences: [Int64]
    private var histogram: DelayHistogram
    private var transits = MinimumTransitTracker()
    private var events: [PlayoutEvent] = []
    /// Set once the stream carries FEC or redundancy: recovering frame k needs packet k+1 to be
    /// in the buffer when k is due, so the target is kept at least one frame.
    private var recoveryFloorMilliseconds = 0.0

    private var frameMilliseconds: Double { Double(frameSamples) * 1000 / Double(AudioFormat.sampleRate) }

    public init(settings: JitterBufferSettings = .init(), frameSamples: Int) throws(JitterBufferError) {
        try settings.validate()
        guard frameSamples > 0 else {
            throw .invalidSetting(name: "frameSamples", value: "\(frameSamples)", allowed: "> 0")
        }
        self.settings = settings
        self.frameSamples = frameSamples
        recordsEvents = settings.recordEvents
        seenSequences = [Int64](repeating: -1, count: 1024)
        histogram = DelayHistogram(
            maximumMilliseconds: settings.maximumDelayMilliseconds, bucketMilliseconds: settings.bucketMilliseconds,
            forgetFactor: settings.forgetFactor, initialMilliseconds: settings.initialDelayMilliseconds)
        statistics.targetDelayMilliseconds = Self.clampedTarget(histogram.quantile(settings.quantile), settings)
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
        if recoveryFloorMilliseconds == 0, packet.flags.contains(.fec) || !packet.redundancy.isEmpty {
            recoveryFloorMilliseconds = frameMilliseconds
        }
        observeArrival(timestamp: timestamp, arrival: arrival)

        if phase != .idle, timestamp < playoutTimestamp {
            statistics.packetsDiscardedLate += 1
            return .late
        }
        let entry = Entry(
            timestamp: timestamp, sequence: sequence, flags: packet.flags, payload: packet.payload, arrival: arrival)
        switch store(entry) {
        case .inserted, .replacedRedundancy: break
        case .alreadyPresent:
            statistics.packetsDiscardedDuplicate += 1
            return .duplicate
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

    private mutating func observeArrival(timestamp: Int64, arrival: Instant) {
        let transit = arrival.milliseconds - mediaMilliseconds(timestamp)
        let minimum = transits.add(arrival: arrival, transitMilliseconds: transit)
        guard case .adaptive = settings.mode else { return }
        histogram.add(milliseconds: transit - minimum)
        statistics.targetDelayMilliseconds = Self.clampedTarget(
            max(recoveryFloorMilliseconds, histogram.quantile(settings.quantile)), settings)
    }

    private static func clampedTarget(_ quantile: Double, _ settings: JitterBufferSettings) -> Double {
        switch settings.mode {
        case .fixed(let ms): return Double(ms)
        case .adaptive:
            return min(
                Double(settings.maximumDelayMilliseconds), max(Double(settings.minimumDelayMilliseconds), quantile))
        }
    }

    private func mediaMilliseconds(_ timestamp: Int64) -> Double {
        Double(timestamp) * 1000 / Double(AudioFormat.sampleRate)
    }

    /// How far behind the fastest recent packet `timestamp` would be if played `now` (ms).
    private func playoutDelay(of timestamp: Int64, now: Instant) -> Double? {
        transits.minimum.map { now.milliseconds - mediaMilliseconds(timestamp) - $0 }
    }

    // MARK: - Playout

    /// Decides the next playout frame. Call once per frame, at the time the frame is played.
    public mutating func nextFrame(now: Instant) -> PlayoutDecision {
        let target = statistics.targetDelayMilliseconds
        if phase != .talking {
            guard let first = entries.first, let delay = playoutDelay(of: first.timestamp, now: now),
                delay >= target
            else {
                return emit(.silence, now: now, timestamp: nil, entry: nil, counted: phase != .idle)
            }
            phase = .talking
            playoutTimestamp = first.timestamp
            heldFrames = 0
        }
        discardPassedEntries()

        if let entry = entries.first, entry.timestamp == playoutTimestamp {
            let excess = (playoutDelay(of: playoutTimestamp, now: now) ?? target) - target
            if excess >= frameMilliseconds, entries.count >= 2, entries[1].timestamp == playoutTimestamp + Int64(frameSamples),
                !entry.flags.contains(.dtx)
            {
                let second = entries[1]
                entries.removeFirst(2)
                playoutTimestamp += 2 * Int64(frameSamples)
                statistics.removedSamplesForAcceleration += frameSamples
                played(second)
                return emit(.accelerated, now: now, timestamp: second.timestamp, entry: entry, decision: .merge(entry.payload, second.payload))
            }
            if excess < 0, heldFrames == 0, !entry.flags.contains(.talkspurtStart) {
                statistics.insertedSamplesForDeceleration += frameSamples
                return emit(.decelerated, now: now, timestamp: nil, entry: nil, decision: .conceal)
            }
            entries.removeFirst()
            playoutTimestamp += Int64(frameSamples)
            played(entry)
            if entry.flags.contains(.dtx) { phase = .silent }
            return emit(
                entry.sequence == nil ? .recoveredRedundancy : .decoded, now: now, timestamp: entry.timestamp,
                entry: entry, decision: .decode(entry.payload))
        }

        // The frame due now is missing.
        if let next = entries.first {
            if let last = lastPlayedSequence, let sequence = next.sequence, sequence == last + 1 {
                // Nothing was lost: the sender paused (DTX without its flag reaching us).
                phase = .silent
                return nextFrame(now: now)
            }
            if heldFrames > 0 {
                // A concealment emitted while waiting already stood in for this frame.
                heldFrames -= 1
                playoutTimestamp += Int64(frameSamples)
                return nextFrame(now: now)
            }
            let lost = playoutTimestamp
            playoutTimestamp += Int64(frameSamples)
            if next.timestamp == lost + Int64(frameSamples), next.sequence != nil, next.flags.contains(.fec) {
                return emit(.recoveredFEC, now: now, timestamp: lost, entry: nil, decision: .decodeFEC(next: next.payload))
            }
            return emit(.concealed, now: now, timestamp: lost, entry: nil, decision: .conceal)
        }
        // Nothing buffered: conceal and keep waiting for this frame.
        heldFrames += 1
        if Double(heldFrames) * frameMilliseconds > Double(settings.stallMilliseconds) {
            phase = .silent
            heldFrames = 0
            return emit(.silence, now: now, timestamp: nil, entry: nil)
        }
        return emit(.concealed, now: now, timestamp: playoutTimestamp, entry: nil, decision: .conceal)
    }

    /// Hands over the per-frame log recorded since the last call (with `recordEvents`).
    public mutating func takeEvents() -> [PlayoutEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    private mutating func played(_ entry: Entry) {
        heldFrames = 0
        if let sequence = entry.sequence { lastPlayedSequence = sequence }
    }

    /// Entries behind the playout point (skipped by a merge or a resync) can never play.
    private mutating func discardPassedEntries() {
        while let first = entries.first, first.timestamp < playoutTimestamp {
            entries.removeFirst()
            if first.sequence != nil { statistics.packetsDiscardedLate += 1 }
        }
    }

    private mutating func emit(
        _ outcome: PlayoutOutcome, now: Instant, timestamp: Int64?, entry: Entry?,
        decision: PlayoutDecision = .silence, counted: Bool = true
    ) -> PlayoutDecision {
        let target = statistics.targetDelayMilliseconds
        var bufferDelay: Double?
        if counted {
            statistics.totalSamplesReceived += frameSamples
            let concealment = outcome == .concealed || outcome == .decelerated
            switch outcome {
            case .concealed, .decelerated: statistics.concealedSamples += frameSamples
            case .recoveredFEC: statistics.fecRecoveredSamples += frameSamples
            case .recoveredRedundancy: statistics.redundancyRecoveredSamples += frameSamples
            case .silence: statistics.silentSamples += frameSamples
            case .decoded, .accelerated: break
            }
            if concealment && !lastOutcomeWasConcealment { statistics.concealmentEvents += 1 }
            lastOutcomeWasConcealment = concealment
            if let entry {
                let waited = now.milliseconds(since: entry.arrival)
                bufferDelay = waited
                statistics.jitterBufferDelay += waited / 1000 * Double(frameSamples)
                statistics.jitterBufferTargetDelay += target / 1000 * Double(frameSamples)
                statistics.jitterBufferEmittedCount += frameSamples
            }
        }
        if recordsEvents {
            events.append(
                PlayoutEvent(
                    playoutTime: now, timestamp: timestamp, outcome: outcome, bufferDelayMilliseconds: bufferDelay,
                    targetDelayMilliseconds: target))
        }
        return decision
    }
}
