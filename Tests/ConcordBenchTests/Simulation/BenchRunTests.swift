import AudioFiles
import Foundation
import Testing
@testable import ConcordBench

@Suite struct BenchRunTests {
    /// On a clean network the two latency measurements — frame timestamps and the audio
    /// itself — must agree within one frame, stream by stream.
    @Test(arguments: [20, 10])
    func timestampAndCrossCorrelationLatencyAgreeOnCleanRuns(frameMs: Int) throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 12, "codec": {"frame_ms": \(frameMs)}, "jitter_buffer": {"mode": "fixed", "fixed_ms": 30},
             "network": {"links": {"delay_ms": 25}},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav", "start_seconds": 0.7},
                              {"name": "c", "wav": "a.wav", "start_seconds": 3.1}]}
            """)
        let outcome = try BenchRun.execute(s)
        #expect(outcome.report.streams.count == 6)
        for stream in outcome.report.streams {
            #expect(stream.latencyXcorrWindows >= 5, "\(stream.from)→\(stream.to)")
            let latency = try #require(stream.latencyMs?.mean)
            let xcorr = try #require(stream.latencyXcorrMs?.mean)
            #expect(abs(latency - xcorr) <= Double(frameMs), "\(stream.from)→\(stream.to): \(latency) vs \(xcorr)")
            // Predicted from the parts: frame + lookahead + link + jitter buffer (+ < 1 tick of phase).
            let predicted = Double(frameMs) + 6.5 + 25 + 30
            #expect(latency >= predicted - 1)
            #expect(latency <= predicted + Double(frameMs) + 1)
            #expect(stream.packetLoss == 0 && stream.lateLoss == 0 && stream.concealmentRatio == 0)
            #expect(stream.mosEmodel > 4.3)
        }
    }

    /// The latency floor of a jitter-free call: mouth-to-ear p50 within frame + Opus look-ahead
    /// + network + 5 ms (half a 10 ms pull), and no start-up cliff. Each stream's wait for the
    /// pull after its arrival depends on the phase of the two clocks, 0–5 ms with 5 ms pulls:
    /// the median over the streams meets the floor, and none is more than half a pull above it.
    /// Start-up stretches the 80 ms initial guess away at 10 % speed-up, in about a second: the
    /// 5 % above p95 of a 20 s call holds it (of a 12 s call, it does not).
    @Test func aLANCallPlaysAtItsLatencyFloor() throws {
        let floor = 20 + 6.5 + 0.25 + 5
        var medians: [Double] = []
        for seed in 1...4 {
            let s = try SimulationTests.scenario("""
                {"duration_seconds": 20, "seed": \(seed), "network": {"links": {"preset": "lan"}},
                 "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav", "start_seconds": 0.5}]}
                """)
            for stream in try BenchRun.execute(s, speechQuality: .none).report.streams {
                let latency = try #require(stream.latencyMs)
                #expect(latency.p50 <= floor + 2.5, "seed \(seed) \(stream.from)→\(stream.to): p50 \(latency.p50)")
                #expect(latency.p95 - latency.p50 <= 10, "seed \(seed) \(stream.from)→\(stream.to): p95 \(latency.p95)")
                medians.append(latency.p50)
            }
        }
        medians.sort()
        #expect((medians[3] + medians[4]) / 2 <= floor, "\(medians)")
    }

    @Test func sameSeedSameReportExceptWallClock() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 5, "seed": 4, "codec": {"fec": true}, "network": {"links": {"preset": "wifi-congested"}},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]}
            """)
        func normalised(_ r: BenchReport) -> BenchReport {
            var r = r
            r.wallSeconds = 0
            r.cpuSeconds = 0
            r.cpuCodecSeconds = 0
            r.cpuOtherSeconds = 0
            r.cpuSecondsPerSimulatedSecond = 0
            r.speedFactor = 0
            r.simulationWallSeconds = 0
            r.security?.cpuSeconds = 0
            r.security?.cpuMicrosecondsPerPacket = 0
            r.security?.cpuFractionOfCodec = 0
            return r
        }
        let first = try BenchRun.execute(s).report, second = try BenchRun.execute(s).report
        #expect(normalised(first) == normalised(second))
        #expect(first.streams[0].packetLoss > 0)  // the congested preset does lose packets
    }

    /// Using every core (pipelined encodes, parallel decodes) changes nothing but the speed —
    /// also with WebRTC's processing on every microphone and no room (encoding ahead once ran a
    /// participant's processor on two threads and crashed).
    @Test(arguments: [false, true])
    func parallelAndSerialRunsAreIdentical(processing: Bool) throws {
        let processor = processing ? #""audio_processing": {"echo_cancellation": true, "noise_suppression": true},"# : ""
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 3, "seed": 11, "network": {"links": {"preset": "wifi-congested"}}, \(processor)
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}, {"name": "c", "wav": "a.wav"}]}
            """)
        let parallel = try Simulation(scenario: s).run(parallel: true)
        let serial = try Simulation(scenario: s).run(parallel: false)
        for (i, (x, y)) in zip(parallel.records, serial.records).enumerated() {
            #expect(x.sent == y.sent && x.arrivals == y.arrivals && x.playout == y.playout)
            #expect(try parallel.track(i) == serial.track(i))
        }
    }

    @Test func writesReportsAndListenerWAVs() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 3, "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]}
            """)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-bench-\(UUID().uuidString)").path
        try BenchRun.write(try BenchRun.execute(s), to: dir)
        for file in ["report.json", "report.csv", "report.html", "a.mix.wav", "b.mix.wav", "a.from-b.wav", "b.from-a.wav"] {
            #expect(FileManager.default.fileExists(atPath: "\(dir)/\(file)"), "\(file)")
        }
        let played = try WAVReader.readMono48k(path: "\(dir)/b.from-a.wav")
        #expect(played.count == Int((3 + Simulation.drainSeconds) * 48_000))
        #expect(played.map(abs).max()! > 0.1)
    }
}
