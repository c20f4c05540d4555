import COpus

/// An Opus decoder for 48 kHz mono; owns its `OpusDecoder*` and frees it on deinit.
public final class OpusDecoder {
    /// Samples in one output frame.
    public let frameSamples: Int
    private let state: OpaquePointer

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
    }

    deinit { opus_decoder_destroy(state) }

    /// Decodes `packet` into `output` (which must hold `frameSamples`); returns samples written.
    public func decode(_ packet: [UInt8], into output: UnsafeMutableBufferPointer<Float>) throws(CodecError) -> Int {
        try run(packet, fec: false, into: output, operation: "decode")
    }

    /// Packet-loss concealment: synthesises audio for a packet that never came — a frame, or
    /// `output.count` samples when that is less and a whole number of `concealmentStep`s (the
    /// next decode carries on from where it stopped).
    public func conceal(into output: UnsafeMutableBufferPointer<Float>) throws(CodecError) -> Int {
        let step = Self.concealmentStep
        guard output.count < frameSamples else { return try run(nil, fec: false, into: output, operation: "conceal") }
        guard output.count >= step, output.count % step == 0 else {
            throw .wrongFrameLength(expected: frameSamples, got: output.count)
        }
        let decoded = opus_decode_float(state, nil, 0, output.baseAddress!, Int32(output.count), 0)
        try CodecError.check(decoded, "conceal")
        return Int(decoded)
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
    public func reset() { _ = concord_opus_decoder_reset(state) }

    /// Samples (at 48 kHz) in `packet`, or nil if it is not a valid Opus packet.
    public static func sampleCount(of packet: [UInt8]) -> Int? {
        guard !packet.isEmpty else { return nil }
        let count = packet.withUnsafeBufferPointer {
            opus_packet_get_nb_samples($0.baseAddress!, Int32($0.count), Int32(AudioFormat.sampleRate))
        }
        return count > 0 ? Int(count) : nil
    }

    private func run(
        _ packet: [UInt8]?, fec: Bool, into output: UnsafeMutableBufferPointer<Float>, operation: String
    ) throws(CodecError) -> Int {
        guard output.count >= frameSamples else {
            throw .wrongFrameLength(expected: frameSamples, got: output.count)
        }
        let decoded: Int32
        if let packet {
            decoded = packet.withUnsafeBufferPointer { bytes in
                opus_decode_float(
                    state, bytes.baseAddress, Int32(bytes.count), output.baseAddress!, Int32(frameSamples),
                    fec ? 1 : 0)
            }
        } else {
            decoded = opus_decode_float(state, nil, 0, output.baseAddress!, Int32(frameSamples), 0)
        }
        try CodecError.check(decoded, operation)
        return Int(decoded)
    }
}
