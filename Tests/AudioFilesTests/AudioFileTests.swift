import CSndFile
import Foundation
import Testing
@testable import AudioFiles

@Suite struct AudioFileTests {
    // MARK: Round trips

    @Test func audioRoundTripPCM16IsWithinQuantisation() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("pcm16.wav")
        let samples = (0..<4801).map { n in 0.9 * Float(sin(Double(n) * 0.0123) * cos(Double(n) * 0.0007)) }
        try WAVWriter.write(path: path, samples: samples, encoding: .pcm16)

        let back = try WAVReader.readMono48k(path: path)
        #expect(back.count == samples.count)
        let worst = zip(samples, back).map { abs($0 - $1) }.max() ?? 1
        // libsndfile writes x·32767 rounded and reads n/32768: at most 1.5 LSB apart.
        #expect(worst <= 1.5 / 32768)

        let info = try WAVReader.info(path: path)
        #expect(info.sampleRate == 48_000 && info.channels == 1 && info.frames == 4801)
        #expect(info.formatDescription.contains("16 bit PCM"))
    }

    @Test func audioRoundTripFloat32IsExact() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("float.wav")
        let samples = (0..<3000).map { n in Float(sin(Double(n) * 0.05)) * 0.7 } + [1.25, -1.5]
        try WAVWriter.write(path: path, samples: samples, encoding: .float32)
        #expect(try WAVReader.readMono48k(path: path) == samples)
        #expect(try WAVReader.info(path: path).formatDescription.contains("32 bit float"))
    }

    @Test func audioPCM16ClipsInsteadOfWrapping() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("clip.wav")
        try WAVWriter.write(path: path, samples: [1.5, -1.5, 4, -4, 0.25], encoding: .pcm16)
        let back = try WAVReader.readMono48k(path: path)
        #expect(back.count == 5)
        #expect(back[0] > 0.999 && back[2] > 0.999)
        #expect(back[1] <= -0.999 && back[3] <= -0.999)
        #expect(abs(back[4] - 0.25) < 1e-4)
    }

    @Test func audioWriterIsDeterministic() throws {
        let dir = try AudioTemporaryDirectory()
        let samples = AudioSignal.sine(frequency: 300, rate: 48_000, seconds: 0.1)
        for encoding in [WAVWriter.Encoding.pcm16, .float32] {
            let first = dir.path("first.wav"), second = dir.path("second.wav")
            try WAVWriter.write(path: first, samples: samples, encoding: encoding)
            try WAVWriter.write(path: second, samples: samples, encoding: encoding)
            let a = try Data(contentsOf: URL(fileURLWithPath: first))
            let b = try Data(contentsOf: URL(fileURLWithPath: second))
            #expect(a == b, "\(encoding) output differs between identical writes")
        }
    }

    @Test func audioWriterStreamsInBlocksAndCountsFrames() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("blocks.wav")
        let samples = AudioSignal.sine(frequency: 500, rate: 48_000, seconds: 0.5)
        let writer = try WAVWriter(path: path, encoding: .float32)
        for start in stride(from: 0, to: samples.count, by: 960) {
            try samples[start..<min(start + 960, samples.count)].withUnsafeBufferPointer {
                (block) throws(SoundFileError) in try writer.write(block)
            }
        }
        #expect(writer.framesWritten == samples.count)
        try writer.close()
        try writer.close()  // idempotent
        #expect(try WAVReader.readMono48k(path: path) == samples)
    }

    // MARK: Rates, channels and formats

    @Test func audioStereo44k1SineReadsAs48kMono() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("stereo44k1.wav")
        let left = AudioSignal.sine(frequency: 1000, rate: 44_100, seconds: 1)
        let right = left.map { $0 * 0.5 }
        try WAVWriter.write(
            path: path, samples: AudioSignal.interleave([left, right]), encoding: .pcm16,
            sampleRate: 44_100, channels: 2)
        #expect(try WAVReader.info(path: path).channels == 2)

        let mono = try WAVReader.readMono48k(path: path)
        #expect(abs(mono.count - 48_000) <= 4, "got \(mono.count) samples")
        let frequency = AudioSignal.estimatedFrequency(mono, rate: 48_000)
        #expect(abs(frequency - 1000) <= 3, "estimated \(frequency) Hz")
        // Mean of 0.5 and 0.25 amplitude: 0.375 peak, RMS 0.375/√2.
        #expect(abs(AudioSignal.rms(mono) - 0.375 / 2.0.squareRoot()) < 0.005)
    }

    @Test func audioOppositePhaseChannelsDownmixToSilence() throws {
        let dir = try AudioTemporaryDirectory()
        // Float files cancel exactly, resampled or not. 16-bit files cancel to within one LSB:
        // libsndfile's clipping float→int conversion floors, so −x is not always −(x).
        for (encoding, tolerance) in [(WAVWriter.Encoding.float32, Float(0)), (.pcm16, 1 / 32768)] {
            for rate in [48_000, 44_100] {
                let path = dir.path("opposite-\(rate)-\(encoding).wav")
                let left = AudioSignal.sine(frequency: 440, rate: rate, seconds: 0.25, amplitude: 0.8)
                try WAVWriter.write(
                    path: path, samples: AudioSignal.interleave([left, left.map { -$0 }]),
                    encoding: encoding, sampleRate: rate, channels: 2)
                let mono = try WAVReader.readMono48k(path: path)
                #expect(!mono.isEmpty)
                let peak = mono.map { abs($0) }.max() ?? 1
                #expect(peak <= tolerance, "\(encoding) at \(rate) Hz left \(peak)")
            }
        }
    }

    @Test func audioDownmixIsTheMeanOfChannels() {
        let mono = Downmix.mean(interleaved: [1, 0, 0.5, 0.5, 0.25, -0.25, 9], channels: 2)
        #expect(mono == [0.5, 0.5, 0])  // the trailing partial frame is ignored
        #expect(Downmix.mean(interleaved: [0.3, 0.6, 0.9], channels: 3) == [0.6])
        #expect(Downmix.mean(interleaved: [0.3], channels: 0).isEmpty)
    }

    @Test func audio8kHz16BitReadsFine() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("8k.wav")
        try WAVWriter.write(
            path: path, samples: AudioSignal.sine(frequency: 440, rate: 8000, seconds: 0.5),
            sampleRate: 8000)
        let mono = try WAVReader.readMono48k(path: path)
        #expect(abs(mono.count - 24_000) <= 4, "got \(mono.count) samples")
        #expect(abs(AudioSignal.estimatedFrequency(mono, rate: 48_000) - 440) <= 3)
    }

    /// Every sample format and container the reader promises, each written by libsndfile itself.
    @Test(arguments: [
        ("16 kHz 24-bit WAV", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 16_000, 1, "24 bit PCM"),
        ("22.05 kHz unsigned 8-bit WAV", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 22_050, 1, "8 bit PCM"),
        ("32 kHz 32-bit int stereo WAV", SF_FORMAT_WAV | SF_FORMAT_PCM_32, 32_000, 2, "32 bit PCM"),
        ("96 kHz double WAV", SF_FORMAT_WAV | SF_FORMAT_DOUBLE, 96_000, 1, "64 bit float"),
        ("44.1 kHz FLAC", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44_100, 1, "FLAC"),
        ("11.025 kHz AIFF 3 channels", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 11_025, 3, "AIFF"),
    ])
    func audioReadsOtherFormats(
        name: String, format: Int, rate: Int, channels: Int, formatName: String
    ) throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("format.snd")
        let tone = AudioSignal.sine(frequency: 440, rate: rate, seconds: 0.5, amplitude: 0.6)
        let writer = try WAVWriter(
            path: path, format: Int32(format), sampleRate: rate, channels: channels)
        try writer.write(AudioSignal.interleave(Array(repeating: tone, count: channels)))
        try writer.close()

        let info = try WAVReader.info(path: path)
        #expect(info.sampleRate == rate && info.channels == channels && info.frames == tone.count)
        #expect(info.formatDescription.contains(formatName), "\(name): \(info)")

        let mono = try WAVReader.readMono48k(path: path)
        #expect(abs(mono.count - 24_000) <= 4, "\(name): got \(mono.count) samples")
        let frequency = AudioSignal.estimatedFrequency(mono, rate: 48_000)
        #expect(abs(frequency - 440) <= 3, "\(name): estimated \(frequency) Hz")
        #expect(abs(AudioSignal.rms(mono) - 0.6 / 2.0.squareRoot()) < 0.01, "\(name)")
    }

    @Test func audioReadsAcrossBlockBoundariesExactly() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("long.wav")
        let frames = WAVReader.blockFrames * 3 + 17
        let left = (0..<frames).map { Float($0 % 200) / 400 }
        let right = left.map { -$0 / 2 }
        try WAVWriter.write(
            path: path, samples: AudioSignal.interleave([left, right]), encoding: .float32,
            channels: 2)
        let mono = try WAVReader.readMono48k(path: path)
        #expect(mono == zip(left, right).map { ($0 + $1) / 2 })
    }

    // MARK: Bad input

    @Test func audioMissingFileNamesPathAndReason() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("missing.wav")
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .cannotOpen(let errorPath, let reason) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == path)
        #expect(reason.contains("No such file or directory"))
        #expect(error.description.contains(path) && error.description.contains(reason))
    }

    @Test func audioGarbageBytesAreRejectedWithLibsndfileReason() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("garbage.wav")
        let bytes = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        #expect(error == .cannotOpen(path: path, reason: "Format not recognised."))
    }

    @Test func audioTruncatedHeaderIsRejected() throws {
        let dir = try AudioTemporaryDirectory()
        let good = dir.path("good.wav"), path = dir.path("truncated.wav")
        try WAVWriter.write(path: good, samples: AudioSignal.sine(frequency: 440, rate: 48_000, seconds: 0.1))
        let header = try Data(contentsOf: URL(fileURLWithPath: good)).prefix(20)
        try header.write(to: URL(fileURLWithPath: path))
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .cannotOpen(let errorPath, let reason) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == path)
        #expect(reason.contains("WAV"), "libsndfile's reason: \(reason)")
    }

    @Test func audioCorruptDataIsAReadFailure() throws {
        // A FLAC file cut in half opens (its header is intact) but the decoder loses sync.
        let dir = try AudioTemporaryDirectory()
        let good = dir.path("good.flac"), path = dir.path("cut.flac")
        let writer = try WAVWriter(
            path: good, format: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16), sampleRate: 48_000,
            channels: 1)
        try writer.write(AudioSignal.sine(frequency: 440, rate: 48_000, seconds: 2))
        try writer.close()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: path))

        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .readFailed(let errorPath, let reason) = error else {
            Issue.record("expected readFailed, got \(error)"); return
        }
        #expect(errorPath == path)
        #expect(reason.localizedCaseInsensitiveContains("flac"), "libsndfile's reason: \(reason)")
    }

    @Test func audioZeroFrameWAVIsEmpty() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("zero-frames.wav")
        try WAVWriter(path: path).close()
        #expect(try WAVReader.info(path: path).frames == 0)
        #expect(throws: SoundFileError.empty(path: path)) { try WAVReader.readMono48k(path: path) }
    }

    @Test func audioZeroByteFileIsEmpty() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("zero-bytes.wav")
        try Data().write(to: URL(fileURLWithPath: path))
        #expect(throws: SoundFileError.empty(path: path)) { try WAVReader.readMono48k(path: path) }
    }

    @Test func audioDirectoryIsRejected() throws {
        let dir = try AudioTemporaryDirectory()
        let error = try #require(throws: SoundFileError.self) {
            try WAVReader.readMono48k(path: dir.url.path)
        }
        guard case .cannotOpen(let errorPath, let reason) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == dir.url.path && reason.contains("directory"))
    }

    @Test func audioPathThroughAFileIsRejected() throws {
        // The root-proof way to make a path unopenable: a regular file used as a directory.
        let dir = try AudioTemporaryDirectory()
        let file = dir.path("plain")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let path = file + "/inner.wav"
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .cannotOpen(let errorPath, let reason) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == path && reason.contains("Not a directory"))
    }

    @Test(.disabled(if: audioTestsRunAsRoot, "root ignores file permissions, so chmod 000 cannot make a file unreadable"))
    func audioUnreadableFileIsRejected() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("locked.wav")
        try WAVWriter.write(path: path, samples: [0.1, 0.2])
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .cannotOpen(let errorPath, let reason) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == path && reason.contains("Permission denied"))
    }

    @Test func audioWriterMisuseIsTyped() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("stereo.wav")
        let writer = try WAVWriter(path: path, channels: 2)
        #expect(throws: SoundFileError.self) { try writer.write([0.1, 0.2, 0.3]) }
        try writer.write([0.1, 0.2])
        try writer.close()
        let afterClose = try #require(throws: SoundFileError.self) { try writer.write([0.1, 0.2]) }
        #expect(afterClose.path == path)

        let nowhere = dir.path("no/such/dir/out.wav")
        let error = try #require(throws: SoundFileError.self) { try WAVWriter(path: nowhere) }
        guard case .cannotOpen(let errorPath, _) = error else {
            Issue.record("expected cannotOpen, got \(error)"); return
        }
        #expect(errorPath == nowhere)
        #expect(throws: SoundFileError.self) { try WAVWriter(path: dir.path("bad.wav"), sampleRate: 0) }
    }

    @Test func audioErrorDescriptionsAreSentences() {
        let errors: [SoundFileError] = [
            .cannotOpen(path: "/x/a.wav", reason: "Format not recognised."),
            .empty(path: "/x/a.wav"),
            .readFailed(path: "/x/a.wav", reason: "Unspecified internal error"),
            .writeFailed(path: "/x/a.wav", reason: "disk full"),
            .resampleFailed(path: "/x/a.wav", reason: "Ratio outside [1/256, 256] range."),
            .unsupported(path: "/x/a.wav", reason: "the header declares 0 channels"),
        ]
        for error in errors {
            #expect(error.description.contains("'/x/a.wav'"))
            #expect(error.description.hasSuffix("."))
            #expect(!error.description.hasSuffix(".."))
            #expect(error.path == "/x/a.wav")
        }
    }
}
