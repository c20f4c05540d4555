import Testing
@testable import AudioFiles

@Suite struct AudioResamplerTests {
    @Test func audioResamplerStreamingMatchesOneShot() throws {
        let input = AudioSignal.sine(frequency: 700, rate: 44_100, seconds: 0.5)
        let whole = try Resampler(fromRate: 44_100).process(input, endOfInput: true)

        let streaming = try Resampler(fromRate: 44_100)
        var pieces: [Float] = []
        var start = 0
        for size in [1, 441, 7, 4000, 882, 10_000] where start < input.count {
            let end = min(start + size, input.count)
            pieces += try streaming.process(Array(input[start..<end]))
            start = end
        }
        pieces += try streaming.process(Array(input[start...]), endOfInput: true)

        #expect(abs(whole.count - 24_000) <= 2)
        #expect(pieces.count == whole.count)
        let worst = zip(whole, pieces).map { abs($0 - $1) }.max() ?? 1
        #expect(worst < 1e-5)
    }

    @Test func audioResamplerIsReusableAfterFlush() throws {
        let resampler = try Resampler(fromRate: 16_000, quality: .fastest)
        let input = AudioSignal.sine(frequency: 300, rate: 16_000, seconds: 0.1)
        let first = try resampler.process(input, endOfInput: true)
        let second = try resampler.process(input, endOfInput: true)
        #expect(first == second)
        #expect(abs(first.count - 4800) <= 2)
    }

    @Test(arguments: [Resampler.Quality.best, .medium, .fastest])
    func audioResamplerQualitiesKeepFrequency(quality: Resampler.Quality) throws {
        let input = AudioSignal.sine(frequency: 1000, rate: 22_050, seconds: 0.5)
        let output = try Resampler(fromRate: 22_050, quality: quality).process(input, endOfInput: true)
        #expect(abs(output.count - 24_000) <= 2)
        #expect(abs(AudioSignal.estimatedFrequency(output, rate: 48_000) - 1000) <= 3)
    }

    @Test func audioResamplerRejectsImpossibleRates() {
        #expect(throws: Resampler.Failure.self) { try Resampler(fromRate: 0) }
        #expect(throws: Resampler.Failure.self) { try Resampler(fromRate: 48_000, toRate: -1) }
        // 48 kHz / 100 Hz = 480, beyond libsamplerate's 256.
        let error = try? #require(throws: Resampler.Failure.self) { try Resampler(fromRate: 100) }
        #expect(error?.reason.contains("256") == true)
    }

    @Test func audioReaderReportsUnconvertibleRateAsUnsupported() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("100hz.wav")
        try WAVWriter.write(path: path, samples: [Float](repeating: 0.1, count: 50), sampleRate: 100)
        let error = try #require(throws: SoundFileError.self) { try WAVReader.readMono48k(path: path) }
        guard case .unsupported(let errorPath, let reason) = error else {
            Issue.record("expected unsupported, got \(error)"); return
        }
        #expect(errorPath == path && reason.contains("256"))
    }
}
