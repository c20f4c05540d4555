/// What turns one remote stream's packets into playout frames: a jitter buffer and a decoder.
///
/// Concord's own is `JitterBufferPlayout`. A driver may give `Participant` another through
/// `Participant.MakePlayout` — the benchmark runs WebRTC's NetEq this way, on the same packets
/// and clock — without the engine knowing it.
public protocol StreamPlayout: AnyObject {
    /// Takes a packet that arrived at `arrival`.
    func receive(_ packet: VoicePacket, arrival: Instant)
    /// Writes the frame to play at `now` into `frame` (one frame of samples) and returns true;
    /// or returns false and leaves `frame` alone when the frame is digital silence (all +0.0)
    /// that needed no codec work.
    func playout(now: Instant, into frame: UnsafeMutableBufferPointer<Float>) -> Bool
    /// The next `playout` will return false (nothing buffered, no talk-spurt under way): a driver
    /// can leave such streams out of its parallel work.
    var isQuiet: Bool { get }
    /// Lifetime counters, under the W3C getStats names.
    var statistics: JitterBufferStatistics { get }
    /// Payloads that passed the wire parser but that the decoder rejected; concealed instead.
    var decodeErrors: Int { get }
    /// Whether `playout` logs a `PlayoutEvent` per frame for `takeEvents`.
    var recordsEvents: Bool { get set }
    /// Hands over the per-frame log recorded since the last call.
    func takeEvents() -> [PlayoutEvent]
    /// Told around each decode or concealment (CPU accounting in the benchmark); held weakly.
    var codecObserver: CodecObserver? { get set }
}
