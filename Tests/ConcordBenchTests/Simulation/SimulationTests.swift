import Concord
import Foundation
import Testing
@testable import ConcordBench

@Suite struct SimulationTests {
    static func scenario(_ json: String) throws -> ResolvedScenario {
        try ScenarioLoader.load(path: try BenchFixtures.scenarioFile(json))
    }

    @Test func recordsEveryStreamAndIsDeterministic() throws {
        let s = try Self.scenario("""
            {"duration_seconds": 4, "seed": 9, "network": {"links": {"preset": "wifi-congested"}},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}, {"name": "c", "wav": "a.wav", "start_seconds": 1}]}
            """)
        let first = try Simulation(scenario: s).run()
        #expect(first.records.count == 6)
        for (i, r) in first.records.enumerated() {
            #expect(r.sent.count >= 195 && r.sent.count <= 200)  // 4 s of 20 ms frames, less the phase
            #expect(r.arrivals.count > 150)
            // A playout event per frame until the last one said before the end has played, a
            // silence event per 5 ms pull until the first is due (the 80 ms initial target), and
            // the concealments made while waiting for late packets.
            #expect(r.playout.count >= r.sent.count && r.playout.count <= r.sent.count + 40, "\(r.playout.count) \(r.sent.count)")
            // Tracks run on through the drain after the end, so in-flight packets still play.
            let samples = Int((4 + Simulation.drainSeconds) * 48_000)
            #expect(try first.track(i).count == samples && r.source.count == samples)
        }
        let second = try Simulation(scenario: s).run()
        for (i, (x, y)) in zip(first.records, second.records).enumerated() {
            #expect(x.arrivals == y.arrivals)
            #expect(x.playout == y.playout)
            #expect(try first.track(i) == second.track(i))
        }
    }

    /// A partition cuts exactly the streams across it and nothing else; the heal restores them.
    @Test func partitionSilencesOnlyCrossStreams() throws {
        let s = try Self.scenario("""
            {"duration_seconds": 6, "network": {"events": [
                {"at_seconds": 2, "action": "partition", "groups": [["a", "b"], ["c"]]},
                {"at_seconds": 4, "action": "heal"}]},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}, {"name": "c", "wav": "a.wav"}]}
            """)
        let result = try Simulation(scenario: s).run()
        for r in result.records {
            let during = r.arrivals.filter { $0.arrivalTime >= .seconds(2.01) && $0.arrivalTime < .seconds(4) }.count
            let after = r.arrivals.filter { $0.arrivalTime >= .seconds(4.01) }.count
            if (r.from == "c") != (r.to == "c") {
                #expect(during == 0, "\(r.from)→\(r.to)")
                #expect(after > 90)
            } else {
                #expect(during > 90, "\(r.from)→\(r.to)")
            }
        }
    }
}
