import ConcordBench
import ConcordTesting
import Foundation
import Testing

/// `concord-bench relay` as a user runs it: the join commands it prints, its statistics file,
/// and a port that is taken.
@Suite(.serialized) struct RelayCLITests {
    @Test func printsAJoinCommandPerParticipantAndWritesItsStatistics() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-relay-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let stats = dir.appendingPathComponent("relay.json").path
        let port = 30_000 + Int.random(in: 0..<20_000)
        let result = try BuiltProduct.concordBench.run(
            ["relay", "fixtures/two-person-lan.scenario.json", "--port", "\(port)", "--duration", "1", "--stats-json", stats],
            in: BenchFixtures.root)
        #expect(result.status == 0, "\(result.output)")
        let commands = result.stdout.components(separatedBy: "\n").filter { $0.hasPrefix("  concord join two-person-lan") }
        #expect(commands.count == 2, "\(result.stdout)")
        #expect(commands.first?.contains("--client-id alice --bind 127.77.0.1 --port \(port) --advertise 127.77.1.1 --broadcast 127.77.2.1") == true)
        #expect(commands.last?.contains("--input-wav \(BenchFixtures.path("b.wav"))") == true)
        #expect(result.stdout.contains("relay: 0 datagrams in, 0 out"))
        let statistics = try JSONDecoder().decode(RelayStatistics.self, from: Data(contentsOf: URL(fileURLWithPath: stats)))
        #expect(statistics.received == 0 && statistics.schedulingErrorP99Ms == nil)
        #expect(statistics.wallSeconds >= 1 && statistics.wallSeconds < 5, "\(statistics)")
    }

    @Test func aPortInUseEndsWithTheAddressAndNoSignal() throws {
        let port = 30_000 + Int.random(in: 0..<20_000)
        let first = try BuiltProduct.concordBench.start(
            ["relay", BenchFixtures.path("two-person-lan.scenario.json"), "--port", "\(port)", "--duration", "20"],
            environment: [:])
        defer {
            first.process.terminate()
            first.finish()
        }
        let started = ContinuousClock.now
        while !first.output.contains("start each participant"), ContinuousClock.now - started < .seconds(10) { usleep(20_000) }
        let second = try BuiltProduct.concordBench.run(
            ["relay", "fixtures/two-person-lan.scenario.json", "--port", "\(port)", "--duration", "1"], in: BenchFixtures.root)
        #expect(second.reason == .exit && second.status == 1, "\(second.output)")
        #expect(second.stderr.contains("relay: cannot bind 127.77.1.1:\(port): Address already in use"), "\(second.stderr)")
        // A live run on that port stops there too, before any client has started.
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-live-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let live = try BuiltProduct.concordBench.run(
            ["run", "--live", "fixtures/two-person-lan.scenario.json", "--relay-port", "\(port)", "--out", out.path, "--quiet"],
            in: BenchFixtures.root)
        #expect(live.reason == .exit && live.status == 1, "\(live.output)")
        #expect(live.stderr.contains("cannot bind 127.77.1.1:\(port): Address already in use"), "\(live.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("live/alice/client.log").path))
    }
}
