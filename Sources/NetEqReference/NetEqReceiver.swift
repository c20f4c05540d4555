import CNetEq
import Concord

/// One instance of WebRTC's NetEq (Debian's libtgowt-dev): Opus at 48 kHz, and RFC 2198 RED
/// carrying Opus, played 10 ms at a time on the caller's clock — the packets' arrival times and
/// the playout calls set NetEq's clock, so it runs in virtual time as well as in real time.
public final class NetEqReceiver {
    public static let opusPayloadType = UInt8(CONCORD_NETEQ_OPUS_PAYLOAD_TYPE)
    public static let redPayloadType = UInt8(CONCORD_NETEQ_RED_PAYLOAD_TYPE)
    /// NetEq's output: 10 ms at 48 kHz, mono.
    public static let outputSamples = 480

    /// What NetEq made of one 10 ms output.
    public enum Speech: Sendable, Equatable {
        /// Decoded from packets (possibly time-stretched).
        case normal
        /// Packet-loss concealment (NetEq's expand, or the codec's).
        case concealed
        /// Comfort noise: the sender is in DTX.
        case comfortNoise
        case undefined
    }

    public struct Output: Sendable, Equatable {
        public var speech: Speech
        /// NetEq's muted state: zeros after a long time without packets.
        public var muted: Bool
        /// RTP timestamp of the first sample.
        public var timestamp: UInt32
    }

    /// NetEq's lifetime counters (`NetEqLifetimeStatistics`), samples at 48 kHz.
    public struct LifetimeStatistics: Sendable, Equatable {
        public var totalSamplesReceived = 0
        public var concealedSamples = 0
        public var concealmentEvents = 0
        /// Σ over emitted samples of the time their packet waited, ms.
        public var jitterBufferDelayMilliseconds = 0
        public var jitterBufferEmittedCount = 0
        /// Σ over emitted samples of the target delay, ms.
        public var jitterBufferTargetDelayMilliseconds = 0
        public var insertedSamplesForDeceleration = 0
        public var removedSamplesForAcceleration = 0
        public var silentConcealedSamples = 0
        /// FEC or RED copies inserted, and those dropped unused (their primary arrived).
        public var fecPacketsReceived = 0
        public var fecPacketsDiscarded = 0
        /// Packets dropped: too late, duplicates, or flushed.
        public var packetsDiscarded = 0

        public init() {}

        init(_ s: concord_neteq_lifetime) {
            func int(_ value: UInt64) -> Int { Int(clamping: value) }
            totalSamplesReceived = int(s.total_samples_received)
            concealedSamples = int(s.concealed_samples)
            concealmentEvents = int(s.concealment_events)
            jitterBufferDelayMilliseconds = int(s.jitter_buffer_delay_ms)
            jitterBufferEmittedCount = int(s.jitter_buffer_emitted_count)
            jitterBufferTargetDelayMilliseconds = int(s.jitter_buffer_target_delay_ms)
            insertedSamplesForDeceleration = int(s.inserted_samples_for_deceleration)
            removedSamplesForAcceleration = int(s.removed_samples_for_acceleration)
            silentConcealedSamples = int(s.silent_concealed_samples)
            fecPacketsReceived = int(s.fec_packets_received)
            fecPacketsDiscarded = int(s.fec_packets_discarded)
            packetsDiscarded = int(s.packets_discarded)
        }
    }

    private let handle: OpaquePointer
    private let error: NetEqError.Buffer

    /// A NetEq whose clock starts at `start`.
    public init(start: Instant) throws(NetEqError) {
        let error = NetEqError.Buffer()
        guard let handle = error.capture({ concord_neteq_create(Self.microseconds(start), $0, $1) }) else {
            throw error.error(or: "NetEq could not be created")
        }
        self.handle = handle
        self.error = error
    }

    deinit { concord_neteq_destroy(handle) }

    /// Inserts one RTP packet that arrived at `arrival` (no earlier than the last call's time).
    public func insert(
        payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, marker: Bool, payload: [UInt8], arrival: Instant
    ) throws(NetEqError) {
        let status = payload.withUnsafeBufferPointer { bytes in
            error.capture {
                concord_neteq_insert(
                    handle, marker ? 1 : 0, payloadType, sequenceNumber, timestamp, bytes.baseAddress, bytes.count,
                    Self.microseconds(arrival), $0, $1)
            }
        }
        if status != 0 { throw error.error(or: "NetEq refused a packet") }
    }

    /// The next 10 ms, played at `now`, into `samples` (at least `outputSamples`).
    public func playout(now: Instant, into samples: UnsafeMutableBufferPointer<Int16>) throws(NetEqError) -> Output {
        var frame = concord_neteq_frame()
        let status = error.capture {
            concord_neteq_get_audio(handle, Self.microseconds(now), samples.baseAddress, samples.count, &frame, $0, $1)
        }
        if status != 0 { throw error.error(or: "NetEq could not produce audio") }
        guard frame.sample_rate_hz == 48_000, frame.samples == Self.outputSamples else {
            throw NetEqError(
                description: "NetEq produced \(frame.samples) samples at \(frame.sample_rate_hz) Hz, not 480 at 48000 Hz")
        }
        let speech: Speech
        switch frame.speech {
        case CONCORD_NETEQ_NORMAL: speech = .normal
        case CONCORD_NETEQ_CONCEALED: speech = .concealed
        case CONCORD_NETEQ_COMFORT_NOISE: speech = .comfortNoise
        default: speech = .undefined
        }
        return Output(speech: speech, muted: frame.muted != 0, timestamp: frame.timestamp)
    }

    public var lifetimeStatistics: LifetimeStatistics { LifetimeStatistics(concord_neteq_lifetime_statistics(handle)) }
    /// NetEq's current target delay, ms.
    public var targetDelayMilliseconds: Int { Int(concord_neteq_target_delay_ms(handle)) }

    private static func microseconds(_ instant: Instant) -> Int64 { instant.nanoseconds / 1_000 }
}

/// NetEq refused something; the sentence is the shim's, naming what.
public struct NetEqError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }

    /// Room for the shim's sentence.
    final class Buffer {
        private static let capacity = 256
        private let bytes = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)

        init() { bytes.initialize(repeating: 0, count: Self.capacity) }
        deinit { bytes.deallocate() }

        func capture<T>(_ call: (UnsafeMutablePointer<CChar>, Int) -> T) -> T {
            bytes[0] = 0
            return call(bytes, Self.capacity)
        }

        func error(or fallback: String) -> NetEqError {
            let text = String(cString: bytes)
            return NetEqError(description: text.isEmpty ? fallback : text)
        }
    }
}
