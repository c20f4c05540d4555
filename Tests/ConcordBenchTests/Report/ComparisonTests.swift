import ConcordTesting
import Foundation
import Testing
@testable import ConcordBench

@Suite struct ComparisonTests {
    /// The paired interval by hand: differences 1, 2, 3 → mean 2, sd 1, t₀.₉₇₅(2) = 4.303.
    @Test func pairedDifferenceAndItsInterval() throws {
        let row = try #require(Comparison.row(scope: "room", metric: "m", [(10, 11), (20, 22), (30, 33)]))
        #expect(row.seeds == 3 && row.a == 20 && row.b == 22 && row.difference == 2)
        let half = 4.303 / 3.0.squareRoot()
        #expect(abs(row.low! - (2 - half)) < 1e-12 && abs(row.high! - (2 + half)) < 1e-12)
        #expect(!row.isSignificant)  // [−0.48, 4.48] holds 0
        // The same spread of differences around a larger mean excludes zero.
        #expect(Comparison.row(scope: "room", metric: "m", [(0, 9), (0, 10), (0, 11)])!.isSignificant)
    }

    @Test func seedsMissingAFigureAreLeftOutAndOneSeedHasNoInterval() throws {
        let row = try #require(Comparison.row(scope: "a→b", metric: "m", [(nil, 1), (2, 5), (3, .nan)]))
        #expect(row.seeds == 1 && row.difference == 3 && row.low == nil && row.high == nil)
        #expect(Comparison.row(scope: "a→b", metric: "m", [(nil, nil)]) == nil)
        let json = String(decoding: try JSONEncoder().encode(row), as: UTF8.self)
        #expect(json.contains("\"ci95_low\":null"))
    }

    @Test func studentQuantiles() {
        #expect(Comparison.studentT975(degreesOfFreedom: 1) == 12.706)
        #expect(Comparison.studentT975(degreesOfFreedom: 4) == 2.776)
        #expect(Comparison.studentT975(degreesOfFreedom: 1000) == 1.96)
    }

    @Test func participantsThatDifferAreNamed() {
        #expect(Comparison.participantDifference(a: ["a", "b"], b: ["b", "a"]) == nil)
        let text = Comparison.participantDifference(a: ["alice", "bob"], b: ["alice", "carol"])
        #expect(text == "the scenarios have different participants: only the first has bob; only the second has carol")
    }

    /// A fixed 200 ms buffer against the adaptive one on a lan: B's latency is higher at every
    /// seed, so the interval of the difference lies well above zero; the JSON rows parse back.
    @Test func compareRunsBothOverTheSameSeeds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func scenario(_ name: String, _ buffer: String) throws -> String {
            let file = dir.appendingPathComponent("\(name).json").path
            try """
                {"name": "\(name)", "duration_seconds": 3, "network": {"links": {"preset": "lan"}}, "jitter_buffer": \(buffer),
                 "participants": [{"name": "a", "wav": "\(BenchFixtures.path("a.wav"))"}, {"name": "b", "wav": "\(BenchFixtures.path("b.wav"))"}]}
                """.write(toFile: file, atomically: true, encoding: .utf8)
            return file
        }
        let a = try scenario("adaptive", #"{"mode": "adaptive"}"#)
        let b = try scenario("fixed", #"{"mode": "fixed", "fixed_ms": 200}"#)
        let out = dir.appendingPathComponent("out").path
        let result = try BuiltProduct.concordBench.run(["compare", a, b, "--seeds", "3", "--out", out, "--quiet"], in: BenchFixtures.root)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("mean_latency_ms"))
        struct File: Decodable {
            var seeds: [UInt64]
            var rows: [ComparisonRow]
        }
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/compare.json")))
        #expect(file.seeds.count == 3)
        let latency = try #require(file.rows.first { $0.scope == "room" && $0.metric == "mean_latency_ms" })
        #expect(latency.seeds == 3 && latency.difference > 100 && (latency.low ?? 0) > 0, "\(latency)")
        #expect(file.rows.contains { $0.scope == "a→b" && $0.metric == "latency_ms_p95" })
        #expect(try String(contentsOfFile: "\(out)/compare.csv", encoding: .utf8).hasPrefix("scope,metric,seeds,a,b,difference,ci95_low,ci95_high"))

        // Different participants: refused, naming them.
        let c = dir.appendingPathComponent("other.json").path
        try String(contentsOfFile: b, encoding: .utf8).replacingOccurrences(of: "\"name\": \"b\"", with: "\"name\": \"carl\"")
            .write(toFile: c, atomically: true, encoding: .utf8)
        let refused = try BuiltProduct.concordBench.run(["compare", a, c, "--out", out + "2"], in: BenchFixtures.root)
        #expect(refused.status != 0)
        #expect(refused.output.contains("only the first has b; only the second has carl"), "\(refused.output)")
    }
}
