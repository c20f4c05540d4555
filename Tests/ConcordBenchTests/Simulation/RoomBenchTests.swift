import Concord
import Foundation
import Testing
@testable import ConcordBench

/// Rooms in the bench: participants meet through the room protocol, voice follows membership,
/// and the report measures joins, convergence after each event and control traffic.
@Suite struct RoomBenchTests {
    @Test func scheduledJoinsLeavesCrashesAndPartitionsAreMeasured() throws {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 20, "seed": 2, "room": {"id": "standup"},
             "network": {"links": {"delay_ms": 10}, "events": [
                {"at_seconds": 12, "action": "partition", "groups": [["ann", "ben"], ["cat"]]},
                {"at_seconds": 15, "action": "heal"}]},
             "participants": [
                {"name": "ann", "wav": "a.wav"},
                {"name": "ben", "wav": "b.wav", "join_seconds": 0.5},
                {"name": "cat", "wav": "a.wav", "join_seconds": 3, "start_seconds": 3},
                {"name": "dan", "wav": "b.wav", "join_seconds": 1, "leave_seconds": 6},
                {"name": "eve", "wav": "a.wav", "join_seconds": 1.5, "crash_seconds": 8}]}
            """)
        let outcome = try BenchRun.execute(s)
        let m = try #require(outcome.report.membership)
        // The first joiner waits out discovery (1 s) and creates the room; the others are let in.
        let joins = Dictionary(uniqueKeysWithValues: m.joins.map { ($0.participant, $0.joinMs) })
        #expect(try #require(joins["ann"] ?? nil) >= 1_000)
        for name in ["ben", "cat", "dan", "eve"] { #expect(try #require(joins[name] ?? nil) < 1_000, "\(name)") }
        let events = m.convergence.map(\.event)
        for e in ["join ann", "join ben", "join cat", "leave dan", "crash eve", "partition", "heal"] {
            #expect(events.contains(e), "\(e) in \(events)")
        }
        // Every event converged, and a crash within the documented failure-detection bound.
        #expect(m.convergence.allSatisfy { $0.convergedAfterMs != nil }, "\(m.convergence)")
        let crash = try #require(m.convergence.first { $0.event == "crash eve" })
        #expect(try #require(crash.convergedAfterMs) <= 3_100 + 2 * 10 + 100)
        #expect(m.controlBytesPerSecondMean > 0 && m.controlBytesPerSecondMax < 5_000)

        // Voice followed membership: cat, who joined at 3 s, was heard by ann; eve's stream
        // ended with her crash; nobody heard cat during the partition.
        let catToAnn = try #require(outcome.simulation.records.first { $0.from == "cat" && $0.to == "ann" })
        #expect(catToAnn.arrivals.count > 300)
        #expect(catToAnn.arrivals.allSatisfy { $0.arrivalTime >= .seconds(3) })
        let eveToBen = try #require(outcome.simulation.records.first { $0.from == "eve" && $0.to == "ben" })
        #expect(eveToBen.arrivals.allSatisfy { $0.arrivalTime <= .seconds(8.1) })
        #expect(catToAnn.arrivals.filter { $0.arrivalTime > .seconds(12.05) && $0.arrivalTime < .seconds(15) }.isEmpty)
        let report = try #require(outcome.report.streams.first { $0.from == "cat" && $0.to == "ann" })
        #expect(report.packetsReceived > 300)
        // Loss counts only packets addressed to the listener: ann sent to cat from cat's join
        // (3 s) on, and lost only what she sent during the partition before declaring cat dead
        // (≤ 3.1 s of the 17 s) — not the 3 s before cat was there.
        let annToCat = try #require(outcome.report.streams.first { $0.from == "ann" && $0.to == "cat" })
        #expect(annToCat.packetLoss > 0 && annToCat.packetLoss < 3.2 / 17)
        let annToBen = try #require(outcome.report.streams.first { $0.from == "ann" && $0.to == "ben" })
        #expect(annToBen.packetLoss == 0)
    }

    @Test func roomFieldsNeedARoom() throws {
        let file = try BenchFixtures.scenarioFile(
            #"{"participants": [{"name": "a", "wav": "a.wav", "leave_seconds": 3}, {"name": "b", "wav": "b.wav"}]}"#)
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
        #expect(error?.field == "participants[0]")
        #expect(error?.reason.contains("need a \"room\"") == true)
    }
}
