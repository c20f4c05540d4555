/// One remote stream: its `StreamPlayout` (a jitter buffer and a decoder) producing one pull of
/// samples per call for the mixer.
public final class VoiceReceiver {
    public let peer: PeerID
    /// Concord's `JitterBufferPlayout`, or what the driver supplied (`Participant.MakePlayout`).
    public let stream: any StreamPlayout
    /// The samples produced by the last `playout` (one pull).
    public private(set) var frame: [Float]
    /// `frame` is digital silence (all +0.0): a mixer may skip it.
    public private(set) var frameIsSilence = true

    /// Concord's jitter buffer and Opus decoder; `pullSamples` defaults to the codec frame.
    public convenience init(
        peer: PeerID, frameMilliseconds: Int, pullSamples: Int? = nil, jitterBuffer settings: JitterBufferSettings
    ) throws {
        let stream = try JitterBufferPlayout(frameMilliseconds: frameMilliseconds, settings: settings)
        self.init(peer: peer, pullSamples: pullSamples ?? stream.frameSamples, stream: stream)
    }

    public init(peer: PeerID, pullSamples: Int, stream: any StreamPlayout) {
        self.peer = peer
        self.stream = stream
        frame = [Float](repeating: 0, count: pullSamples)
        isQuiet = stream.isQuiet
        received = stream.statistics.packetsReceived > 0
        idle = !received && !stream.recordsEvents
    }

    public var statistics: JitterBufferStatistics { stream.statistics }
    /// See `StreamPlayout.decodeErrors`.
    public var decodeErrors: Int { stream.decodeErrors }
    /// Told around each decode or concealment (CPU accounting in the benchmark).
    public var codecObserver: CodecObserver? {
        get { stream.codecObserver }
        set { stream.codecObserver = newValue }
    }

    public func receive(_ packet: VoicePacket, now: Instant) {
        stream.receive(packet, arrival: now)
        isQuiet = stream.isQuiet
        received = true
        idle = false
    }

    /// Produces the next pull into `frame`.
    public func playout(now: Instant) {
        if idle { return }
        let played = frame.withUnsafeMutableBufferPointer { stream.playout(now: now, into: $0) }
        isQuiet = stream.isQuiet
        if played {
            frameIsSilence = false
        } else if !frameIsSilence {
            // The zeros are written only once per pause.
            frame.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
            frameIsSilence = true
        }
    }

    /// The next `playout` will play silence without the codec (see `StreamPlayout.isQuiet`).
    /// Stored, updated by `receive` and `playout` (the stream's only mutators): reading it
    /// through the stream took 2 % of the simulation's CPU (49 receivers per tick per person).
    public private(set) var isQuiet: Bool
    private var received: Bool
    /// Nothing has arrived and no log is kept: a pull would play silence and change no counter,
    /// so `playout` skips the stream (in a big room most members never talk).
    private var idle: Bool

    /// See `StreamPlayout.recordsEvents`.
    public var recordsEvents: Bool {
        get { stream.recordsEvents }
        set {
            stream.recordsEvents = newValue
            idle = !received && !newValue
        }
    }

    public func takeEvents() -> [PlayoutEvent] { stream.takeEvents() }
}
