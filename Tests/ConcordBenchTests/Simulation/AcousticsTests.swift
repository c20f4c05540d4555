import AudioFiles
import Concord
import Foundation
import SeededRandom
import SpeechQuality
import Testing
@testable import ConcordBench

/// Participants' rooms in the simulation: the echo and noise reach the microphone as the
/// scenario says, and the report measures what the capture processing leaves.
@Suite struct AcousticsTests {
    @Test func theStreamingConvolutionIsTheConvolution() {
        var random = SplitMix64(seed: 5)
        let signal = (0..<5_000).map { _ in Float(random.unit() * 2 - 1) }
        let impulse = (0..<1_700).map { i in Float((random.unit() * 2 - 1) * exp(-Double(i) / 400)) }
        let direct = RoomImpulseResponse.convolve(signal, with: impulse)
        var convolver = PartitionedConvolver(impulse: impulse, block: 480)
        var streamed: [Float] = []
        for start in stride(from: 0, to: signal.count, by: 480) {
            streamed += convolver.process(signal[start..<min(signal.count, start + 480)])
        }
        let error = zip(direct, streamed).map { abs($0 - $1) }.max() ?? 1
        #expect(error < 1e-4, "largest difference \(error)")
    }

    @Test func theSyntheticRoomHasUnitEnergyAndDecaysByItsReverberationTime() {
        let room = RoomImpulseResponse.synthetic(rt60Seconds: 0.3, seconds: 0.6, seed: 1)
        let energy = room.reduce(0.0) { $0 + Double($1) * Double($1) }
        #expect(abs(energy - 1) < 1e-4)
        // 60 dB in 0.3 s: the energy of 50 ms windows 0.3 s apart differs by about 60 dB.
        func window(_ seconds: Double) -> Double {
            let start = Int(seconds * 48_000)
            return room[start..<start + 2_400].reduce(0.0) { $0 + Double($1) * Double($1) }
        }
        let drop = 10 * log10(window(0.05) / window(0.35))
        #expect(drop > 54 && drop < 66, "\(drop) dB")
    }

    static func scenario(processing: Bool) throws -> ResolvedScenario {
        try ScenarioLoader.load(
            path: BenchFixtures.scenarioFile("""
                {"duration_seconds": 12, "seed": 2, "network": {"links": {"delay_ms": 20}},
                 "audio_processing": {"echo_cancellation": \(processing), "noise_suppression": \(processing)},
                 "participants": [
                   {"name": "alice", "wav": "a.wav", "talk": [[0, 4]],
                    "acoustics": {"echo_delay_ms": 40, "rt60_ms": 200, "noise": "\(BenchFixtures.path("fan-noise.wav"))", "snr_db": 25}},
                   {"name": "bob", "wav": "b.wav", "talk": [[3, 12]]}]}
                """))
    }

    /// Without processing what is encoded is what the microphone heard: the report must read no
    /// enhancement and no noise reduction (the independent check of its arithmetic). With
    /// WebRTC's, both are clearly positive.
    @Test func theReportMeasuresWhatTheProcessingLeaves() throws {
        let off = try #require(try BenchRun.execute(Self.scenario(processing: false)).report.acoustics?.participants.first)
        let on = try #require(try BenchRun.execute(Self.scenario(processing: true)).report.acoustics?.participants.first)
        print("without processing: \(off)\nwith: \(on)")
        #expect(off.name == "alice")
        #expect(off.singleTalkSeconds > 5)
        #expect(abs(try #require(off.echoReturnLossEnhancementDB)) < 0.5)
        #expect(abs(try #require(off.noiseReductionDB)) < 0.5)
        #expect(try #require(on.echoReturnLossEnhancementDB) > 15)
        #expect(try #require(on.noiseReductionDB) > 6)
        // Without processing there is no voice decision, no processed double talk and no CPU to count.
        #expect(off.voiceDetectedInSpeech == nil && off.doubleTalkMOS == nil && off.doubleTalkNotScored == nil)
        #expect(try #require(on.voiceDetectedInSpeech) > 0.8)
        // Echo alone from 4 s: heard at once, nothing sent past the canceller.
        #expect(off.echoHeardAfterSeconds == nil && off.echoBypassedShare == nil)
        #expect(try #require(on.echoHeardAfterSeconds) < 1)
        #expect(try #require(on.echoBypassedShare) < 0.05)
        // About 1 s of double talk here (3–4 s): too little to score, and said so.
        #expect(on.doubleTalkMOS == nil)
        #expect(on.doubleTalkNotScored?.contains("under the 2 s scored") == true, "\(String(describing: on.doubleTalkNotScored))")
        let report = try #require(try BenchRun.execute(Self.scenario(processing: true)).report.acoustics)
        #expect(try #require(report.processingMicrosecondsPer10ms) > 0)
        #expect(try #require(report.processingShareOfCodecCPU) > 0)
    }

    /// A weaker echo (−10 dB) that first arrives under the near end's voice, in fan noise: the
    /// echo-presence detector read such double talk at 0.05–0.09 and, with an echo floor of 0.1,
    /// decided "no echo" and bypassed the canceller for the whole call (ERLE 2.0 dB on
    /// `two-person-laptop-echo` at −10 dB: bob's voice went back to him). It must be cancelled.
    @Test func aWeakEchoThatStartsInDoubleTalkIsCancelled() throws {
        let scenario = try ScenarioLoader.load(
            path: BenchFixtures.scenarioFile("""
                {"duration_seconds": 14, "seed": 1, "network": {"links": {"delay_ms": 20}},
                 "audio_processing": {"echo_cancellation": true, "noise_suppression": true},
                 "participants": [
                   {"name": "alice", "wav": "a.wav", "talk": [[0, 7], [12, 14]],
                    "acoustics": {"echo_delay_ms": 40, "echo_gain_db": -10, "rt60_ms": 300,
                                  "noise": "\(BenchFixtures.path("fan-noise.wav"))", "snr_db": 25}},
                   {"name": "bob", "wav": "b.wav", "start_seconds": 0.5, "talk": [[5, 12]]}]}
                """))
        let alice = try #require(try BenchRun.execute(scenario).report.acoustics?.participants.first)
        print("weak echo from double talk: \(alice)")
        // 10.1 dB with the floor at 0.05, 3.3 with it at 0.1.
        #expect(try #require(alice.echoReturnLossEnhancementDB) > 7)
        #expect(alice.echoHeardAfterSeconds != nil)
        #expect(try #require(alice.echoBypassedShare) < 0.5)
    }

    /// The voice shares count frames as the definitions say, from the processor's decisions.
    @Test func voiceDetectionSharesCountSpeechAndSingleTalkFrames() {
        func frame(_ i: Int, voice: Double, echo: Double, detected: Bool) -> AcousticsReport.Frame {
            .init(seconds: Double(i) * 0.02, voice: voice, echo: echo, noise: 0, encoded: 1e-6, voiceDetected: detected)
        }
        // 10 frames of speech (9 detected), then 2 quiet ones, then 20 of echo alone (5 detected).
        var frames = (0..<10).map { frame($0, voice: 1e-2, echo: 0, detected: $0 != 0) }
        frames += (10..<12).map { frame($0, voice: 0, echo: 0, detected: false) }
        frames += (12..<32).map { frame($0, voice: 0, echo: 1e-3, detected: $0 % 4 == 0) }
        let p = AcousticsReport.participant(name: "a", echoGainDB: 0, frames: frames, frameSeconds: 0.02)
        #expect(p.voiceDetectedInSpeech == 0.9)
        #expect(p.voiceDetectedInSingleTalk == 0.25)
    }

    /// The detector's decisions count over the frames with echo: undecided frames are neither
    /// heard nor bypassed; without echo cancellation there are no such figures.
    @Test func echoHeardAndBypassedCountTheDetectorsDecisions() {
        func frame(_ i: Int, echo: Double, heard: Bool?) -> AcousticsReport.Frame {
            .init(seconds: Double(i) * 0.02, voice: 0, echo: echo, noise: 0, encoded: 1e-6, voiceDetected: false, echoHeard: heard)
        }
        // 5 quiet frames (no echo yet), then 40 with echo: 10 undecided, 10 "no echo", 20 heard.
        var frames = (0..<5).map { frame($0, echo: 0, heard: nil) }
        frames += (5..<45).map { i in frame(i, echo: 1e-3, heard: i < 15 ? nil : i < 25 ? false : true) }
        let p = AcousticsReport.participant(name: "a", echoGainDB: 0, frames: frames, frameSeconds: 0.02)
        #expect(p.echoBypassedShare == 0.25)
        #expect(abs(p.echoHeardAfterSeconds! - 0.4) < 1e-9)
        let never = AcousticsReport.participant(
            name: "a", echoGainDB: 0, frames: frames.map { var f = $0; f.echoHeard = f.echoHeard.map { _ in false }; return f },
            frameSeconds: 0.02)
        #expect(never.echoHeardAfterSeconds == nil && never.echoBypassedShare == 0.75)
        let without = AcousticsReport.participant(
            name: "a", echoGainDB: 0, frames: frames.map { var f = $0; f.echoHeard = nil; return f }, frameSeconds: 0.02)
        #expect(without.echoHeardAfterSeconds == nil && without.echoBypassedShare == nil)
    }

    /// The double-talk score is ViSQOL's: the voice itself scores near the top, the voice under
    /// loud noise clearly lower.
    @Test func doubleTalkIsScoredAgainstTheVoiceAlone() throws {
        let voice = try WAVReader.readMono48k(path: BenchFixtures.path("b.wav")).prefix(4 * 48_000).map { $0 }
        var seed: UInt64 = 3
        let noisy = voice.map { sample -> Float in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return sample + Float(Int64(bitPattern: seed) >> 40) / Float(1 << 23) * 0.1
        }
        let scores = AcousticsReport.score(.init(voice: voice, microphone: noisy, processed: voice), with: try ViSQOL())
        #expect(try #require(scores.processed) > 4.5)
        #expect(try #require(scores.unprocessed) < 3.5)
        let short = AcousticsReport.score(.init(voice: Array(voice.prefix(48_000)), microphone: [], processed: []), with: try ViSQOL())
        #expect(short.processed == nil && short.notScored != nil)
    }

    @Test(arguments: [
        (#""echo_delay_ms": 5"#, "participants[0].acoustics.echo_delay_ms"),
        (#""echo_gain_db": 30"#, "participants[0].acoustics.echo_gain_db"),
        (#""rt60_ms": 5000"#, "participants[0].acoustics.rt60_ms"),
        (#""snr_db": 20"#, "participants[0].acoustics.snr_db"),
        (#""noise": "missing.wav""#, "participants[0].acoustics.noise"),
        (#""noise": "s.json""#, "participants[0].acoustics.noise"),
        (#""impulse_response": "missing.wav""#, "participants[0].acoustics.impulse_response"),
        (#""impulse_response": "a.wav""#, "participants[0].acoustics.impulse_response"),
        (#""echo_dely_ms": 40"#, "participants[0].acoustics.echo_dely_ms"),
    ])
    func aRoomThatCannotBeBuiltIsRejectedWithItsField(_ field: String, _ path: String) throws {
        let file = try BenchFixtures.scenarioFile("""
            {"participants": [{"name": "a", "wav": "a.wav", "acoustics": {\(field)}}, {"name": "b", "wav": "b.wav"}]}
            """)
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
        #expect(error?.field == path, "\(String(describing: error))")
    }

    @Test func theResidualEchoSuppressorCanBeTurnedOffToCompare() throws {
        func load(_ processing: String) throws -> ResolvedScenario {
            try ScenarioLoader.load(
                path: BenchFixtures.scenarioFile("""
                    {"audio_processing": {\(processing)}, "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b"}]}
                    """))
        }
        #expect(try load("").audioProcessing?.residualEchoSuppression == true)
        let off = try load(#""residual_echo_suppression": false"#).audioProcessing
        #expect(off?.residualEchoSuppression == false && off?.echoCancellation == true)
    }

    @Test func anUnknownProcessingKeyIsRejected() throws {
        let file = try BenchFixtures.scenarioFile("""
            {"audio_processing": {"echo_cancelation": true}, "participants": [{"name": "a", "wav": "a.wav"}]}
            """)
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
        #expect(error?.field == "audio_processing.echo_cancelation", "\(String(describing: error))")
    }
}
