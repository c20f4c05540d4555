import Concord
import Foundation
import Testing

@testable import ConcordBench

/// The report's speech quality, steady state and getStats figures on real runs.
@Suite struct SpeechQualityBenchTests {
    /// One run, two streams: alice → bob over a clean LAN, bob → alice over the same LAN losing
    /// 20 % of its packets. (At 10 % this 8 s stream scored 4.19 against the clean one's 4.38, and
    /// visqol-python 4.22 against 4.41: Opus's concealment of single frames costs little.)
    static func lossyRun() throws -> BenchRun.Outcome {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 8, "seed": 11, "network": {"links": {"preset": "lan"}, "per_link": [
                {"from": "bob", "to": "alice", "both_directions": false, "conditions": {"loss_percent": 20}}]},
             "participants": [{"name": "alice", "wav": "a.wav"}, {"name": "bob", "wav": "b.wav"}]}
            """)
        return try BenchRun.execute(s, speechQuality: .all)
    }

    @Test func aLosslessStreamScoresAboveALossyOneAndTheLagIsTheLatency() throws {
        let outcome = try Self.lossyRun()
        let clean = try #require(outcome.report.streams.first { $0.from == "alice" })
        let lossy = try #require(outcome.report.streams.first { $0.from == "bob" })
        #expect(lossy.packetLoss > 0.15 && clean.packetLoss == 0)
        let cleanMos = try #require(clean.quality?.visqolMos), lossyMos = try #require(lossy.quality?.visqolMos)
        #expect(cleanMos > lossyMos + 0.3, "clean \(cleanMos), 20 % loss \(lossyMos)")
        #expect((1...5).contains(cleanMos) && (1...5).contains(lossyMos))
        #expect(clean.quality?.visqolNotScored == nil)
        // Steady state: both settle on a LAN, and the clean one scores there too.
        #expect(clean.steadyState?.fromSeconds != nil && clean.quality?.visqolMosSteadyState != nil)
        // The scorer's alignment found the stream's latency: a fifth or more of the played
        // frames were heard within one 20 ms frame of the lag it found (a buffer that cut its
        // delay mid-stream has two latencies; the lag is one of them).
        for (index, stream) in outcome.report.streams.enumerated() {
            let lag = try #require(stream.quality?.visqolLagMs)
            let latencies = outcome.timelines[index].latency.map(\.value)
            let near = latencies.filter { abs($0 - lag) <= 20 }.count
            #expect(Double(near) >= 0.2 * Double(latencies.count), "\(stream.from): ViSQOL lag \(lag) ms, latency \(stream.latencyMs.map { "\($0)" } ?? "none")")
        }
        // The room: mean and worst over the two.
        #expect(outcome.report.room.visqolScoredStreams == 2)
        #expect(outcome.report.room.worstVisqolMos == lossyMos)
        #expect(abs((outcome.report.room.meanVisqolMos ?? 0) - (cleanMos + lossyMos) / 2) < 1e-12)
    }

    /// The getStats counters say what the report's figures say.
    @Test func getStatsCountersAgreeWithTheReport() throws {
        let outcome = try Self.lossyRun()
        for (index, stream) in outcome.report.streams.enumerated() {
            let g = try #require(stream.getStats)
            let record = outcome.simulation.records[index]
            let voiced = g.totalSamplesReceived - record.jitterBuffer.silentSamples
            #expect(abs(Double(g.concealedSamples) / Double(voiced) - stream.concealmentRatio) < 1e-12)
            #expect(g.concealmentEvents == stream.concealmentEvents)
            #expect(g.fecPacketsReceived == stream.fecRecoveredFrames)
            #expect(g.packetsDiscarded >= Int((stream.lateLoss * Double(stream.packetsSent)).rounded()))
            #expect(g.silentConcealedSamples <= g.concealedSamples)
            #expect(g.jitterBufferEmittedCount > 0)
            let meanWaitMs = 1000 * g.jitterBufferDelay / Double(g.jitterBufferEmittedCount)
            #expect(abs(meanWaitMs - record.jitterBuffer.meanJitterBufferDelayMilliseconds) < 1e-9)
        }
        let lossy = try #require(outcome.report.streams.first { $0.from == "bob" }?.getStats)
        #expect(lossy.concealedSamples > 0 && lossy.concealmentEvents > 0)
    }

    /// Too little audio to score, and a run told not to score: null with the reason.
    @Test func unscoredStreamsSayWhy() throws {
        let short = try SimulationTests.scenario("""
            {"duration_seconds": 0.3, "seed": 2,
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]}
            """)
        let report = try BenchRun.execute(short, speechQuality: .all).report
        #expect(!report.streams.isEmpty)
        for s in report.streams {
            #expect(s.quality?.visqolMos == nil)
            #expect(s.quality?.visqolNotScored?.contains("ViSQOL needs at least") == true, "\(s.quality?.visqolNotScored ?? "nil")")
        }
        #expect(report.room.meanVisqolMos == nil && report.room.visqolScoredStreams == 0)
        let none = try BenchRun.execute(short, speechQuality: .none).report
        #expect(none.streams.allSatisfy { $0.quality?.visqolNotScored == "not scored (--speech-quality none)" })
    }

    @Test func autoScoresSmallRoomsOnly() {
        #expect(SpeechQualityScope.auto.decision(streams: SpeechQualityScope.autoStreamLimit).score)
        let big = SpeechQualityScope.auto.decision(streams: 2450)
        #expect(!big.score && big.reason?.contains("2450 streams") == true)
        #expect(SpeechQualityScope.all.decision(streams: 2450).score)
    }
}
