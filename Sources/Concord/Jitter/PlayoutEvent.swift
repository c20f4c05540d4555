/// What the jitter buffer did for one playout frame.
public enum PlayoutOutcome: String, Sendable, Codable, CaseIterable {
    /// A received packet, decoded.
    case decoded
    /// A lost frame rebuilt from Opus in-band FEC carried by the next packet.
    case recoveredFEC
    /// A lost frame replaced by a redundant (RFC 2198-style) copy from a later packet.
    case recoveredRedundancy
    /// No packet: packet-loss concealment.
    case concealed
    /// The sender is silent (DTX gap, or not yet started): nothing to play, nothing missing.
    case silence
    /// NetEq only: a frame shortened by its "accelerate" (Concord's buffer reports stretching as
    /// `PlayoutEvent.stretchedSamples` on the frame's own outcome).
    case accelerated
    /// NetEq only: a frame lengthened by its "preemptive expand".
    case decelerated
}

/// One frame of playout, for the benchmark's per-frame analysis.
public struct PlayoutEvent: Sendable, Equatable {
    /// When the frame's first sample plays.
    public var playoutTime: Instant
    /// Media timestamp (sender's samples, unwrapped) of the frame played, if it came from a
    /// packet; nil for concealment and silence that stand for no particular frame.
    public var timestamp: Int64?
    public var outcome: PlayoutOutcome
    /// Time the played packet waited in the buffer (ms), if a packet was played.
    public var bufferDelayMilliseconds: Double?
    /// The target delay at this tick (ms).
    public var targetDelayMilliseconds: Double
    /// Samples the playout inserted (> 0) or removed (< 0) by time-stretching while this frame
    /// was the last one decoded (see `JitterBuffer.noteStretch`).
    public var stretchedSamples = 0
    /// The samples the decision stood for when not a whole frame (a shortened concealment, or
    /// the silent end of a pull shorter than a frame); nil for a whole frame.
    public var samples: Int?

    public init(
        playoutTime: Instant, timestamp: Int64?, outcome: PlayoutOutcome, bufferDelayMilliseconds: Double?,
        targetDelayMilliseconds: Double
    ) {
        self.playoutTime = playoutTime
        self.timestamp = timestamp
        self.outcome = outcome
        self.bufferDelayMilliseconds = bufferDelayMilliseconds
        self.targetDelayMilliseconds = targetDelayMilliseconds
    }
}

extension PlayoutEvent {
    /// The log with the steps of concealment made while waiting for one frame
    /// (`JitterBuffer` conceals half a frame at a time while nothing is buffered) joined into
    /// one event per frame waited, so that every analysis that counts frames — the E-model's
    /// loss, concealed frames per second — counts a frame waited for as one, as it counts a
    /// frame concealed at once. A join keeps the first step's time and sums samples and
    /// stretching.
    public static func mergingWaitingSteps(_ events: [PlayoutEvent], frameSamples: Int) -> [PlayoutEvent] {
        var merged: [PlayoutEvent] = []
        merged.reserveCapacity(events.count)
        for event in events {
            if event.outcome == .concealed, let last = merged.last, last.outcome == .concealed,
                last.timestamp == event.timestamp, let joined = last.samples, joined < frameSamples
            {
                let samples = joined + (event.samples ?? frameSamples)
                merged[merged.count - 1].samples = samples == frameSamples ? nil : samples
                merged[merged.count - 1].stretchedSamples += event.stretchedSamples
            } else {
                merged.append(event)
            }
        }
        return merged
    }
}
