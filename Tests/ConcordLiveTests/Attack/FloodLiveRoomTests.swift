import AudioFiles
import Concord
import ConcordLive
import Foundation
import Logging
import NIOPosix
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Issue 12, item 1, on loopback with real UDP sockets: two live clients talk while a third
/// socket floods one of them with forged handshake initiations (the public room tag, fresh
/// random salts, random bodies) — the attack that took 72 % of a victim's CPU at 20 000/s and
/// collapsed its audio at 40 000/s. Work is counted, not timed: the victim derives no key and
/// does no handshake work for the flood, answers it with nothing, and still hears its peer.
/// (Real time: the suite name matches the `LiveRoomTests` filter, so scripts/test runs it
/// apart from the rest of the suite.)
@Suite struct FloodLiveRoomTests {
    static func talk(_ frequency: Double, seconds: Double) -> [Float] {
        (0..<Int(seconds * 48_000)).map { n in Float(0.3 * sin(2 * Double.pi * frequency * Double(n) / 48_000)) }
    }

    /// Sends `count` forged initiations to host:port from a socket bound to `from`, spread over
    /// `seconds`; returns the bytes that came back to that socket (must be none).
    static func flood(count: Int, seconds: Double, roomTag: UInt16, to host: String, port: UInt16, from: String) throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, from, &local.sin_addr)
        _ = withUnsafePointer(to: &local) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, host, &address.sin_addr)
        var rng = SystemRandomNumberGenerator()
        let start = ContinuousClock.now
        let batch = 100
        var echoed = 0
        var buffer = [UInt8](repeating: 0, count: 2048)
        for n in stride(from: 0, to: count, by: batch) {
            for _ in 0..<min(batch, count - n) {
                // header, salt, key id (room tag, generation 0), then random counter, body, tag
                // and mac up to the minimum bootstrap datagram (294 B).
                var bytes: [UInt8] = [1, 4, 0x80, 2] + (0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes += [UInt8(roomTag >> 8), UInt8(roomTag & 0xFF), 0, 0]
                bytes += (0..<(294 - bytes.count)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                _ = withUnsafePointer(to: &address) { p in
                    p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
            }
            // Keep the pace: batch k leaves at k × batch / rate seconds.
            let due = start + .seconds(seconds * Double(n + batch) / Double(count))
            while ContinuousClock.now < due {
                let got = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if got > 0 { echoed += got } else { usleep(200) }
            }
        }
        let end = ContinuousClock.now + .milliseconds(500)
        while ContinuousClock.now < end {
            let got = recv(fd, &buffer, buffer.count, 0)
            if got > 0 { echoed += got }
        }
        return echoed
    }

    @Test func aFloodOfForgedInitiationsCostsTheVictimNoHandshakeWork() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let secret = RoomSecret.generate()
        let names = ["ana", "ben"]
        let port = UInt16(40_000 + Int.random(in: 0..<20_000))
        let hosts = ["127.0.0.16", "127.0.0.17"]
        let addresses = [RoomAddress.ipv4(0x7F00_0010, port: port), .ipv4(0x7F00_0011, port: port)]
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var rooms: [LiveRoom] = []
        for i in 0..<2 {
            var udp = UDPTransport.Configuration(bindHost: hosts[i], port: port)
            udp.discoveryPeers = [addresses[1 - i]]
            let configuration = LiveRoom.Configuration(
                roomID: "flood", clientID: names[i], secret: secret, identity: .generate(), network: udp)
            let input = WAVFileInput(samples: Self.talk(i == 0 ? 300 : 500, seconds: 8), frameSamples: Participant.pullSamples(frameSamples: 960))
            let output = WAVFileOutput(path: dir.appendingPathComponent("\(names[i]).wav").path)
            rooms.append(
                try await LiveRoom.start(configuration, input: input, output: output, group: group, logger: Logger(label: "test.\(names[i])")))
        }
        let deadline = ContinuousClock.now + .seconds(4)
        while ContinuousClock.now < deadline, !rooms.allSatisfy({ $0.snapshot.members.count == 1 }) {
            try await Task.sleep(for: .milliseconds(50))
        }
        let before = rooms[1].summary.securityStatistics
        // 20 000 forged initiations in 2 s (10 000/s: the debug build's share of the issue's
        // 20 000–40 000/s on a shared machine), from a third loopback address.
        let tag = RoomKey(secret: secret, roomID: "flood").roomTag
        let sent = 20_000
        let echoed = try await Task.detached {
            try Self.flood(count: sent, seconds: 2, roomTag: tag, to: hosts[1], port: port, from: "127.0.0.18")
        }.value
        try await Task.sleep(for: .seconds(1))
        for room in rooms { room.requestLeave() }
        for room in rooms { await room.waitUntilFinished() }
        try await group.shutdownGracefully()

        let victim = rooms[1].summary
        #expect(echoed == 0, "nothing is sent back to the flooding address")
        // Every forged initiation that reached the engine was dropped as forged (the rest, if
        // any, by the kernel or the inbox), and none of them derived a key or did handshake work.
        #expect(victim.security.forged + victim.inboxOverflowDrops >= sent / 2, "\(victim.security), inbox drops \(victim.inboxOverflowDrops)")
        #expect(victim.securityStatistics.bootstrapKeysDerived - before.bootstrapKeysDerived <= 1)
        #expect(victim.securityStatistics.handshakeWork - before.handshakeWork <= 2, "\(victim.securityStatistics)")
        #expect(victim.security.opened > 100 && victim.security.throttled == 0)
        for i in 0..<2 {
            #expect(rooms[i].summary.viewChanges.contains { $0.view == names })
            let heard = try WAVReader.readMono48k(path: dir.appendingPathComponent("\(names[i]).wav").path)
            let energy = heard.reduce(0) { $0 + Double($1 * $1) } / Double(max(1, heard.count))
            #expect(energy > 0.001, "\(names[i]) heard \(energy)")
        }
    }
}
