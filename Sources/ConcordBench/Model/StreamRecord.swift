import Concord

/// One voice packet as the talker sent it to one listener.
public struct SentPacketRecord: Sendable, Equatable {
    /// Unwrapped sequence number.
    public var sequence: Int64
    /// Unwrapped media timestamp (48 kHz samples) of the primary frame.
    public var timestamp: Int64
    public var sendTime: Instant
    /// Datagram size: the UDP payload, before IP/UDP headers.
    public var bytes: Int

    public init(sequence: Int64, timestamp: Int64, sendTime: Instant, bytes: Int) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.sendTime = sendTime
        self.bytes = bytes
    }
}

/// One datagram of the stream as it reached the listener, before the jitter buffer
/// (duplicates included; corrupted-and-unparseable datagrams are not here).
public struct ArrivalRecord: Sendable, Equatable {
    public var sequence: Int64
    public var timestamp: Int64
    public var arrivalTime: Instant
    public var bytes: Int

    public init(sequence: Int64, timestamp: Int64, arrivalTime: Instant, bytes: Int) {
        self.sequence = sequence
        self.timestamp = timestamp
        self.arrivalTime = arrivalTime
        self.bytes = bytes
    }
}

/// Everything a simulation recorded about one directed stream (talker → listener): the raw
/// material of every per-stream metric, plot and latency measurement.
///
/// Time base: simulation time starts at 0. `source[i]` is what the talker said at time
/// i/48000 s; `track[j]` is what the listener played of this talker at time j/48000 s. So the
/// lag between the two signals *is* the mouth-to-ear latency.
public struct StreamRecord: Sendable {
    public var from: String
    public var to: String
    public var frameSamples: Int
    /// The talker's encoder lookahead (samples): decoded audio lags the frame's timestamp by it.
    public var lookaheadSamples: Int
    /// When the sample with media timestamp 0 was spoken: sample `ts` was spoken at
    /// `mouthTimeOfTimestampZero + ts / talkerSampleRate`.
    public var mouthTimeOfTimestampZero: Instant
    /// Samples per second of the talker's and the listener's sound card clocks: 48 000 unless
    /// they drift (`AudioClock`).
    public var talkerSampleRate: Double
    public var listenerSampleRate: Double
    /// In send order.
    public var sent: [SentPacketRecord]
    /// In arrival order.
    public var arrivals: [ArrivalRecord]
    /// One event per frame the listener played of this stream (a concealment made while
    /// waiting, which the buffer logs step by step, as one event per frame waited).
    public var playout: [PlayoutEvent]
    public var jitterBuffer: JitterBufferStatistics
    /// What the talker said (zeros while silent), from time 0.
    public var source: [Float]
    /// What the listener played of this talker, from time 0.
    public var track: [Float]

    public init(
        from: String, to: String, frameSamples: Int, lookaheadSamples: Int, mouthTimeOfTimestampZero: Instant,
        talkerSampleRate: Double = Double(AudioFormat.sampleRate),
        listenerSampleRate: Double = Double(AudioFormat.sampleRate), sent: [SentPacketRecord], arrivals: [ArrivalRecord], playout: [PlayoutEvent],
        jitterBuffer: JitterBufferStatistics, source: [Float], track: [Float]
    ) {
        self.from = from
        self.to = to
        self.frameSamples = frameSamples
        self.lookaheadSamples = lookaheadSamples
        self.mouthTimeOfTimestampZero = mouthTimeOfTimestampZero
        self.talkerSampleRate = talkerSampleRate
        self.listenerSampleRate = listenerSampleRate
        self.sent = sent
        self.arrivals = arrivals
        self.playout = PlayoutEvent.mergingWaitingSteps(playout, frameSamples: frameSamples)
        self.jitterBuffer = jitterBuffer
        self.source = source
        self.track = track
    }

    /// Mouth-to-ear latency (ms) of a frame with media timestamp `timestamp` played at `time`:
    /// the played audio is the spoken audio delayed by this much (lookahead included).
    public func latencyMilliseconds(timestamp: Int64, playedAt time: Instant) -> Double {
        let spoken = mouthTimeOfTimestampZero.milliseconds + Double(timestamp) * 1000 / talkerSampleRate
        return time.milliseconds - spoken + Double(lookaheadSamples) * 1000 / talkerSampleRate
    }
}
