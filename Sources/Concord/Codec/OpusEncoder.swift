import COpus

/// An Opus encoder for 48 kHz mono frames; owns its `OpusEncoder*` and frees it on deinit.
///
/// A class, not a struct, because the C state is a single mutable object: copying the
/// wrapper must not alias it.
public final class OpusEncoder {
    /// As configured; `setLossProtection` changes the FEC fields while it runs.
    public private(set) var settings: OpusSettings
    /// Encoder delay in samples (`OPUS_GET_LOOKAHEAD`): part of mouth-to-ear latency.
    public let lookaheadSamples: Int
    private let state: OpaquePointer
    /// Reused output buffer; 1275 bytes is the largest Opus frame (RFC 6716 §3.2.1) — a
    /// 60 ms frame packs up to three of them.
    private var scratch = [UInt8](repeating: 0, count: 4_000)

    public init(settings: OpusSettings) throws(CodecError) {
        try settings.validate()
        let application =
            settings.application == .voip ? OPUS_APPLICATION_VOIP : OPUS_APPLICATION_RESTRICTED_LOWDELAY
        var error: Int32 = 0
        guard let state = opus_encoder_create(Int32(AudioFormat.sampleRate), 1, application, &error),
            error == OPUS_OK
        else {
            throw .opus(operation: "encoder_create", code: error, message: CodecError.opusMessage(error))
        }
        self.state = state
        self.settings = settings
        do {
            try CodecError.check(concord_opus_set_bitrate(state, Int32(settings.bitrate)), "set bitrate")
            try CodecError.check(concord_opus_set_complexity(state, Int32(settings.complexity)), "set complexity")
            try CodecError.check(concord_opus_set_vbr(state, settings.variableBitrate ? 1 : 0), "set VBR")
            try CodecError.check(concord_opus_set_inband_fec(state, settings.inbandFEC ? 1 : 0), "set in-band FEC")
            try CodecError.check(
                concord_opus_set_packet_loss_perc(state, Int32(settings.expectedLossPercent)), "set packet loss %")
            try CodecError.check(concord_opus_set_dtx(state, settings.dtx ? 1 : 0), "set DTX")
            try CodecError.check(concord_opus_set_signal_voice(state), "set signal")
            var lookahead: Int32 = 0
            try CodecError.check(concord_opus_get_lookahead(state, &lookahead), "get lookahead")
            self.lookaheadSamples = Int(lookahead)
        } catch {
            opus_encoder_destroy(state)
            throw error
        }
    }

    deinit { opus_encoder_destroy(state) }

    /// Turns in-band FEC on or off, and plans it for `expectedLossPercent`, between two frames
    /// (the sender's adaptation to its listeners' reports). Opus takes both at the next encode.
    public func setLossProtection(inbandFEC: Bool, expectedLossPercent: Int) throws(CodecError) {
        var next = settings
        next.inbandFEC = inbandFEC
        next.expectedLossPercent = expectedLossPercent
        try next.validate()
        try CodecError.check(concord_opus_set_inband_fec(state, inbandFEC ? 1 : 0), "set in-band FEC")
        try CodecError.check(concord_opus_set_packet_loss_perc(state, Int32(expectedLossPercent)), "set packet loss %")
        settings = next
    }

    /// Changes the target bitrate between two frames (the sender fitting a bandwidth estimate).
    public func setBitrate(_ bitrate: Int) throws(CodecError) {
        var next = settings
        next.bitrate = bitrate
        try next.validate()
        try CodecError.check(concord_opus_set_bitrate(state, Int32(bitrate)), "set bitrate")
        settings = next
    }

    /// Encodes one frame of `settings.frameSamples` samples into an Opus packet.
    ///
    /// With DTX on, a silent frame comes back as a packet of at most 2 bytes: the sender
    /// does not transmit those (see `isDTXPacket`).
    public func encode(_ frame: UnsafeBufferPointer<Float>) throws(CodecError) -> [UInt8] {
        guard frame.count == settings.frameSamples else {
            throw .wrongFrameLength(expected: settings.frameSamples, got: frame.count)
        }
        let capacity = Int32(scratch.count)
        let written = scratch.withUnsafeMutableBufferPointer { out in
            opus_encode_float(state, frame.baseAddress!, Int32(frame.count), out.baseAddress!, capacity)
        }
        try CodecError.check(written, "encode")
        return Array(scratch[0..<Int(written)])
    }

    public func encode(_ frame: [Float]) throws(CodecError) -> [UInt8] {
        try frame.withUnsafeBufferPointer { (pcm) throws(CodecError) in try encode(pcm) }
    }

    /// Whether the last frame encoded was silence under DTX: either not worth sending, or one of
    /// the comfort-noise updates Opus emits about every 400 ms during DTX (`OPUS_GET_IN_DTX`).
    public var isInDTX: Bool {
        var value: Int32 = 0
        return concord_opus_get_in_dtx(state, &value) == OPUS_OK && value == 1
    }

    /// Opus's DTX emits packets of 1–2 bytes (TOC only) for frames it judged silent.
    @inlinable
    public static func isDTXPacket(_ packet: [UInt8]) -> Bool { packet.count <= 2 }
}
