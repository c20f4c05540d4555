@testable import ConcordLive
import Testing

/// The audio callbacks' bodies, driven directly (no device): what a callback of a mono or a
/// stereo-only device puts into the ring and takes out of it, and what it counts.
@Suite struct StreamCallbackTests {
    @Test func monoCaptureQueuesSamplesAndCountsOverruns() {
        let context = StreamContext(ringSamples: 1024, channels: 1, queueLimit: 1024)
        let block = (0..<480).map { Float($0) }
        block.withUnsafeBufferPointer { context.capture($0.baseAddress, frames: 480, flags: 0) }
        block.withUnsafeBufferPointer { context.capture($0.baseAddress, frames: 480, flags: 0) }
        #expect(context.ring.availableForReading == 960)
        #expect(context.statistics.overruns == 0)
        // The third block fits only partly: 64 samples of it are lost and counted.
        block.withUnsafeBufferPointer { context.capture($0.baseAddress, frames: 480, flags: 0) }
        #expect(context.ring.availableForReading == 1024)
        #expect(context.statistics.overruns == 1)
        #expect(context.statistics.overrunSamples == 480 - 64)
        var out = [Float](repeating: 0, count: 1024)
        _ = out.withUnsafeMutableBufferPointer { context.ring.read(into: $0) }
        #expect(Array(out[0..<480]) == block)
        #expect(Array(out[960..<1024]) == Array(block[0..<64]))
        #expect(context.callbacks.load(ordering: .relaxed) == 3)
    }

    @Test func stereoCaptureIsDownmixedToTheMean() {
        let context = StreamContext(ringSamples: 4096, channels: 2, queueLimit: 4096)
        // 1500 frames (more than the 1024-frame scratch buffer): left = i, right = -i + 2.
        let interleaved = (0..<1500).flatMap { [Float($0), Float(-$0 + 2)] }
        interleaved.withUnsafeBufferPointer { context.capture($0.baseAddress, frames: 1500, flags: 0) }
        var out = [Float](repeating: 9, count: 1500)
        #expect(out.withUnsafeMutableBufferPointer { context.ring.read(into: $0) } == 1500)
        #expect(out == [Float](repeating: 1, count: 1500))
    }

    @Test func hostXrunFlagsAreCounted() {
        let context = StreamContext(ringSamples: 1024, channels: 1, queueLimit: 1024)
        let block = [Float](repeating: 0, count: 10)
        block.withUnsafeBufferPointer { context.capture($0.baseAddress, frames: 10, flags: 0x2) }  // paInputOverflow
        var out = [Float](repeating: 0, count: 10)
        out.withUnsafeMutableBufferPointer { context.play(UnsafeMutableRawPointer($0.baseAddress), frames: 10, flags: 0x4) }  // paOutputUnderflow
        #expect(context.statistics.hostXruns == 2)
    }

    @Test func playTakesQueuedSamplesThenSilenceAndCountsUnderrunsOnceStarted() {
        let context = StreamContext(ringSamples: 2048, channels: 1, queueLimit: 1920)
        var device = [Float](repeating: 7, count: 480)
        // Before the first frame is written, silence is not an underrun.
        device.withUnsafeMutableBufferPointer { context.play(UnsafeMutableRawPointer($0.baseAddress), frames: 480, flags: 0) }
        #expect(device == [Float](repeating: 0, count: 480))
        #expect(context.statistics.underruns == 0)

        let frame = (0..<480).map { Float($0) / 480 }
        _ = frame.withUnsafeBufferPointer { context.ring.write($0) }
        context.primed.store(true, ordering: .relaxed)
        device.withUnsafeMutableBufferPointer { context.play(UnsafeMutableRawPointer($0.baseAddress), frames: 480, flags: 0) }
        #expect(device == frame)
        #expect(context.statistics.underruns == 0)
        // Half a frame queued: it plays, then silence, and that gap is an underrun.
        _ = frame.withUnsafeBufferPointer { context.ring.write(UnsafeBufferPointer(rebasing: $0[0..<240])) }
        device.withUnsafeMutableBufferPointer { context.play(UnsafeMutableRawPointer($0.baseAddress), frames: 480, flags: 0) }
        #expect(Array(device[0..<240]) == Array(frame[0..<240]))
        #expect(Array(device[240...]) == [Float](repeating: 0, count: 240))
        #expect(context.statistics.underruns == 1)
        #expect(context.statistics.underrunSamples == 240)
    }

    @Test func stereoPlayDuplicatesMonoToBothChannels() {
        let context = StreamContext(ringSamples: 4096, channels: 2, queueLimit: 4096)
        let mono = (0..<1200).map { Float($0) }
        _ = mono.withUnsafeBufferPointer { context.ring.write($0) }
        var device = [Float](repeating: 7, count: 2 * 1300)
        device.withUnsafeMutableBufferPointer { context.play(UnsafeMutableRawPointer($0.baseAddress), frames: 1300, flags: 0) }
        #expect(device == mono.flatMap { [$0, $0] } + [Float](repeating: 0, count: 200))
    }
}
