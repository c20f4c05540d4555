import Concord

/// The figures of one received voice stream, shared by the live view and `--summary-json`:
/// what was measured, and the mouth-to-ear estimate built from those measurements.
///
/// A stream that delivered nothing is dead, not perfect: ``packetsReceived`` 0 means loss 100 %
/// and no latency, concealment or buffer figure at all (there is nothing to measure them on).
public struct VoiceFigures: Sendable, Equatable, Codable {
    /// Measured: authentic voice packets that reached the jitter buffer.
    public var packetsReceived: Int
    /// Measured: packets that never arrived, in % of the span of sequence numbers seen; 100 when
    /// nothing arrived.
    public var lossPercent: Double
    /// Measured: mean time the packets played in the last 2 s (or, while the member is silent,
    /// in the last 2 s it talked) waited between reaching this machine's socket and being
    /// played; nil before a packet was played. What the estimate adds.
    public var jitterBufferDelayMs: Double?
    /// Measured: the same over the whole session (W3C jitterBufferDelay / emitted count). It
    /// includes the start, when the buffer begins at its initial 80 ms and then adapts down,
    /// so it is higher than the delay most of the audio was played at.
    public var jitterBufferSessionMeanMs: Double?
    /// The jitter buffer's current target delay: what it aims for, a setting it adapts, not a
    /// measurement of any packet.
    public var jitterBufferTargetMs: Double?
    /// Measured: concealed share of the samples played while the sender talked; nil without audio.
    public var concealedPercent: Double?
    /// Measured: the round trip to this member, from the echoes in its receiver reports
    /// (smoothed); before its first report, the secure handshake's; nil when neither is known.
    public var rttMs: Double?
    /// Reported by the member: the share of this client's voice it lost over its last report
    /// interval, %; nil before its first report about this client's voice.
    public var outboundLossPercent: Double?
    /// Estimated mouth-to-ear latency and its parts; nil when a part is unknown (no audio played
    /// yet, or no RTT).
    public var latencyEstimate: LatencyEstimate?

    /// Nothing arrived: loss 100 %, nothing else measured.
    public static func noAudio(rttMs: Double? = nil) -> VoiceFigures {
        VoiceFigures(packetsReceived: 0, lossPercent: 100, rttMs: rttMs)
    }

    public init(
        packetsReceived: Int, lossPercent: Double, jitterBufferDelayMs: Double? = nil,
        jitterBufferSessionMeanMs: Double? = nil, jitterBufferTargetMs: Double? = nil, concealedPercent: Double? = nil,
        rttMs: Double? = nil, outboundLossPercent: Double? = nil, latencyEstimate: LatencyEstimate? = nil
    ) {
        self.packetsReceived = packetsReceived
        self.lossPercent = lossPercent
        self.jitterBufferDelayMs = jitterBufferDelayMs
        self.jitterBufferSessionMeanMs = jitterBufferSessionMeanMs
        self.jitterBufferTargetMs = jitterBufferTargetMs
        self.concealedPercent = concealedPercent
        self.rttMs = rttMs
        self.outboundLossPercent = outboundLossPercent
        self.latencyEstimate = latencyEstimate
    }

    /// Figures from a receiver's jitter-buffer statistics (nil: no receiver yet), its loss
    /// bookkeeping, its recent buffer delay (``RecentBufferDelay``) and the handshake RTT; the
    /// estimate's other parts are the frame duration and the encoder's lookahead.
    public static func measure(
        statistics: JitterBufferStatistics?, lossRatio: Double?, jitterBufferDelayMs: Double?, rttMs: Double?,
        frameMs: Double, codecLookaheadMs: Double, outboundLossPercent: Double? = nil
    ) -> VoiceFigures {
        guard let statistics, statistics.packetsReceived > 0 else {
            var figures = VoiceFigures.noAudio(rttMs: rttMs)
            figures.outboundLossPercent = outboundLossPercent
            return figures
        }
        let played = statistics.jitterBufferEmittedCount > 0
        let delay = played ? jitterBufferDelayMs : nil
        return VoiceFigures(
            packetsReceived: statistics.packetsReceived, lossPercent: 100 * min(max(lossRatio ?? 0, 0), 1),
            jitterBufferDelayMs: delay,
            jitterBufferSessionMeanMs: played ? statistics.meanJitterBufferDelayMilliseconds : nil,
            jitterBufferTargetMs: statistics.targetDelayMilliseconds,
            concealedPercent: statistics.totalSamplesReceived > statistics.silentSamples
                ? 100 * statistics.concealmentRatio : nil,
            rttMs: rttMs, outboundLossPercent: outboundLossPercent,
            latencyEstimate: delay.flatMap { delay in
                rttMs.map {
                    LatencyEstimate(frameMs: frameMs, codecLookaheadMs: codecLookaheadMs, oneWayNetworkMs: $0 / 2, jitterBufferMs: delay)
                }
            })
    }

    public var hasAudio: Bool { packetsReceived > 0 }

    enum CodingKeys: String, CodingKey {
        case packetsReceived = "packets_received"
        case lossPercent = "loss_percent"
        case jitterBufferDelayMs = "jitter_buffer_delay_ms"
        case jitterBufferSessionMeanMs = "jitter_buffer_delay_session_mean_ms"
        case jitterBufferTargetMs = "jitter_buffer_target_ms"
        case concealedPercent = "concealed_percent"
        case rttMs = "rtt_ms"
        case outboundLossPercent = "outbound_loss_percent"
        case latencyEstimate = "latency_estimate"
    }
}

/// An estimate of mouth-to-ear latency from its parts: a frame is sent once it is full (frame),
/// the encoder delays the signal by its lookahead, the network takes half the measured round
/// trip, and the packet then waits in the jitter buffer (measured, from its arrival on this
/// machine's socket, so the wait for the engine's next tick is included). Not included: the
/// sound devices' own buffers, which PortAudio does not measure (zero with WAV files).
///
/// The one part not measured on the voice itself is the network's: half the round trip, which
/// receiver reports measure without the other side's wait for its next engine tick (their echo
/// says how long it held the report). Until the first report the handshake's round trip stands
/// in; it also holds that wait (0 to one frame) and the key derivation, so half of it may
/// overstate the one-way delay by up to half a frame.
public struct LatencyEstimate: Sendable, Equatable, Codable {
    public var totalMs: Double
    public var frameMs: Double
    public var codecLookaheadMs: Double
    public var oneWayNetworkMs: Double
    public var jitterBufferMs: Double

    public init(frameMs: Double, codecLookaheadMs: Double, oneWayNetworkMs: Double, jitterBufferMs: Double) {
        self.frameMs = frameMs
        self.codecLookaheadMs = codecLookaheadMs
        self.oneWayNetworkMs = oneWayNetworkMs
        self.jitterBufferMs = jitterBufferMs
        totalMs = frameMs + codecLookaheadMs + oneWayNetworkMs + jitterBufferMs
    }

    enum CodingKeys: String, CodingKey {
        case totalMs = "total_ms"
        case frameMs = "frame_ms"
        case codecLookaheadMs = "codec_lookahead_ms"
        case oneWayNetworkMs = "one_way_network_ms"
        case jitterBufferMs = "jitter_buffer_ms"
    }
}
