import AudioFiles
import Concord
import ConcordLive
import Foundation
import Testing

@Suite struct WAVFileDeviceTests {
    @Test func inputIsPacedByTheClock() throws {
        let dir = AudioScratchDirectory("wav-pace")
        let path = dir.path("a.wav")
        try WAVWriter.write(path: path, samples: sine(count: 4800, frequency: 1000, amplitude: 0.5), encoding: .float32)
        let input = try WAVFileInput(path: path, frameSamples: 480)
        #expect(input.fileFrames == 10)
        var frame: [Float] = []
        let start = MonotonicClock.now()
        for _ in 0..<10 { #expect(input.read(into: &frame)) }
        let elapsed = MonotonicClock.now().milliseconds(since: start)
        // Frame k is due at (k + 1) × 10 ms after the first read: the tenth at 100 ms.
        #expect(elapsed >= 90, "10 frames of 10 ms took \(elapsed) ms")
        #expect(elapsed < 300, "10 frames of 10 ms took \(elapsed) ms")
        #expect(frame.count == 480)
        #expect(input.statistics.framesTransferred == 10)
        #expect(abs(input.level.peakDBFS - -6.0206) < 0.01)
        #expect(abs(input.level.rmsDBFS - -9.0309) < 0.01)
    }

    @Test func aFileLaidOnTheClockSkipsTheFramesAlreadyPast() throws {
        // A ramp, so that each sample tells where it came from; 5 ms frames, the file started 100 ms ago.
        let samples = (0..<48_000).map { Float($0) / 48_000 }
        let before = MonotonicClock.now()
        let input = WAVFileInput(samples: samples, frameSamples: 240, firstSampleAt: before.advanced(byMilliseconds: -100))
        var frame: [Float] = []
        #expect(input.read(into: &frame))
        let after = MonotonicClock.now()
        let first = Int((frame[0] * 48_000).rounded())
        #expect(first % 240 == 0)
        // The frame that the moment of the first read falls in: 20 frames past at least, no more
        // than the time the read took allows (a loaded machine may be late, never early).
        let latest = Int((after.milliseconds(since: before) + 100) / 5)
        #expect(first / 240 >= 20 && first / 240 <= latest, "first frame \(first / 240), latest allowed \(latest)")
        // Returned at its end on the clock, so not before the file's start + (k + 1) × 5 ms.
        #expect(after.milliseconds(since: before) >= Double(first / 240 + 1) * 5 - 100 - 0.01)
        // Then on, frame after frame.
        #expect(input.read(into: &frame))
        #expect(Int((frame[0] * 48_000).rounded()) == first + 240)

        // A start still ahead holds the first frame back until its end.
        let ahead = WAVFileInput(samples: samples, frameSamples: 240, firstSampleAt: MonotonicClock.now().advanced(byMilliseconds: 30))
        let asked = MonotonicClock.now()
        #expect(ahead.read(into: &frame))
        #expect(MonotonicClock.now().milliseconds(since: asked) >= 30)
        #expect(frame[0] == 0 && frame[1] == samples[1])

        // One laid a minute ahead still stops within a frame or two.
        let far = WAVFileInput(samples: samples, frameSamples: 240, firstSampleAt: MonotonicClock.now().advanced(byMilliseconds: 60_000))
        Thread.detachNewThread {
            usleep(20_000)
            far.stop()
        }
        let waiting = MonotonicClock.now()
        #expect(!far.read(into: &frame))
        #expect(MonotonicClock.now().milliseconds(since: waiting) < 5_000)
    }

    @Test func atEndSilenceKeepsGoingAndStopEnds() throws {
        // 2.5 frames of 20 ms: the third is padded with silence.
        let samples = [Float](repeating: 0.25, count: 2400)
        let looping = WAVFileInput(samples: samples, frameSamples: 960)
        var frame = [Float](repeating: 9, count: 3)
        for _ in 0..<2 { #expect(looping.read(into: &frame)) }
        #expect(frame == [Float](repeating: 0.25, count: 960))
        #expect(looping.read(into: &frame))
        #expect(Array(frame[0..<480]) == [Float](repeating: 0.25, count: 480))
        #expect(Array(frame[480...]) == [Float](repeating: 0, count: 480))
        #expect(looping.read(into: &frame))
        #expect(frame == [Float](repeating: 0, count: 960))
        #expect(looping.level == .silence)

        let once = WAVFileInput(samples: samples, frameSamples: 960, atEnd: .stop)
        for _ in 0..<3 { #expect(once.read(into: &frame)) }
        #expect(!once.read(into: &frame))
        #expect(!once.read(into: &frame))
        #expect(once.statistics.framesTransferred == 3)
    }

    @Test func stopFromAnotherThreadEndsARead() async throws {
        let input = WAVFileInput(samples: [Float](repeating: 0, count: 480), frameSamples: 480)
        var frame: [Float] = []
        #expect(input.read(into: &frame))
        Thread.detachNewThread { input.stop() }
        // Within a frame or two of the stop, read returns false, and stays false.
        var reads = 0
        while input.read(into: &frame) { reads += 1 }
        #expect(reads < 50)
        #expect(!input.read(into: &frame))
    }

    @Test func outputRoundTripsThroughAFile() throws {
        let dir = AudioScratchDirectory("wav-out")
        let path = dir.path("out.wav")
        let output = WAVFileOutput(path: path, encoding: .float32)
        let frames = (0..<25).map { k in sine(count: 480, frequency: 300 + 10 * Double(k), amplitude: 0.8) }
        for frame in frames { output.write(frame) }
        // Written on the file's own queue: close() waits for every frame written before it.
        try output.close()
        #expect(output.statistics.framesTransferred == 25)
        try output.close()  // idempotent
        output.write(frames[0])  // after close: dropped, counted
        try output.close()
        #expect(output.statistics.overruns == 1)
        let back = try WAVReader.readMono48k(path: path)
        #expect(back == frames.flatMap { $0 })

        // 16-bit: the same audio within quantisation.
        let path16 = dir.path("out16.wav")
        let output16 = WAVFileOutput(path: path16)
        for frame in frames { output16.write(frame) }
        try output16.close()
        let back16 = try WAVReader.readMono48k(path: path16)
        #expect(back16.count == 25 * 480)
        #expect(zip(back16, frames.flatMap { $0 }).allSatisfy { abs($0 - $1) < 1.0 / 16_000 })
    }

    @Test func corruptAndMissingFilesNameTheFileAndTheReason() throws {
        let dir = AudioScratchDirectory("wav-bad")
        let corrupt = dir.path("corrupt.wav")
        _ = FileManager.default.createFile(atPath: corrupt, contents: Data("RIFF\u{10}\0\0\0WAVEjunkjunkjunk".utf8))
        do {
            _ = try WAVFileInput(path: corrupt)
            Issue.record("expected an error")
        } catch {
            guard case .cannotOpen(let path, let reason) = error else {
                Issue.record("expected cannotOpen, got \(error)")
                return
            }
            #expect(path == corrupt)
            #expect(!reason.isEmpty)
            #expect(error.description.hasPrefix("Cannot open sound file '\(corrupt)': "))
        }
        let missing = dir.path("missing.wav")
        do {
            _ = try WAVFileInput(path: missing)
            Issue.record("expected an error")
        } catch {
            #expect(error.description.contains("'\(missing)'"))
            #expect(error.description.lowercased().contains("no such file"))
        }
        // The file is created by the first frame: the failure to create it comes from close().
        let unwritable = WAVFileOutput(path: dir.path("no/such/dir/out.wav"))
        unwritable.write([Float](repeating: 0, count: 480))
        do {
            try unwritable.close()
            Issue.record("expected an error")
        } catch {
            // Counted once the queued write has run, which close() waits for.
            #expect(unwritable.statistics.errors == 1)
            #expect(error.description.hasPrefix("Cannot open sound file '\(dir.path("no/such/dir/out.wav"))'"))
        }
    }

    /// A client that fails to start has written no frame: an existing output file is untouched.
    @Test func anOutputNeverWrittenLeavesTheExistingFileAlone() throws {
        let dir = AudioScratchDirectory("wav-keep")
        let path = dir.path("keep.wav")
        let original = Data("an earlier recording".utf8)
        _ = FileManager.default.createFile(atPath: path, contents: original)
        let output = WAVFileOutput(path: path)
        try output.close()
        #expect(FileManager.default.contents(atPath: path) == original)
    }
}
