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

    /// The 5 ms pulls reach the processor two at a time, as whole 10 ms chunks.
    @Test func everyMixedChunkIsTheFarEndAndEveryCapturedFrameIsProcessedBeforeEncoding() throws {
        let ana = try Participant(id: 1)
        let recorder = Recorder()
        try ana.setCaptureProcessor(recorder)
        try ana.addPeer(2)
        #expect(ana.pullSamples == 240)
        let frame = [Float](repeating: 0.25, count: ana.frameSamples)
        _ = try ana.encode(frame)
        for k in 0..<3 { ana.playout(now: Instant(nanoseconds: Int64(k) * 5_000_000)) }
        #expect(recorder.calls.map(\.render) == [false, true])
        ana.playout(now: Instant(nanoseconds: 15_000_000))
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

    /// Says voice or not as told, leaving the frame alone.
    final class Detector: CaptureProcessor {
        let chunkSamples = 480
        var voice = true
        func analyzeRender(_ pull: [Float]) {}
        func processCapture(_ frame: inout [Float]) -> CaptureAnalysis {
            CaptureAnalysis(voiceDetected: voice, inputLevelDBFS: -30, outputLevelDBFS: -30)
        }
    }

    /// Loud noise throughout: only the detector's decision can make the encoder stop.
    static func noise(_ count: Int, seed: inout UInt64) -> [Float] {
        (0..<count).map { _ in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(Int64(bitPattern: seed >> 11) % 1000) / 4000
        }
    }

    @Test func underDTXTheVoiceDecisionStopsSendingAfterItsHangoverAndStartsATalkspurtWhenVoiceReturns() throws {
        var codec = OpusSettings()
        codec.dtx = true
        let ana = try Participant(id: 1, codec: codec)
        let detector = Detector()
        try ana.setCaptureProcessor(detector)
        try ana.addPeer(2)
        var seed: UInt64 = 7
        var sent: [VoicePacket?] = []
        for frame in 0..<100 {
            detector.voice = frame < 20 || frame >= 70
            sent.append(try ana.encodePacket(Self.noise(ana.frameSamples, seed: &seed)))
            if frame == 19 || frame == 69 + 1 { #expect(ana.voiceActivity.isSpeaking) }
        }
        let hangover = ana.voiceActivity.hangoverFrames
        #expect(hangover == 15)  // 300 ms of 20 ms frames
        #expect(sent[0..<(20 + hangover)].allSatisfy { $0 != nil })
        // Opus takes its own 10 frames of silence before DTX; then only its comfort-noise
        // updates (about one per 400 ms), flagged DTX, go out in the pause.
        let pause = sent[(20 + hangover + 12)..<70].compactMap { $0 }
        #expect(pause.count <= 2, "\(pause.count) packets in the pause")
        #expect(pause.allSatisfy { $0.flags.contains(.dtx) })
        #expect(sent[70]?.flags.contains(.talkspurtStart) == true)
        #expect(sent[70..<100].allSatisfy { $0 != nil })
    }

    @Test func withoutDTXTheVoiceDecisionOnlyMarksSpeaking() throws {
        let ana = try Participant(id: 1)
        let detector = Detector()
        try ana.setCaptureProcessor(detector)
        try ana.addPeer(2)
        #expect(!ana.voiceActivity.isSpeaking)
        detector.voice = false
        var seed: UInt64 = 7
        for _ in 0..<40 { #expect(try ana.encodePacket(Self.noise(ana.frameSamples, seed: &seed)) != nil) }
        #expect(!ana.voiceActivity.isSpeaking)
        detector.voice = true
        _ = try ana.encodePacket(Self.noise(ana.frameSamples, seed: &seed))
        #expect(ana.voiceActivity.isSpeaking)
    }

    @Test func speechGoesOnForTheHangoverAfterTheLastVoicedFrame() {
        var activity = VoiceActivity(hangoverFrames: 3)
        #expect(!activity.isSpeaking)
        activity.note(voiceDetected: true)
        for _ in 0..<3 {
            activity.note(voiceDetected: false)
            #expect(activity.isSpeaking)
        }
        activity.note(voiceDetected: false)
        #expect(!activity.isSpeaking)
        for _ in 0..<1000 { activity.note(voiceDetected: false) }
        activity.note(voiceDetected: true)
        #expect(activity.isSpeaking)
        #expect(VoiceActivity(frameSamples: 480).hangoverFrames == 30)
        #expect(VoiceActivity(frameSamples: 2880).hangoverFrames == 5)
    }

    @Test func aProcessorWhoseChunkDoesNotDivideTheFramesIsRefused() throws {
        let ana = try Participant(id: 1)
        #expect(throws: CaptureProcessorError.self) { try ana.setCaptureProcessor(Recorder(chunkSamples: 441)) }
        #expect(ana.captureProcessor == nil)
    }
}
