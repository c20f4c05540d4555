import AudioFiles
import ConcordBench
import ConcordLive
import ConcordTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Three real `concord join` processes through `concord-bench relay` on a lossy mobile preset,
/// started with exactly the commands the relay prints, one of them killed (SIGKILL) mid-call:
/// every listener hears the others, the survivors' rooms lose the dead member, and each
/// stream's median mouth-to-ear latency is within one frame of what a virtual-time run of the
/// same scenario and seed measures.
@Suite(.serialized) struct RelayRoomTests {
    static let names = ["ana", "ben", "cai"]
    static let seconds = 14.0
    static let crashSeconds = 9.0

    static func scenarioJSON() -> String {
        let wavs = ["a.wav", "b.wav", "c.wav"].map { ThreeClientsTests.fixtures.appendingPathComponent($0).path }
        return """
            {"name": "relay-room", "duration_seconds": \(seconds - 2), "seed": 4, "room": {"id": "relayroom"},
             "network": {"links": {"preset": "4g-lossy"}},
             "participants": [{"name": "ana", "wav": "\(wavs[0])"}, {"name": "ben", "wav": "\(wavs[1])"},
                              {"name": "cai", "wav": "\(wavs[2])", "crash_seconds": \(crashSeconds)}]}
            """
    }

    @Test func threeClientsThroughTheRelayHearEachOtherAsTheSimulatorPredicts() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-relay-room-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let scenario = dir.appendingPathComponent("relay-room.scenario.json")
        try Data(Self.scenarioJSON().utf8).write(to: scenario)
        let port = 20_000 + Int.random(in: 0..<20_000)
        let stats = dir.appendingPathComponent("relay.json").path

        let relay = try RunningProcess(
            starting: BuiltProduct.concordBench.process(
                ["relay", scenario.path, "--port", "\(port)", "--stats-json", stats, "--quiet"], in: dir))
        let started = ContinuousClock.now
        while relay.output.components(separatedBy: "\n").filter({ $0.hasPrefix("  concord join") }).count < 3,
            ContinuousClock.now - started < .seconds(10)
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        let commands = relay.output.components(separatedBy: "\n").filter { $0.hasPrefix("  concord join") }
        try #require(commands.count == 3, "the relay printed:\n\(relay.output)")

        var clients: [RunningProcess] = []
        for (i, command) in commands.enumerated() {
            // The printed words (none needs quoting here), less the program's name.
            var arguments = Array(command.split(separator: " ").map(String.init).dropFirst())
            #expect(arguments.contains("--client-id") && arguments.contains(Self.names[i]))
            arguments += [
                "--summary-json", dir.appendingPathComponent("\(Self.names[i]).json").path,
                "--duration", i == 2 ? "60" : "\(Self.seconds)",
            ]
            let home = dir.appendingPathComponent("home-\(i)").path
            clients.append(
                try RunningProcess(
                    starting: BuiltProduct.concord.process(arguments, environment: ["CONCORD_HOME": home, "PATH": "/usr/bin:/bin"], in: dir)))
        }
        try await Task.sleep(until: started + .seconds(Self.crashSeconds))
        kill(clients[2].process.processIdentifier, SIGKILL)
        for c in clients.prefix(2) { c.finish() }
        clients[2].finish()
        kill(relay.process.processIdentifier, SIGINT)
        relay.finish()

        #expect(relay.process.terminationStatus == 0, "relay: \(relay.output)")
        let statistics = try JSONDecoder().decode(RelayStatistics.self, from: Data(contentsOf: URL(fileURLWithPath: stats)))
        #expect(statistics.unknownSource == 0 && statistics.received > 1_000 && statistics.droppedLoss > 0, "\(statistics)")
        print(statistics.summary)
        for i in 0..<2 {
            #expect(clients[i].process.terminationStatus == 0, "\(Self.names[i]): \(clients[i].output)")
        }
        let summaries = try (0..<2).map {
            try JSONDecoder().decode(
                LiveSummary.self, from: Data(contentsOf: dir.appendingPathComponent("\(Self.names[$0]).json")))
        }
        // The survivors saw the room of three, then lost cai (and, at the end, perhaps each other).
        for (i, s) in summaries.enumerated() {
            let whole = s.viewChanges.firstIndex { $0.view == Self.names }
            #expect(whole != nil, "\(Self.names[i]): \(s.viewChanges)")
            #expect(s.viewChanges.dropFirst((whole ?? 0) + 1).contains { $0.view == ["ana", "ben"] }, "\(Self.names[i]): \(s.viewChanges)")
        }

        // The same scenario and seed in virtual time.
        let simulated = try BenchRun.execute(try ScenarioLoader.load(path: scenario.path)).report
        for l in 0..<2 {
            let heard = try WAVReader.readMono48k(path: dir.appendingPathComponent("\(Self.names[l]).out.wav").path)
            for t in 0..<3 where t != l {
                // cai's own first tick is unknown (its summary died with it): its clients' start
                // time is the nearest, within the processes' start-up spread.
                let talkerTick = t < 2 ? summaries[t].firstTickAtNanoseconds! : summaries.compactMap(\.firstTickAtNanoseconds).min()!
                let spoken = try WAVReader.readMono48k(path: ThreeClientsTests.fixtures.appendingPathComponent(["a.wav", "b.wav", "c.wav"][t]).path)
                let aligned = ThreeClientsTests.align(
                    spoken, talkerFirstTick: talkerTick, listenerFirstTick: summaries[l].firstTickAtNanoseconds!)
                let windows = CrossCorrelationLatency.analyze(source: aligned, track: heard, settings: .init(hopSeconds: 0.5))
                    .filter(\.accepted)
                #expect(windows.count >= 3, "\(Self.names[l]) hears \(Self.names[t]): \(windows.count) windows")
                let latencies = windows.map(\.latencyMilliseconds).sorted()
                guard let live = latencies.dropFirst(latencies.count / 2).first else { continue }
                let stream = try #require(simulated.streams.first { $0.from == Self.names[t] && $0.to == Self.names[l] })
                let predicted = try #require(stream.latencyMs?.p50)
                print("relay \(Self.names[t])→\(Self.names[l]): live median \(String(format: "%.1f", live)) ms, simulated \(String(format: "%.1f", predicted)) ms")
                if t < 2 {
                    #expect(abs(live - predicted) <= 20, "\(Self.names[t])→\(Self.names[l]): live \(live) ms, simulated \(predicted) ms")
                }
            }
        }
    }
}
