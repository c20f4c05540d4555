import AudioFiles
import Concord
import Foundation
import Testing
@testable import ConcordBench

@Suite struct ClockDriftTests {
    @Test func anExactClockKeepsTheIntegerTimeline() {
        for position in [0, 1, 959, 960, 48_000, 172_800_000] {
            #expect(AudioClock.exact.instant(ofSample: position) == FramePipeline.time(position))
        }
        #expect(AudioClock.exact.samples(inReferenceSamples: 123_457) == 123_457)
    }

    @Test func aFastClockReachesItsSamplesEarlier() {
        let clock = AudioClock(ppm: 300)
        // 48 014.4 samples of a +300 ppm clock take one reference second.
        #expect(abs(clock.instant(ofSample: 48_014).seconds - 48_014 / 48_014.4) < 1e-9)
        #expect(clock.samples(inReferenceSamples: 48_000 * 100) == 4_801_440)
        #expect(AudioClock(ppm: -1000).samples(inReferenceSamples: 48_000) == 47_952)
    }

    /// A 1 kHz tone recorded by a clock 1000 ppm fast reads, at the nominal rate, as a tone
    /// 1000 ppm lower; played back through the same clock it is the original again.
    @Test func recordingAndPlayingThroughADriftingClockRoundTrips() throws {
        let clock = AudioClock(ppm: 1000)
        let seconds = 10
        let tone = (0..<(48_000 * seconds)).map { Float(sin(2 * Double.pi * 1000 * Double($0) / 48_000)) }
        let recorded = try clock.recording(of: tone)
        #expect(recorded.count == 48_048 * seconds)
        let cycles = Double(zip(recorded, recorded.dropFirst()).filter { $0 < 0 && $1 >= 0 }.count)
        #expect(abs(cycles - 10_000) <= 1, "one cycle per 1/1000 s over 10 s: \(cycles)")  // 10 s of reference time
        let back = try clock.inReferenceTime(recorded, length: tone.count)
        #expect(back.count == tone.count)
        // Away from the converter's edges, the round trip is the tone within −60 dB.
        var error = 0.0, power = 0.0
        for i in 4_800..<(tone.count - 4_800) {
            error += Double(back[i] - tone[i]) * Double(back[i] - tone[i])
            power += Double(tone[i]) * Double(tone[i])
        }
        #expect(10 * log10(error / power) < -60)
    }

    @Test func clockPPMOutOfRangeIsRejectedWithItsField() throws {
        for ppm in ["1000.5", "-1500", "1e9"] {
            let file = try BenchFixtures.scenarioFile("""
                {"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav", "clock_ppm": \(ppm)}]}
                """)
            let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
            #expect(error?.field == "participants[1].clock_ppm", "\(String(describing: error))")
        }
        let file = try BenchFixtures.scenarioFile("""
            {"participants": [{"name": "a", "wav": "a.wav", "clock_ppm": -1000}, {"name": "b", "wav": "b.wav", "clock_ppm": 23.5}]}
            """)
        #expect(try ScenarioLoader.load(path: file).participants.map(\.clockPPM) == [-1000, 23.5])
    }

    /// A fixed 60 ms buffer between clocks d apart must shed (talker fast) or make up (listener
    /// fast) d seconds of audio a second — 42 ms over 140 s at 300 ppm, 70 ms over 70 s at
    /// 1000 ppm — by time-stretching, and nothing else. It stretches by whole pulls once the
    /// delay has drifted a pull from where it started, so what it stretched is the drift to
    /// within one pull. The
    /// talker speaks without pause (no talk spurt restarts the buffer) over a lossless,
    /// jitter-free link.
    @Test(arguments: [
        (talker: 300.0, listener: 0.0, seconds: 140.0), (talker: 0, listener: 1000, seconds: 70), (talker: 0, listener: 0, seconds: 20),
    ])
    func aFixedBufferStretchesAwayTheDrift(talker: Double, listener: Double, seconds: Double) throws {
        let file = try BenchFixtures.scenarioFile("""
            {"duration_seconds": \(seconds), "seed": 3, "jitter_buffer": {"mode": "fixed", "fixed_ms": 60},
             "network": {"links": {"delay_ms": 20}},
             "participants": [{"name": "talker", "wav": "hum.wav", "clock_ppm": \(talker)},
                              {"name": "listener", "clock_ppm": \(listener)}]}
            """)
        try Self.writeHum(to: URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("hum.wav").path)
        let result = try Simulation(scenario: try ScenarioLoader.load(path: file)).run()
        let record = try #require(result.records.first)
        let drift = (talker - listener) / (1 + listener / 1e6)  // talker rate / listener rate − 1, in ppm
        let expectedMs = drift * 1e-6 * seconds * 1000
        let removedMs = Double(record.jitterBuffer.removedSamplesForAcceleration) / 48
        let insertedMs = Double(record.jitterBuffer.insertedSamplesForDeceleration) / 48
        let stretchedMs = -Double(record.playout.map(\.stretchedSamples).reduce(0, +)) / 48
        // The log agrees with the counters but for a stretch made after the last frame was logged.
        #expect(abs(stretchedMs - (removedMs - insertedMs)) <= 15)
        #expect(abs(removedMs - insertedMs - expectedMs) <= 20, "removed \(removedMs) ms, inserted \(insertedMs) ms, drift \(expectedMs) ms")
        // Nothing the other way but the odd overshoot: a splice inserts a whole pitch period where
        // less was asked, and the surplus may go again where the audio allows a smaller step.
        #expect((drift > 0 ? insertedMs : removedMs) <= 15, "removed \(removedMs) ms, inserted \(insertedMs) ms")
        #expect(record.playout.filter { $0.outcome == .concealed }.isEmpty)

        let report = StreamAnalyzer.analyze(try result.record(0)).report.clockDrift
        #expect(abs(report.configuredPPM - drift) < 1e-6)
        let measured = try #require(report.measuredPPM)
        #expect(abs(measured - drift) < 2, "measured \(measured) ppm")
        #expect(abs(report.acceleratedMs - report.deceleratedMs - report.expectedCorrectionMs) <= 20)
        // Latency on the timestamp timeline stays within the buffer's correction band, a pull.
        let latencies = record.playout.compactMap { e in e.timestamp.map { record.latencyMilliseconds(timestamp: $0, playedAt: e.playoutTime) } }
        #expect((latencies.max() ?? .infinity) - (latencies.min() ?? 0) <= 21)
    }

    /// The adaptive buffer on a LAN runs a millisecond or so ahead of arrivals, so the next frame
    /// is never in hand: a talker whose clock is slow is followed by slowing down on the short
    /// window there is, and nothing is concealed (on the full 30 ms window only, a talker
    /// 1000 ppm slow cost a concealed frame every 10 s).
    @Test(arguments: [-1000.0, -500, 500])
    func anAdaptiveBufferFollowsADriftingTalkerOnALANWithoutConcealing(ppm: Double) throws {
        let wav = URL(fileURLWithPath: "fixtures/a.wav").path
        let file = try BenchFixtures.scenarioFile("""
            {"duration_seconds": 40, "seed": 3, "network": {"links": {"preset": "lan"}},
             "participants": [{"name": "talker", "wav": "\(wav)", "clock_ppm": \(ppm)}, {"name": "listener"}]}
            """)
        let result = try Simulation(scenario: try ScenarioLoader.load(path: file)).run()
        let record = try #require(result.records.first)
        #expect(record.jitterBuffer.concealedSamples == 0)
        if ppm < 0 { #expect(record.jitterBuffer.insertedSamplesForDeceleration > 0) }
    }

    /// Speech with pauses, sent with DTX: the listener logs its silences once per pull
    /// and its frames every 20 ms (stretched or not), and the measured drift must read the
    /// frames' rate, not the pulls' (it read −500 000 ppm on every such stream).
    @Test(arguments: [0.0, 300, -800])
    func theMeasuredDriftOfADTXTalkerIsItsClocks(ppm: Double) throws {
        let file = try BenchFixtures.scenarioFile("""
            {"duration_seconds": 30, "seed": 5, "codec": {"dtx": true}, "network": {"links": {"preset": "lan"}},
             "participants": [{"name": "talker", "wav": "a.wav", "clock_ppm": \(ppm), "talk": [[0, 6], [9, 16], [20, 27]]},
                              {"name": "listener"}]}
            """)
        let result = try Simulation(scenario: try ScenarioLoader.load(path: file)).run()
        let record = try result.record(0)
        #expect(record.playout.contains { $0.outcome == .silence })
        let measured = try #require(StreamAnalyzer.analyze(record).report.clockDrift.measuredPPM)
        #expect(abs(measured - ppm) < 30, "measured \(measured) ppm, configured \(ppm)")
    }

    /// A continuous, speech-band signal (a 150 Hz buzz with harmonics, slowly modulated): Opus
    /// codes it without pauses, unlike speech.
    static func writeHum(to path: String) throws {
        let samples = (0..<(48_000 * 5)).map { i -> Float in
            let t = Double(i) / 48_000
            let envelope = 0.6 + 0.4 * sin(2 * Double.pi * 0.7 * t)
            return Float(envelope * (0.2 * sin(2 * .pi * 150 * t) + 0.1 * sin(2 * .pi * 450 * t) + 0.05 * sin(2 * .pi * 1350 * t)))
        }
        try WAVWriter.write(path: path, samples: samples)
    }
}
