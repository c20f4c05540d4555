import AudioFiles
import Concord
import ConcordBench
import ConcordLive
import ConcordTesting
import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The issue's integration test: three `concord join` processes on loopback addresses with WAV
/// devices, in real time, over real UDP sockets and the real sealed protocol. Each one's output
/// must contain the other two's speech (cross-correlation), at a latency within what the
/// simulator predicts for a lossless link, and their room views must agree. On the way: garbage
/// datagrams on one client's port are counted and dropped, one client is stopped by SIGTERM
/// instead of its timer, and every WAV and summary is complete.
@Suite(.serialized) struct ThreeClientsTests {
    static let names = ["ana", "ben", "cai"]
    static let sources = ["a.wav", "b.wav", "c.wav"]
    static let seconds = 11.0

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("fixtures")
    }

    struct Client {
        var process: RunningProcess
        var output: String
        var summary: String
        var streamLog: String
    }

    @Test func threeClientsHearEachOtherAndAgreeOnTheRoom() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = UInt16(20_000 + Int.random(in: 0..<20_000))
        let hosts = (0..<3).map { "127.0.0.\($0 + 2)" }
        let invite = RoomSecret.generate().inviteString

        var clients: [Client] = []
        for i in 0..<3 {
            let home = dir.appendingPathComponent("home-\(i)").path
            let output = dir.appendingPathComponent("\(Self.names[i]).out.wav").path
            let summary = dir.appendingPathComponent("\(Self.names[i]).json").path
            let streamLog = dir.appendingPathComponent("\(Self.names[i]).log").path
            var arguments = [
                "join", "itest", "--client-id", Self.names[i], "--bind", hosts[i], "--port", "\(port)", "--invite", invite,
                "--input-wav", Self.fixtures.appendingPathComponent(Self.sources[i]).path, "--output-wav", output,
                "--summary-json", summary, "--stream-log", streamLog, "--say", "hello from \(Self.names[i])",
                // Measured against the simulator, whose participants have no capture processing
                // (echo cancellation and noise suppression add 15 ms of their own).
                "--no-echo-cancel", "--no-noise-suppression",
                // The last client is stopped by SIGTERM, not by its timer.
                "--duration", i == 2 ? "60" : "\(Self.seconds)",
            ]
            for j in 0..<3 where j != i { arguments += ["--peer", "\(hosts[j]):\(port)"] }
            let process = try BuiltProduct.concord.start(arguments, environment: ["CONCORD_HOME": home, "PATH": "/usr/bin:/bin"])
            clients.append(Client(process: process, output: output, summary: summary, streamLog: streamLog))
        }

        // Garbage on ben's port once its socket is bound (it says so): counted, dropped, audio untouched.
        let started = ContinuousClock.now
        while !clients[1].process.output.contains("joining itest as ben"), ContinuousClock.now - started < .seconds(Self.seconds) {
            try await Task.sleep(for: .milliseconds(50))
        }
        try await Task.sleep(for: .seconds(2))
        let garbage = 200
        try Self.sendGarbage(count: garbage, to: hosts[1], port: port)
        try await Task.sleep(until: started + .seconds(Self.seconds + 0.3))
        kill(clients[2].process.process.processIdentifier, SIGTERM)
        for c in clients { c.process.finish() }
        for (i, c) in clients.enumerated() {
            #expect(c.process.process.terminationStatus == 0, "\(Self.names[i]) exited \(c.process.process.terminationStatus):\n\(c.process.output)")
        }
        let summaries = try clients.map {
            try JSONDecoder().decode(LiveSummary.self, from: Data(contentsOf: URL(fileURLWithPath: $0.summary)))
        }
        for (i, s) in summaries.enumerated() {
            #expect(s.left, "\(Self.names[i]) left cleanly")
            #expect(s.securityStatistics.impersonations == 0)
            if i != 1 { #expect(s.security.dropped == 0, "\(Self.names[i]): \(s.security)") }
            let others = Self.names.filter { $0 != Self.names[i] }
            #expect(Set(s.messages.map(\.text)) == Set(others.map { "hello from \($0)" }), "\(Self.names[i]): \(s.messages)")
        }
        #expect(summaries[1].security.dropped >= garbage, "garbage counted: \(summaries[1].security)")
        // Receiver reports flowed both ways: each member reported on the others' voice, and the
        // round trip they measured is a loopback's (well under a frame).
        for (i, s) in summaries.enumerated() {
            for peer in s.peers {
                #expect(peer.voice.outboundLossPercent != nil, "\(Self.names[i]) has \(peer.clientID)'s reports")
                #expect((peer.voice.rttMs ?? 99) < 10, "\(Self.names[i]) ↔ \(peer.clientID): rtt \(String(describing: peer.voice.rttMs))")
            }
        }
        // Protection adapts by default: a new path starts with FEC, and a loopback loses
        // nothing, so the FEC goes once enough clean reports are in, and nothing comes back.
        for (i, s) in summaries.enumerated() {
            #expect(s.protectionChanges.map { "\($0.from) → \($0.to)" }.allSatisfy { $0 == "FEC 10 % → none" }, "\(Self.names[i]): \(s.protectionChanges)")
            #expect(s.protectionChanges.count <= 1)
        }

        // Views agree: 4 s after the last client's first tick, every view is the whole room.
        let settled = summaries.compactMap(\.firstTickAtNanoseconds).max()! + 4_000_000_000
        for (i, s) in summaries.enumerated() {
            #expect(s.view(at: settled) == Self.names.sorted(), "\(Self.names[i]) saw \(String(describing: s.view(at: settled)))")
        }

        // Everyone hears the other two, within the simulator's prediction for a lossless link.
        let bound = try Self.simulatedLatencyBound()
        for l in 0..<3 {
            let heard = try WAVReader.readMono48k(path: clients[l].output)
            #expect(Double(heard.count) / 48_000 > Self.seconds - 2, "\(Self.names[l])'s output WAV is complete")
            let tracks = HeardTracks(folder: clients[l].streamLog)
            let others = (0..<3).filter { $0 != l }.map { Self.names[$0] }
            let mixed = try tracks.mixCorrelation(output: heard, peers: others)
            #expect(mixed > 0.9, "\(Self.names[l])'s output is the mix of what it played of \(others): ρ \(mixed)")
            for t in 0..<3 where t != l {
                let spoken = try WAVReader.readMono48k(path: Self.fixtures.appendingPathComponent(Self.sources[t]).path)
                // The talker speaks for 8–9 s, the first second or two before the room has formed.
                let windows = try tracks.windows(
                    of: Self.names[t], source: spoken, talkerFirstTick: summaries[t].firstTickAtNanoseconds!,
                    listenerFirstTick: summaries[l].firstTickAtNanoseconds!)
                #expect(windows.count >= 3, "\(Self.names[l]) hears \(Self.names[t]): \(windows.count) windows")
                let latencies = windows.map(\.latencyMilliseconds).sorted()
                guard let median = latencies.dropFirst(latencies.count / 2).first else { continue }
                // A stall of either engine (the machine did not run it) deepens the buffers by up to its length.
                let stall = max(summaries[t].engineTiming.longestStallMs, summaries[l].engineTiming.longestStallMs)
                #expect(
                    median > 20 && median <= bound + stall,
                    "\(Self.names[t])→\(Self.names[l]): median \(median) ms, bound \(bound) ms + a \(stall) ms stall")
                print("live \(Self.names[t])→\(Self.names[l]): \(windows.count) windows, median latency \(String(format: "%.1f", median)) ms (bound \(String(format: "%.1f", bound)) ms)")
            }
        }
    }

    /// The talker's source as the listener's output timeline sees it: source sample n was
    /// spoken at talkerFirstTick − P + n/48k (the first pull of the input, P = 10 ms with
    /// 20 ms frames, ends at the first tick); output sample m was played at
    /// listenerFirstTick + m/48k. Shifting by the difference makes the cross-correlation lag
    /// the mouth-to-ear latency itself.
    static func align(_ source: [Float], talkerFirstTick: Int64, listenerFirstTick: Int64) -> [Float] {
        let pullNanoseconds = Int64(Participant.pullSamples(frameSamples: 960)) * 1_000_000_000 / 48_000
        let offset = Int((Double(talkerFirstTick - pullNanoseconds - listenerFirstTick) * 48_000 / 1e9).rounded())
        if offset >= 0 { return [Float](repeating: 0, count: offset) + source }
        return Array(source.dropFirst(-offset))
    }

    /// What the simulator predicts for the same three clients on a lossless 0.1 ms link (the
    /// same codec, jitter buffer and room protocol): the worst stream's p95 mouth-to-ear latency,
    /// plus one frame — a live engine hands a datagram to the jitter buffer at its next tick
    /// rather than at arrival, which the simulator does not model.
    static func simulatedLatencyBound() throws -> Double {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-live-sim-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let participants = (0..<3).map {
            "{\"name\": \"\(names[$0])\", \"wav\": \"\(fixtures.appendingPathComponent(sources[$0]).path)\"}"
        }.joined(separator: ", ")
        let file = dir.appendingPathComponent("live.scenario.json")
        try Data("""
            {"name": "live-prediction", "duration_seconds": 9, "room": {"id": "itest"},
             "network": {"links": {"delay_ms": 0.1}}, "participants": [\(participants)]}
            """.utf8).write(to: file)
        let report = try BenchRun.execute(try ScenarioLoader.load(path: file.path)).report
        return report.streams.compactMap(\.latencyMs?.p95).max()! + 20
    }

    static func sendGarbage(count: Int, to host: String, port: UInt16) throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        var rng = SystemRandomNumberGenerator()
        for n in 0..<count {
            var bytes = (0..<(n % 300)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n % 3 == 0, bytes.count > 4 { bytes[0] = 1; bytes[1] = UInt8(1 + n % 4); bytes[2] = 0x80 }  // Concord-like headers
            _ = withUnsafePointer(to: &address) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
    }
}
