import AudioFiles
import Concord
import ConcordBench
import ConcordLive
import ConcordTesting
import Foundation
import Testing

/// The project's central path end to end: three `concord join ROOM --network NWID` processes,
/// each on its own host (a network namespace on one bridge) with its own ZeroTier One service
/// (the `fake-zerotier-one` process, which assigns that host's address), started at the same
/// moment — once on a network that delivers broadcasts, once on a "fresh network" where no
/// broadcast ever arrives (the worst case of ZeroTier queueing earlier members' broadcasts for a
/// new member). No `--peer`: they must find each other from the network's address alone, share
/// one room within 5 s, hear each other, agree on the room, exchange texts, and leave cleanly.
@Suite(.serialized) struct ZeroTierNamespaceTests {
    static let names = ["ana", "ben", "cai"]
    static let sources = ["a.wav", "b.wav", "c.wav"]
    static let network = "8056c2e21c000001"
    static let seconds = 12.0

    static var buildDirectory: URL { URL(fileURLWithPath: BuiltProduct.concord.path).deletingLastPathComponent() }

    @Test(arguments: [false, true])
    func threeClientsMeetWithinFiveSecondsAndTalk(broadcastsDropped: Bool) async throws {
        let lab: NetworkLab
        do {
            lab = try NetworkLab(hosts: 3)
        } catch {
            print("SKIPPED: network namespaces cannot be made here (\(error))")
            return
        }
        defer { lab.close() }
        if broadcastsDropped {
            for host in lab.hosts { try lab.dropIncomingBroadcasts(at: host) }
        }

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-netns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        // One ZeroTier service per host, assigning that host's address after a short wait for
        // the network's configuration, as a controller does.
        var services: [Process] = []
        defer {
            for s in services where s.isRunning { s.terminate() }
            for s in services { s.waitUntilExit() }
        }
        for (i, host) in lab.hosts.enumerated() {
            let home = dir.appendingPathComponent("zt-\(i)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            let service = lab.process(
                in: host, Self.buildDirectory.appendingPathComponent("fake-zerotier-one").path,
                ["--home", home.path, "--ipv4", "\(host.address)/\(host.prefixLength)", "--config-delay-seconds", "0.5"],
                environment: [:])
            let ready = Pipe()
            service.standardOutput = ready
            service.standardError = FileHandle.standardError
            try service.run()
            services.append(service)
            let line = String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self)
            #expect(line.hasPrefix("ready"), "fake service on \(host.namespace): \(line)")
        }

        let invite = RoomSecret.generate().inviteString
        var clients: [(process: RunningProcess, output: String, summary: String, streamLog: String)] = []
        let startedAt = MonotonicClock.now()
        for (i, host) in lab.hosts.enumerated() {
            let output = dir.appendingPathComponent("\(Self.names[i]).wav").path
            let summary = dir.appendingPathComponent("\(Self.names[i]).json").path
            let streamLog = dir.appendingPathComponent("\(Self.names[i]).log").path
            let process = lab.process(
                in: host, BuiltProduct.concord.path,
                [
                    "join", "standup", "--network", Self.network, "--name", Self.names[i], "--invite", invite,
                    "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent(Self.sources[i]).path,
                    "--output-wav", output, "--summary-json", summary, "--stream-log", streamLog, "--say", "hello from \(Self.names[i])",
                    "--duration", "\(Self.seconds)",
                    // All three talk at once from files: no room, no echo, and the echo canceller
                    // would hold each near end down through the unbroken triple talk.
                    "--no-echo-cancel", "--no-noise-suppression",
                ],
                environment: [
                    "ZEROTIER_HOME": dir.appendingPathComponent("zt-\(i)").path,
                    "CONCORD_HOME": dir.appendingPathComponent("home-\(i)").path, "PATH": "/usr/bin:/bin",
                ])
            clients.append((try RunningProcess(starting: process), output, summary, streamLog))
        }
        for c in clients { c.process.finish() }
        var exitedCleanly = true
        for (i, c) in clients.enumerated() {
            let status = c.process.process.terminationStatus
            #expect(status == 0, "\(Self.names[i]) exited \(status):\n\(c.process.output)")
            exitedCleanly = exitedCleanly && status == 0
        }
        guard exitedCleanly else { return }
        let summaries = try clients.map {
            try JSONDecoder().decode(LiveSummary.self, from: Data(contentsOf: URL(fileURLWithPath: $0.summary)))
        }

        // One room within 5 s of the start: the first moment every view is the whole room.
        let everyone = Self.names.sorted()
        let instants = summaries.flatMap { $0.viewChanges.map(\.atNanoseconds) }.sorted()
        let together = instants.first { t in summaries.allSatisfy { $0.view(at: t) == everyone } }
        let met = together.map { Double($0 - startedAt.nanoseconds) / 1e9 }
        print("netns (broadcasts \(broadcastsDropped ? "dropped" : "delivered")): one room of three \(met.map { String(format: "%.2f s", $0) } ?? "never") after the start")
        #expect(met != nil && met! <= 5, "views: \(summaries.map(\.viewChanges))")

        for (i, s) in summaries.enumerated() {
            #expect(s.left, "\(Self.names[i]) left cleanly")
            #expect(s.address.hasPrefix(lab.hosts[i].address + ":"), "advertised the ZeroTier address: \(s.address)")
            #expect(s.security.dropped == 0, "\(Self.names[i]): \(s.security)")
            let others = Self.names.filter { $0 != Self.names[i] }
            #expect(Set(s.messages.map(\.text)) == Set(others.map { "hello from \($0)" }), "\(Self.names[i]): \(s.messages)")
        }
        // Views agree at the end of the call.
        let end = summaries.compactMap(\.firstTickAtNanoseconds).max()! + Int64((Self.seconds - 1.5) * 1e9)
        for (i, s) in summaries.enumerated() {
            #expect(s.view(at: end) == everyone, "\(Self.names[i]) saw \(String(describing: s.view(at: end)))")
        }

        // Everyone hears the other two: cross-correlation of each talker's source against what the
        // listener played of it (`HeardTracks`), and the output is the mix of those.
        for l in 0..<3 {
            let heard = try WAVReader.readMono48k(path: clients[l].output)
            let tracks = HeardTracks(folder: clients[l].streamLog)
            let others = (0..<3).filter { $0 != l }.map { Self.names[$0] }
            let mixed = try tracks.mixCorrelation(output: heard, peers: others)
            #expect(mixed > 0.9, "\(Self.names[l])'s output is the mix of what it played of \(others): ρ \(mixed)")
            for t in 0..<3 where t != l {
                let spoken = try WAVReader.readMono48k(
                    path: ThreeClientsTests.fixtures.appendingPathComponent(Self.sources[t]).path)
                let windows = try tracks.windows(
                    of: Self.names[t], source: spoken, talkerFirstTick: summaries[t].firstTickAtNanoseconds!,
                    listenerFirstTick: summaries[l].firstTickAtNanoseconds!)
                let latencies = windows.map(\.latencyMilliseconds).sorted()
                let median = latencies.isEmpty ? .nan : latencies[latencies.count / 2]
                print("netns \(Self.names[t])→\(Self.names[l]): \(windows.count) windows, median latency \(String(format: "%.1f", median)) ms")
                #expect(
                    windows.count >= 3,
                    """
                    \(Self.names[l]) hears \(Self.names[t]): \(windows.count) windows
                    the listener's summary: \(Self.contents(clients[l].summary))
                    the talker's summary: \(Self.contents(clients[t].summary))
                    """)
            }
        }
    }

    static func contents(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? "(unreadable)"
    }
}
