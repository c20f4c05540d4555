import AudioFiles
import Concord
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
/// same scenario and seed measures — measured both ways the bench measures a simulated stream:
/// on the media timestamps (each client's `--stream-log`: when the talker encoded a frame, when
/// the listener played it) and on the audio (cross-correlation of output and source).
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
                "--stream-log", dir.appendingPathComponent("\(Self.names[i]).log").path,
                "--duration", i == 2 ? "60" : "\(Self.seconds)",
                // Measured against the simulator, whose participants have no capture processing; and
                // with all three talking at once the echo canceller holds each near end down.
                "--no-echo-cancel", "--no-noise-suppression",
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
        let logs = try Self.names.map { try StreamLogFolder(directory: dir.appendingPathComponent("\($0).log").path) }
        let lookahead = Double(try OpusEncoder(settings: OpusSettings()).lookaheadSamples) / 48
        #expect(!logs[2].sent.isEmpty, "cai's log survives SIGKILL up to its last quarter second")
        // cai's stream, retired when the room dropped it, keeps its name in the survivors' counters.
        for l in 0..<2 {
            #expect(Set(logs[l].statistics.keys) == Set(Self.names.filter { $0 != Self.names[l] }), "\(logs[l].statistics.keys)")
            #expect((logs[l].statistics["cai"]?.count ?? 0) >= 1)
        }
        // Where the machine stalled an engine or the relay, buffers rightly deepen by up to that
        // stall (`LiveComparisonReport.Stream.stallMs`): the live figure may exceed the
        // prediction by that much more.
        func stall(_ t: Int, _ l: Int) -> Double {
            max(logs[t].longestStallMilliseconds, logs[l].longestStallMilliseconds, statistics.schedulingErrorMaxMs ?? 0)
        }
        for l in 0..<2 {
            for t in 0..<3 where t != l {
                // Sample ts of a frame was spoken 20 ms before the talker encoded it; decoding
                // delays it by the encoder's lookahead.
                var spoken: [UInt32: Int64] = [:]
                for row in logs[t].sent where row.peer == Self.names[l] { spoken[row.timestamp] = row.nanoseconds - 20_000_000 }
                // As the bench: frames played from a packet (decoded or recovered).
                let latencies = logs[l].playout.filter { $0.peer == Self.names[t] && [.decoded, .recoveredFEC, .recoveredRedundancy].contains($0.outcome) }.compactMap { row -> Double? in
                    guard let ts = row.timestamp, let mouth = spoken[ts] else { return nil }
                    return Double(row.nanoseconds - mouth) / 1e6 + lookahead
                }.sorted()
                let stream = try #require(simulated.streams.first { $0.from == Self.names[t] && $0.to == Self.names[l] })
                let predicted = try #require(stream.latencyMs?.p50)
                try #require(latencies.count > 100, "\(Self.names[t])→\(Self.names[l]): \(latencies.count) frames played")
                let live = latencies[latencies.count / 2]
                print("relay \(Self.names[t])→\(Self.names[l]) (timestamps): live median \(String(format: "%.1f", live)) ms, simulated \(String(format: "%.1f", predicted)) ms, \(latencies.count) frames")
                #expect(
                    live - predicted >= -20 && live - predicted <= 20 + stall(t, l),
                    "\(Self.names[t])→\(Self.names[l]): live \(live) ms, simulated \(predicted) ms, stall \(stall(t, l)) ms")
            }
        }
        for l in 0..<2 {
            let heard = try WAVReader.readMono48k(path: dir.appendingPathComponent("\(Self.names[l]).out.wav").path)
            let tracks = HeardTracks(folder: dir.appendingPathComponent("\(Self.names[l]).log").path)
            let mixed = try tracks.mixCorrelation(output: heard, peers: Self.names.filter { $0 != Self.names[l] })
            #expect(mixed > 0.9, "\(Self.names[l])'s output is the mix of what it played of the others: ρ \(mixed)")
            for t in 0..<3 where t != l {
                // cai's own first tick is unknown (its summary died with it): its clients' start
                // time is the nearest, within the processes' start-up spread.
                let talkerTick = t < 2 ? summaries[t].firstTickAtNanoseconds! : summaries.compactMap(\.firstTickAtNanoseconds).min()!
                let spoken = try WAVReader.readMono48k(path: ThreeClientsTests.fixtures.appendingPathComponent(["a.wav", "b.wav", "c.wav"][t]).path)
                let windows = try tracks.windows(
                    of: Self.names[t], source: spoken, talkerFirstTick: talkerTick, listenerFirstTick: summaries[l].firstTickAtNanoseconds!)
                #expect(windows.count >= 3, "\(Self.names[l]) hears \(Self.names[t]): \(windows.count) windows")
                let latencies = windows.map(\.latencyMilliseconds).sorted()
                guard let live = latencies.dropFirst(latencies.count / 2).first else { continue }
                let stream = try #require(simulated.streams.first { $0.from == Self.names[t] && $0.to == Self.names[l] })
                let predicted = try #require(stream.latencyMs?.p50)
                print("relay \(Self.names[t])→\(Self.names[l]) (audio): live median \(String(format: "%.1f", live)) ms, simulated \(String(format: "%.1f", predicted)) ms")
                if t < 2 {
                    #expect(
                        live - predicted >= -20 && live - predicted <= 20 + stall(t, l),
                        "\(Self.names[t])→\(Self.names[l]): live \(live) ms, simulated \(predicted) ms, stall \(stall(t, l)) ms")
                }
            }
        }
    }
}
