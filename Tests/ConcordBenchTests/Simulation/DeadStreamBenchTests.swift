import Concord
import Foundation
import Testing
@testable import ConcordBench

/// Streams that deliver nothing score as dead everywhere the bench reports them, and a talker
/// that says nothing while a listener is there is no stream at all.
@Suite struct DeadStreamBenchTests {
    /// The a–b link loses every packet both ways (one way would do: sealed, a and b could not
    /// finish a handshake either); the four streams through c are clean.
    @Test func fullLossLinkIsADeadStreamInEveryOutput() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 3, "seed": 5, "network": {"per_link": [
                {"from": "a", "to": "b", "conditions": {"loss_percent": 100}}]},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}, {"name": "c", "wav": "a.wav"}]}
            """)
        let outcome = try BenchRun.execute(s)
        let report = outcome.report
        let dead = try #require(report.streams.first { $0.from == "a" && $0.to == "b" })
        #expect(dead.isDead && dead.latencyMs == nil && dead.latencyXcorrMs == nil)
        // Sealed, a's voice waits for a handshake that never finishes and is dropped once too old
        // to play: never sent (the last two frames still waiting at the end count as sent).
        #expect(dead.packetsSent <= 2 && dead.packetsReceived == 0 && dead.packetLoss == 1)
        #expect((report.security?.staleVoiceDrops ?? 0) > 2 * 140, "both ways, 150 frames each in 3 s")
        #expect(dead.concealmentRatio == 1 && dead.rFactor == 0 && dead.mosEmodel == 1)
        let reverse = try #require(report.streams.first { $0.from == "b" && $0.to == "a" })
        #expect(reverse.isDead && reverse.mosEmodel == 1)
        let live = report.streams.filter { $0.from == "c" || $0.to == "c" }
        #expect(live.count == 4 && live.allSatisfy { !$0.isDead && $0.mosEmodel > 4 })

        // The room: the dead stream is the worst, and the latency mean is over live streams only.
        #expect(report.room.worstMos == 1)
        let liveMean = live.compactMap(\.latencyMs?.mean).reduce(0, +) / Double(live.count)
        #expect(abs((report.room.meanLatencyMs ?? 0) - liveMean) < 1e-9)
        #expect(abs(report.room.meanMos - report.streams.map(\.mosEmodel).reduce(0, +) / 6) < 1e-12)
        #expect(abs(report.room.meanConcealmentRatio - (1 + 1 + live.map(\.concealmentRatio).reduce(0, +)) / 6) < 1e-12)

        // JSON (null latency), CSV (empty latency cells, full loss), HTML and the summary.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-dead-\(UUID().uuidString)").path
        try BenchRun.write(outcome, to: dir)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(dir)/report.json"))) as? [String: Any]
        let streams = try #require(json?["streams"] as? [[String: Any]])
        let jsonDead = try #require(streams.first { $0["from"] as? String == "a" && $0["to"] as? String == "b" })
        #expect(jsonDead["latency_ms"] is NSNull && jsonDead["latency_xcorr_ms"] is NSNull)
        #expect(jsonDead["mos_emodel"] as? Double == 1 && jsonDead["packet_loss"] as? Double == 1)
        let back = try ReportJSON.decodeReport(Data(contentsOf: URL(fileURLWithPath: "\(dir)/report.json")))
        #expect(back.streams.first { $0.from == "a" && $0.to == "b" }?.isDead == true)

        let csv = ReportFixtures.parseCSV(try String(contentsOfFile: "\(dir)/report.csv", encoding: .utf8))
        let header = csv[0]
        let row = try #require(csv.first { $0.first == "a" && $0.dropFirst().first == "b" })
        func cell(_ name: String) throws -> String { row[try #require(header.firstIndex(of: name))] }
        #expect(try cell("latency_ms_mean") == "" && cell("latency_ms_p95") == "")
        #expect(try cell("mos_emodel") == "1" && cell("packet_loss") == "1" && cell("concealment_ratio") == "1")
        #expect(header.count == row.count && !header.contains("latency_ms"))

        let html = try String(contentsOfFile: "\(dir)/report.html", encoding: .utf8)
        #expect(html.contains("dead stream"))
        let summary = ReportWriter.summary(report)
        let line = try #require(summary.split(separator: "\n").first { $0.hasPrefix("a -> b") })
        #expect(line.contains("dead") && line.contains("100.0%") && line.hasSuffix("1.00"))
    }

    /// Half a second of a room: the room has not formed, nothing is played; every stream whose
    /// talker spoke is dead, and the room has no latency rather than 0.
    @Test func roomThatNeverFormedScoresDead() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 0.5, "room": {"id": "short"},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]}
            """)
        let report = try BenchRun.execute(s).report
        #expect(report.streams.count == 2)
        for stream in report.streams where stream.isDead {
            #expect(stream.mosEmodel == 1 && stream.packetLoss == 1 && stream.concealmentRatio == 1)
        }
        let allDead = report.streams.allSatisfy { $0.isDead }
        let received = report.streams.map { "\($0.from)→\($0.to): \($0.packetsReceived) received" }
        #expect(allDead, "\(received)")
        #expect(report.room.worstMos == 1 && report.room.meanMos == 1)
        #expect(report.room.meanLatencyMs == nil && report.room.worstP95LatencyMs == nil)
    }

    /// A talker silent for the whole run (its talk window lies after the end) is not a stream;
    /// a listener-only participant is never one either.
    @Test func talkerThatNeverTalkedIsNotAStream() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 2,
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav", "talk": [[5, 6]]}, {"name": "c"}]}
            """)
        let report = try BenchRun.execute(s).report
        #expect(Set(report.streams.map { "\($0.from)>\($0.to)" }) == ["a>b", "a>c"])
        #expect(report.streams.allSatisfy { !$0.isDead })
    }
}
