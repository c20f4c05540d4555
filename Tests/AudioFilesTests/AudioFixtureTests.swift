import AudioFiles
import Concord
import Foundation
import Testing

/// The committed speech fixtures keep the promises `fixtures/README.md` makes.
@Suite struct AudioFixtureTests {
    static let fixtures: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // AudioFilesTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("fixtures", isDirectory: true)

    @Test(arguments: ["a", "b", "c", "d"])
    func audioFixtureIs48kMono16BitSpeech(name: String) throws {
        let path = Self.fixtures.appendingPathComponent("\(name).wav").path
        let info = try WAVReader.info(path: path)
        #expect(info.sampleRate == 48_000 && info.channels == 1)
        #expect(info.formatDescription == "WAV (Microsoft), Signed 16 bit PCM")
        #expect((8...10).contains(info.duration), "\(name).wav lasts \(info.duration) s")

        let samples = try WAVReader.readMono48k(path: path)
        #expect(samples.count == info.frames)  // already 48 kHz: no resampling
        let peak = samples.map { abs($0) }.max() ?? 0
        #expect(abs(peak - 0.708) < 0.01, "normalised to -3 dBFS, peak \(peak)")
        // Speech, not silence: most 20 ms frames carry energy.
        let frame = AudioFormat.samples(milliseconds: 20)
        let voiced = stride(from: 0, to: samples.count - frame, by: frame).filter { start in
            samples[start..<start + frame].reduce(0) { $0 + $1 * $1 } / Float(frame) > 1e-4
        }
        #expect(Double(voiced.count) / Double(samples.count / frame) > 0.6)
    }

    @Test func audioFixturesFitTheSizeBudget() throws {
        let total = try ["a", "b", "c", "d"].reduce(0) { sum, name in
            let path = Self.fixtures.appendingPathComponent("\(name).wav").path
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            return sum + size
        }
        #expect(total > 0 && total <= 5_000_000)
    }
}
