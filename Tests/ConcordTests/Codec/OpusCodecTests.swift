import COpus
import Testing
@testable import Concord

@Suite struct OpusCodecTests {
    @Test func lookaheadMatchesTheOpusDocumentation() throws {
        #expect(try OpusEncoder(settings: OpusSettings()).lookaheadSamples == 312)  // 6.5 ms
        let lowDelay = OpusSettings(application: .restrictedLowDelay)
        #expect(try OpusEncoder(settings: lowDelay).lookaheadSamples == 120)  // 2.5 ms
    }

    @Test(arguments: [10, 20, 40, 60])
    func roundTripPreservesTheWaveform(frameMilliseconds: Int) throws {
        let settings = OpusSettings(bitrate: 48_000, frameMilliseconds: frameMilliseconds)
        let encoder = try OpusEncoder(settings: settings)
        let decoder = try OpusDecoder(frameMilliseconds: frameMilliseconds)
        let source = Array(try Fixtures.samples("a.wav").prefix(3 * 48_000))
        var decoded: [Float] = []
        var frame = [Float](repeating: 0, count: settings.frameSamples)
        for input in TestSignals.frames(source, frameSamples: settings.frameSamples) {
            let packet = try encoder.encode(input)
            #expect(OpusDecoder.sampleCount(of: packet) == settings.frameSamples)
            let n = try frame.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
            #expect(n == settings.frameSamples)
            decoded += frame
        }
        // Decoded speech is the source delayed by the encoder lookahead (SILK's resampler
        // shifts the waveform's phase by a few samples).
        let best = TestSignals.bestLag(source, decoded, range: 0...1_000)
        #expect(abs(best.lag - encoder.lookaheadSamples) <= 8, "lag \(best.lag)")
        #expect(best.correlation > 0.9, "correlation \(best.correlation)")
    }

    @Test func settingsOutOfRangeNameTheAllowedRange() {
        #expect(throws: CodecError.invalidSetting(name: "frameMilliseconds", value: "15", allowed: "10, 20, 40, 60 ms")) {
            try OpusEncoder(settings: OpusSettings(frameMilliseconds: 15))
        }
        #expect(throws: CodecError.invalidSetting(name: "bitrate", value: "1000", allowed: "6000...510000 b/s")) {
            try OpusEncoder(settings: OpusSettings(bitrate: 1_000))
        }
        #expect(throws: CodecError.self) { try OpusEncoder(settings: OpusSettings(complexity: 11)) }
        #expect(throws: CodecError.self) { try OpusEncoder(settings: OpusSettings(expectedLossPercent: 101)) }
        #expect(throws: CodecError.self) { try OpusDecoder(frameMilliseconds: 7) }
    }

    @Test func wrongFrameLengthIsRejected() throws {
        let encoder = try OpusEncoder(settings: OpusSettings())
        #expect(throws: CodecError.wrongFrameLength(expected: 960, got: 100)) {
            try encoder.encode([Float](repeating: 0, count: 100))
        }
    }

    @Test func corruptPayloadCarriesOpusStrerror() throws {
        let decoder = try OpusDecoder()
        var frame = [Float](repeating: 0, count: 960)
        // TOC 0xFF: code 3 (arbitrary frame count) with a frame-count byte of 0 is invalid.
        let error = #expect(throws: CodecError.self) {
            _ = try frame.withUnsafeMutableBufferPointer { try decoder.decode([0xFF, 0x00], into: $0) }
        }
        guard case .opus(_, let code, let message) = error else {
            Issue.record("expected an Opus error, got \(String(describing: error))")
            return
        }
        #expect(code < 0)
        #expect(message == "corrupted stream")
    }

    @Test func dtxTurnsSilenceIntoTinyPackets() throws {
        let encoder = try OpusEncoder(settings: OpusSettings(dtx: true))
        let silence = [Float](repeating: 0, count: 960)
        var sizes: [Int] = []
        for _ in 0..<50 { sizes.append(try encoder.encode(silence).count) }
        // After a short hangover, DTX frames are at most 2 bytes.
        #expect(sizes.suffix(20).filter { $0 <= 2 }.count >= 15)
    }

    /// Decoding a lost frame from the next packet's FEC must beat plain concealment.
    @Test func inbandFECRecoversALostFrameBetterThanConcealment() throws {
        let settings = OpusSettings(bitrate: 32_000, inbandFEC: true, expectedLossPercent: 20)
        let encoder = try OpusEncoder(settings: settings)
        let source = TestSignals.voiced(seconds: 3)
        let frames = TestSignals.frames(source, frameSamples: 960)
        let packets = try frames.map { try encoder.encode($0) }
        let lost = 100
        func decodeAll(recoverWithFEC: Bool) throws -> [Float] {
            let decoder = try OpusDecoder()
            var out: [Float] = []
            var frame = [Float](repeating: 0, count: 960)
            for (k, packet) in packets.enumerated() {
                if k == lost {
                    _ = try frame.withUnsafeMutableBufferPointer {
                        recoverWithFEC ? try decoder.decodeFEC(from: packets[k + 1], into: $0) : try decoder.conceal(into: $0)
                    }
                } else {
                    _ = try frame.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
                }
                out += frame
            }
            return out
        }
        let withFEC = try decodeAll(recoverWithFEC: true)
        let withPLC = try decodeAll(recoverWithFEC: false)
        let L = encoder.lookaheadSamples
        let sourceFrame = Array(source[(lost * 960 - L)..<(lost * 960 - L + 960)])
        let fecFrame = Array(withFEC[(lost * 960)..<(lost * 960 + 960)])
        let plcFrame = Array(withPLC[(lost * 960)..<(lost * 960 + 960)])
        let fecScore = TestSignals.correlation(sourceFrame, fecFrame, lag: 0)
        let plcScore = TestSignals.correlation(sourceFrame, plcFrame, lag: 0)
        #expect(fecScore > 0.7)
        #expect(fecScore > plcScore)
    }

    /// A concealment handed out in steps is one libopus call per frame: each frame's last step
    /// ends with the samples one whole-frame call gives, and the decoder is left exactly where
    /// that call leaves it, so the next packet decodes the same. Independent short calls would
    /// fade at every call.
    @Test(arguments: [240, 480])
    func concealmentInStepsContinuesOneCallPerFrame(step: Int) throws {
        let settings = OpusSettings()
        let encoder = try OpusEncoder(settings: settings)
        let packets = try TestSignals.frames(Array(try Fixtures.samples("a.wav").prefix(48_000)), frameSamples: 960)
            .map { try encoder.encode($0) }
        func decoderAfterSpeech() throws -> OpusDecoder {
            let decoder = try OpusDecoder()
            var frame = [Float](repeating: 0, count: 960)
            for packet in packets.prefix(30) {
                _ = try frame.withUnsafeMutableBufferPointer { try decoder.decode(packet, into: $0) }
            }
            return decoder
        }
        func conceal(_ decoder: OpusDecoder, frames: Int, step: Int) throws -> [Float] {
            var out: [Float] = []
            var part = [Float](repeating: 0, count: step)
            for _ in 0..<(frames * 960 / step) {
                #expect(try part.withUnsafeMutableBufferPointer { try decoder.conceal(into: $0) } == step)
                out += part
            }
            return out
        }
        func nextPacket(_ decoder: OpusDecoder) throws -> [Float] {
            var frame = [Float](repeating: 0, count: 960)
            _ = try frame.withUnsafeMutableBufferPointer { try decoder.decode(packets[30], into: $0) }
            return frame
        }
        let whole = try decoderAfterSpeech(), stepped = try decoderAfterSpeech()
        let wholeFrames = try conceal(whole, frames: 2, step: 960)
        let steppedFrames = try conceal(stepped, frames: 2, step: step)
        for end in [960, 1920] {
            #expect(steppedFrames[(end - step)..<end] == wholeFrames[(end - step)..<end])
        }
        // The earlier steps are shorter calls from the same state: the same waveform, near enough.
        #expect(TestSignals.correlation(steppedFrames, wholeFrames, lag: 0) > 0.95)
        #expect(try nextPacket(stepped) == nextPacket(whole))

        // What the replay avoids: libopus itself, called once per step, fades at every call.
        let energy = { (x: ArraySlice<Float>) in x.reduce(0) { $0 + $1 * $1 } }
        let independent = try Self.libopusConcealment(after: packets.prefix(30), steps: 2 * 960 / step, of: step)
        #expect(abs(energy(steppedFrames[960...]) / energy(wholeFrames[960...]) - 1) < 0.01)
        #expect(energy(independent[960...]) < 0.8 * energy(wholeFrames[960...]))
    }

    /// Plain libopus: decode `packets`, then conceal with `steps` calls of `step` samples each.
    static func libopusConcealment(after packets: ArraySlice<[UInt8]>, steps: Int, of step: Int) throws -> [Float] {
        var error: Int32 = 0
        let decoder = try #require(opus_decoder_create(48_000, 1, &error))
        defer { opus_decoder_destroy(decoder) }
        var out = [Float](repeating: 0, count: 960)
        for packet in packets {
            #expect(opus_decode_float(decoder, packet, Int32(packet.count), &out, 960, 0) == 960)
        }
        var concealed: [Float] = []
        var part = [Float](repeating: 0, count: step)
        for _ in 0..<steps {
            #expect(opus_decode_float(decoder, nil, 0, &part, Int32(step), 0) == Int32(step))
            concealed += part
        }
        return concealed
    }
}
