import COpus

/// An Opus decoder for 48 kHz mono; owns its `OpusDecoder*` and frees it on deinit.
public final class OpusDecoder {
    /// Samples in one output frame.
    public let frameSamples: Int
    private let state: OpaquePointer
    /// How far a run of concealments has got into its current frame of libopus concealment: 0 at
    /// a frame's start (and after any decode).
    private var concealedIntoFrame = 0
    /// The decoder's state where that frame began, to replay it from; as many bytes as
    /// `opus_decoder_get_size` says (18 KB for mono). The state is one position-independent block
    /// that a shallow copy captures (opus.h). It and `replay` are allocated by the first
    /// concealment shorter than a frame: in a big room most decoders never make one.
    private var frameStart: [UInt8] = []
    private let stateBytes: Int
    private var replay: [Float] = []

    public init(frameMilliseconds: Int = 20) throws(CodecError) {
        guard OpusSettings.allowedFrameMilliseconds.contains(frameMilliseconds) else {
            throw .invalidSetting(
                name: "frameMilliseconds", value: "\(frameMilliseconds)",
                allowed: OpusSettings.allowedFrameMilliseconds.map(String.init).joined(separator: ", ") + " ms")
        }
        var error: Int32 = 0
        guard let state = opus_decoder_create(Int32(AudioFormat.sampleRate), 1, &error), error == OPUS_OK else {
            throw .opus(operation: "decoder_create", code: error, message: CodecError.opusMessage(error))
        }
        self.state = state
        self.frameSamples = AudioFormat.samples(milliseconds: frameMilliseconds)
        stateBytes = Int(opus_decoder_get_size(1))
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes `packet` into `output` (which must hold `frameSamples`); returns samples written.
    public func decode(_ packet: [UInt8], into output: UnsafeMutableBufferPointer<Float>) throws(CodecError) -> Int {
        try run(packet, fec: false, into: output, operation: "decode")
    }

    /// Packet-loss concealment: synthesises audio for a packet that never came — a frame, or
    /// `output.count` samples when that is less and a whole number of `concealmentStep`s (the
    /// next decode carries on from where it stopped).
    ///
    /// Successive concealments continue one another as a single call would: each frame of
    /// concealment is one libopus call, however many calls it is handed out in. A call that
    /// continues a frame replays it from the decoder's state at the frame's start, to where this
    /// call ends, and returns the new part, so the decoder ends where one call leaves it. libopus
    /// fades its concealment at every call of a loss: on speech, a second lost 20 ms frame
    /// concealed in 10 ms calls kept 76 % of the energy one call per frame gives, in 5 ms calls
    /// 15 % (`OpusCodecTests`). A buffer waiting for a late frame half a frame at a time faded
    /// that way; with the replay, ViSQOL on the presets rose by up to 0.03 (EDGE).
    public func conceal(into output: UnsafeMutableBufferPointer<Float>) throws(CodecError) -> Int {
        let step = Self.concealmentStep
        let count = min(output.count, frameSamples)
        guard count == frameSamples || (count >= step && count % step == 0) else {
            throw .wrongFrameLength(expected: frameSamples, got: output.count)
        }
        var written = 0
        while written < count {
            let part = min(count - written, frameSamples - concealedIntoFrame)
            let into = output.baseAddress! + written
            if concealedIntoFrame == 0 {
                if part < frameSamples { saveFrameStart() }
                try concealment(into: into, count: part)
            } else {
                restoreFrameStart()
                let end = concealedIntoFrame + part
                try replay.withUnsafeMutableBufferPointer { buffer throws(CodecError) in
                    try concealment(into: buffer.baseAddress!, count: end)
                    into.update(from: buffer.baseAddress! + concealedIntoFrame, count: part)
                }
            }
            concealedIntoFrame = (concealedIntoFrame + part) % frameSamples
            written += part
        }
        return count
    }

    private func concealment(into output: UnsafeMutablePointer<Float>, count: Int) throws(CodecError) {
        let decoded = opus_decode_float(state, nil, 0, output, Int32(count), 0)
        try CodecError.check(decoded, "conceal")
    }

    private func saveFrameStart() {
        if frameStart.isEmpty {
            frameStart = [UInt8](repeating: 0, count: stateBytes)
            replay = [Float](repeating: 0, count: frameSamples)
        }
        frameStart.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: UnsafeRawPointer(state), byteCount: stateBytes) }
    }

    private func restoreFrameStart() {
        frameStart.withUnsafeBytes { UnsafeMutableRawPointer(state).copyMemory(from: $0.baseAddress!, byteCount: stateBytes) }
    }

    /// libopus conceals in steps of 2.5 ms, its shortest frame.
    public static let concealmentStep = AudioFormat.sampleRate / 400

    /// Recovers the frame *before* `nextPacket` from the in-band FEC (LBRR) data it carries.
    /// Without FEC data in `nextPacket`, libopus falls back to concealment.
    public func decodeFEC(from nextPacket: [UInt8], into output: UnsafeMutableBufferPointer<Float>) throws(CodecError)
        -> Int
    {
        try run(nextPacket, fec: true, into: output, operation: "decode FEC")
    }

    /// Resets the decoder's history, for a stream that restarts after a long gap.
    public func reset() {
        _ = concord_opus_decoder_reset(state)
        concealedIntoFrame = 0
    }

    /// Samples (at 48 kHz) in `packet`, or nil if it is not a valid Opus packet.
    public static func sampleCount(of packet: [UInt8]) -> Int? {
        guard !packet.isEmpty else { return nil }
        let count = packet.withUnsafeBufferPointer {
            opus_packet_get_nb_samples($0.baseAddress!, Int32($0.count), Int32(AudioFormat.sampleRate))
        }
        return count > 0 ? Int(count) : nil
    }

    private func run(
        _ packet: [UInt8], fec: Bool, into output: UnsafeMutableBufferPointer<Float>, operation: String
    ) throws(CodecError) -> Int {
        guard output.count >= frameSamples else {
            throw .wrongFrameLength(expected: frameSamples, got: output.count)
        }
        concealedIntoFrame = 0
        let decoded = packet.withUnsafeBufferPointer { bytes in
            opus_decode_float(
                state, bytes.baseAddress, Int32(bytes.count), output.baseAddress!, Int32(frameSamples), fec ? 1 : 0)
        }
        try CodecError.check(decoded, operation)
        return Int(decoded)
    }
}
