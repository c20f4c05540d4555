import Concord
import Testing

/// The participant's side of the capture path: what reaches the processor, in what order, and
/// what the encoder then gets.
@Suite struct CaptureProcessorTests {
    /// Records every call; processing halves the frame, so the encoder's input shows it ran.
    final class Recorder: CaptureProcessor {
        let chunkSamples: Int
        var calls: [(render: Bool, samples: Int, first: Float)] = []
        init(chunkSamples: Int = 480) { self.chunkSamples = chunkSamples }
        func analyzeRender(_ pull: [Float]) { calls.append((true, pull.count, pull.first ?? 0)) }
        func processCapture(_ frame: inout [Float]) -> CaptureAnalysis {
            calls.append((false, frame.count, frame.first ?? 0))
            for i in frame.indices { frame[i] *= 0.5 }
            return CaptureAnalysis(voiceDetected: true, inputLevelDBFS: -20, outputLevelDBFS: -26)
        }
    }

    @Test func everyMixedPullIsTheFarEndAndEveryCapturedFrameIsProcessedBeforeEncoding() throws {
        let ana = try Participant(id: 1)
        let recorder = Recorder()
        try ana.setCaptureProcessor(recorder)
        try ana.addPeer(2)
        let frame = [Float](repeating: 0.25, count: ana.frameSamples)
        _ = try ana.encode(frame)
        ana.playout(now: .zero)
        ana.playout(now: Instant(nanoseconds: 10_000_000))
        #expect(recorder.calls.map(\.render) == [false, true, true])
        #expect(recorder.calls.map(\.samples) == [960, 480, 480])
        #expect(recorder.calls[0].first == 0.25)
        #expect(ana.lastCapture?.outputLevelDBFS == -26)
    }

    @Test func aMutedParticipantStillProcessesItsMicrophone() throws {
        let ana = try Participant(id: 1)
        let recorder = Recorder()
        try ana.setCaptureProcessor(recorder)
        ana.muted = true
        #expect(try ana.encode([Float](repeating: 0.1, count: ana.frameSamples)) == nil)
        #expect(recorder.calls.count == 1)
        #expect(ana.lastCapture != nil)
    }

    @Test func aProcessorWhoseChunkDoesNotDivideTheFramesIsRefused() throws {
        let ana = try Participant(id: 1)
        #expect(throws: CaptureProcessorError.self) { try ana.setCaptureProcessor(Recorder(chunkSamples: 441)) }
        #expect(ana.captureProcessor == nil)
    }
}
