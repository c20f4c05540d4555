import AudioFiles
import Concord
import ConcordBench
import ConcordLive
import ConcordTesting
import Foundation
import Logging
import NIOPosix
import Testing

/// Two live clients in one process, in real time, with WAV devices: the same test over the
/// in-memory double and over real UDP sockets on loopback (as hummingbird runs its tests
/// against both a test client and a live server).
@Suite struct LiveRoomTests {
    enum Network: String, CaseIterable, Sendable, CustomStringConvertible {
        case inMemory, udp
        var description: String { rawValue }
    }

    /// A 1 s tone burst every 2 s (so DTX-free voice alternates with quiet), at 300 or 500 Hz.
    static func talk(_ frequency: Double, seconds: Double) -> [Float] {
        (0..<Int(seconds * 48_000)).map { n in
            let t = Double(n) / 48_000
            return t.truncatingRemainder(dividingBy: 2) < 1 ? Float(0.3 * sin(2 * Double.pi * frequency * t)) : 0
        }
    }

    @Test(arguments: Network.allCases)
    func twoClientsMeetTalkAndText(over network: Network) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-liveroom-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = RoomSecret.generate()
        let names = ["ana", "ben"]
        let port = UInt16(40_000 + Int.random(in: 0..<20_000))
        let addresses = [RoomAddress.ipv4(0x7F00_0006, port: port), .ipv4(0x7F00_0007, port: port)]
        let memory = InMemoryDatagramNetwork(clock: MonotonicClock.now)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var rooms: [LiveRoom] = []
        for i in 0..<2 {
            var udp = UDPTransport.Configuration(bindHost: i == 0 ? "127.0.0.6" : "127.0.0.7", port: port)
            udp.discoveryPeers = [addresses[1 - i]]
            var configuration = LiveRoom.Configuration(
                roomID: "pair", clientID: names[i], secret: secret, identity: .generate(), network: udp)
            configuration.streamLogDirectory = dir.appendingPathComponent("\(names[i]).log").path
            let input = WAVFileInput(samples: Self.talk(i == 0 ? 300 : 500, seconds: 6), frameSamples: Participant.pullSamples(frameSamples: 960))
            let output = WAVFileOutput(path: dir.appendingPathComponent("\(names[i]).wav").path)
            let logger = Logger(label: "test.\(names[i])")
            switch network {
            case .inMemory:
                rooms.append(
                    try await LiveRoom.start(configuration, input: input, output: output, logger: logger) { handler in
                        memory.bind(addresses[i], handler: handler)
                    })
            case .udp:
                rooms.append(try await LiveRoom.start(configuration, input: input, output: output, group: group, logger: logger))
            }
        }
        // Once both are members of one room, ana says hello.
        let deadline = ContinuousClock.now + .seconds(4)
        while ContinuousClock.now < deadline, !rooms.allSatisfy({ $0.snapshot.members.count == 1 }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        rooms[0].submit(.say("hello ben"))
        try await Task.sleep(for: .seconds(3))
        for room in rooms { room.requestLeave() }
        for room in rooms { await room.waitUntilFinished() }
        try await group.shutdownGracefully()

        let summaries = rooms.map(\.summary)
        for (i, s) in summaries.enumerated() {
            #expect(s.left)
            #expect(s.viewChanges.contains { $0.view == names }, "\(names[i]) saw both: \(s.viewChanges)")
            #expect(s.security.dropped == 0 && s.security.opened > 100, "\(names[i]): \(s.security)")
            #expect(s.peers.first?.fingerprint == summaries[1 - i].fingerprint, "the handshake proved the peer's identity")
        }
        #expect(summaries[1].messages.map(\.from) == ["ana"] && summaries[1].messages.map(\.text) == ["hello ben"])
        // The stream logs: what ana sent to ben, ben received and played, on one clock.
        let logs = try names.map { try StreamLogFolder(directory: dir.appendingPathComponent("\($0).log").path) }
        #expect(logs.allSatisfy { $0.malformedLines == 0 })
        let sent = logs[0].sent.filter { $0.peer == "ben" }
        // Frames played from a packet (a concealed frame carries the timestamp of the frame it
        // stands for, which may not have been sent yet when the buffer ran dry).
        let played = logs[1].playout.filter {
            $0.peer == "ana" && $0.timestamp != nil && [.decoded, .recoveredFEC, .recoveredRedundancy].contains($0.outcome)
        }
        #expect(sent.count > 100 && played.count > 100, "\(sent.count) sent, \(played.count) played")
        let arrivals = logs[1].arrivals.filter { $0.peer == "ana" }
        #expect(arrivals.count >= sent.count - 5, "\(arrivals.count) arrivals of \(sent.count) sent")
        let sentAt = Dictionary(sent.map { ($0.timestamp, $0.nanoseconds) }, uniquingKeysWith: { a, _ in a })
        let waits = played.compactMap { r in r.timestamp.flatMap { sentAt[$0] }.map { Double(r.nanoseconds - $0) / 1e6 } }
        // room.csv: the first tick, the microphone's first sample (before the first frame sent,
        // as ana was alone at first), each view, the control traffic.
        for (i, log) in logs.enumerated() {
            // Stalls of the engine, if the machine made any, in the log and the summary alike.
            #expect(summaries[i].engineTiming.ticks > 100)
            #expect(log.longestStallMilliseconds <= summaries[i].engineTiming.longestStallMs + 0.001, "\(log.stalls)")
            let tick = try #require(log.firstTickNanoseconds, "\(names[i])")
            let whole = log.views.first { $0.members == names }
            #expect((whole?.nanoseconds ?? 0) > tick, "\(names[i]): \(log.views)")
            #expect(log.controlBytesSent > 0)
        }
        let first = try #require(logs[0].firstSampleTimestamp)
        let offsets: [UInt32] = sent.map { $0.timestamp &- first }
        #expect(offsets.allSatisfy { $0 < 48_000 * 60 && $0 % 960 == 0 })
        #expect(sent.first.map { $0.timestamp != first } == true, "frames were encoded before ben was there to hear them")
        // Never played before it was sent (how much later depends on the machine's load: a
        // median of 9–16 ms alone, 160 ms beside the flood test).
        #expect(waits.count > 100 && waits.allSatisfy { $0 > 0 }, "sent-to-played \(waits.min() ?? 0)…\(waits.max() ?? 0) ms")
        // What ben played of ana alone, on ben's output timeline, and ben's counters for ana.
        let track = try WAVReader.readMono48k(path: dir.appendingPathComponent("ben.log/track-ana.wav").path)
        let mix = try WAVReader.readMono48k(path: dir.appendingPathComponent("ben.wav").path)
        #expect(abs(track.count - mix.count) <= 960, "track \(track.count) samples, output \(mix.count)")
        #expect(track.reduce(0) { $0 + Double($1 * $1) } / Double(max(1, track.count)) > 0.001, "ana's tone is in ben's track")
        let received = logs[1].statistics(of: "ana")?.packetsReceived ?? 0
        // Every packet the buffer took arrived; a few arrivals came before ben had a receiver for ana.
        #expect(received > 100 && received <= arrivals.count, "\(received) packets in the buffer, \(arrivals.count) arrivals")
        // Each output holds the other's tone: energy well above silence in its WAV.
        for i in 0..<2 {
            let heard = try WAVReader.readMono48k(path: dir.appendingPathComponent("\(names[i]).wav").path)
            let energy = heard.reduce(0) { $0 + Double($1 * $1) } / Double(max(1, heard.count))
            #expect(energy > 0.001, "\(names[i]) heard \(energy)")
        }
    }

    @Test func aStreamLogThatCannotBeCreatedIsRefusedBeforeJoining() async throws {
        let memory = InMemoryDatagramNetwork(clock: MonotonicClock.now)
        var configuration = LiveRoom.Configuration(
            roomID: "pair", clientID: "ana", secret: .generate(), identity: .generate(),
            network: UDPTransport.Configuration(bindHost: "127.0.0.6", port: 7400))
        configuration.streamLogDirectory = "/dev/null/log"
        do {
            _ = try await LiveRoom.start(
                configuration, input: WAVFileInput(samples: [], frameSamples: Participant.pullSamples(frameSamples: 960)),
                output: WAVFileOutput(path: "/dev/null"), logger: Logger(label: "test")
            ) { handler in memory.bind(.ipv4(0x7F00_0006, port: 7400), handler: handler) }
            Issue.record("started with an unwritable stream log")
        } catch {
            #expect("\(error)".contains("Cannot write --stream-log /dev/null/log: Not a directory"), "\(error)")
        }
    }
}
