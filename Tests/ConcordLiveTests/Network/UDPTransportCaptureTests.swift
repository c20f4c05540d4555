import Concord
import ConcordLive
import ConcordTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOPosix
import PacketCapture
import Testing

/// A socket bound to the wildcard address does not know its own address; its capture must still
/// show the addresses on the wire: a received datagram's destination (from the kernel) and a sent
/// one's source (what the receiving socket sees as the sender).
@Suite struct UDPTransportCaptureTests {
    final class Received: Sendable {
        let box = NIOLockedValueBox<[RoomAddress]>([])
        func wait(for count: Int) async throws -> [RoomAddress] {
            let deadline = ContinuousClock.now + .seconds(2)
            while box.withLockedValue({ $0.count }) < count, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            return box.withLockedValue { $0 }
        }
    }

    @Test func aWildcardBoundSocketCapturesTheRealAddresses() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-udp-\(UUID().uuidString).pcap").path
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        let logger = Logger(label: "UDPTransportCaptureTests")
        let heardByWildcard = Received()
        let wildcard = try await UDPTransport.bind(
            .init(bindHost: "0.0.0.0", port: 0), group: group, logger: logger, capture: file
        ) { _, from, _ in heardByWildcard.box.withLockedValue { $0.append(from) } }
        let heardByPeer = Received()
        let peer = try await UDPTransport.bind(.init(bindHost: "127.0.0.73", port: 0), group: group, logger: logger) {
            _, from, _ in heardByPeer.box.withLockedValue { $0.append(from) }
        }

        // To 127.0.0.74, one of the wildcard socket's loopback addresses; and back to the peer.
        peer.send([1, 2, 3], to: .ipv4(0x7F00_004A, port: wildcard.localAddress.port))
        _ = try await heardByWildcard.wait(for: 1)
        wildcard.send([4, 5, 6, 7], to: peer.localAddress)
        let seenByPeer = try #require(try await heardByPeer.wait(for: 1).first)
        await wildcard.close()
        await peer.close()
        try await group.shutdownGracefully()
        try file.close()

        let capture = try CaptureFileReader(path: path)
        try #require(capture.datagrams.count == 2)
        let (received, sent) = (capture.datagrams[0], capture.datagrams[1])
        #expect(received.packetType == 0 && sent.packetType == 4)
        #expect(received.source == peer.localAddress)
        #expect(received.destination == .ipv4(0x7F00_004A, port: wildcard.localAddress.port))
        #expect(received.payload == [1, 2, 3])
        #expect(sent.source == seenByPeer, "the source the kernel put on the wire")
        #expect(sent.destination == peer.localAddress)
        #expect(sent.payload == [4, 5, 6, 7])
    }
}
