import Foundation
import Testing
@testable import AudioFiles

/// A WAV cut short (its data chunk smaller than the header announces) is refused with the
/// frames found and announced. libsndfile alone would shrink its frame count to what is there
/// and play the fragment as if it were the whole file.
@Suite struct AudioTruncationTests {
    /// Writes a 1 s 16-bit mono WAV and cuts it to its header plus `keptFrames` frames.
    static func truncatedCopy(in dir: AudioTemporaryDirectory, keptFrames: Int) throws -> String {
        let path = dir.path("cut.wav")
        try WAVWriter.write(path: path, samples: AudioSignal.sine(frequency: 440, rate: 48_000, seconds: 1), encoding: .pcm16)
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let header = data.count - 48_000 * 2  // libsndfile's header: everything before the samples
        try data.prefix(header + keptFrames * 2).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func truncatedWAVIsRefusedWithFramesFoundAndAnnounced() throws {
        let dir = try AudioTemporaryDirectory()
        let path = try Self.truncatedCopy(in: dir, keptFrames: 480)
        for read in [{ _ = try WAVReader.readMono48k(path: path) }, { _ = try WAVReader.info(path: path) }] {
            let error = try #require(throws: SoundFileError.self) { try read() }
            guard case .readFailed(let failedPath, let reason) = error else {
                Issue.record("expected readFailed, got \(error)")
                continue
            }
            #expect(failedPath == path)
            #expect(reason.contains("480 frames found, 48000 announced"), "\(reason)")
        }
    }

    @Test func wholeWAVStillReads() throws {
        let dir = try AudioTemporaryDirectory()
        let path = dir.path("whole.wav")
        try WAVWriter.write(path: path, samples: AudioSignal.sine(frequency: 440, rate: 48_000, seconds: 1), encoding: .pcm16)
        #expect(try WAVReader.readMono48k(path: path).count == 48_000)
        #expect(WAVDataLength.measure(path: path) == WAVDataLength(announcedFrames: 48_000, presentFrames: 48_000))
    }

    /// A header that announces an unknown length (0xFFFFFFFF, what streaming writers leave) is
    /// not a truncation: the file is read to its end.
    @Test func unknownLengthHeaderIsNotATruncation() throws {
        let dir = try AudioTemporaryDirectory()
        let path = try Self.truncatedCopy(in: dir, keptFrames: 4_800)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let data = try #require((0..<bytes.count - 4).first { bytes[$0..<$0 + 4].elementsEqual("data".utf8) })
        for k in 0..<4 { bytes[data + 4 + k] = 0xFF }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        #expect(WAVDataLength.measure(path: path) == nil)
    }
}
