#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import NIOCore
import PacketCapture
import Synchronization

/// What crossed one UDP socket, recorded into a capture file with the wall clock's time and the
/// addresses the datagrams really had on the wire.
///
/// A socket bound to a wildcard (`0.0.0.0`, `::`) does not know its own address: a received
/// datagram's destination comes from the kernel (`IP_PKTINFO`, NIO's `receivePacketInfo`), a
/// sent one's source is the address the kernel's routing picks for its destination (asked once
/// per destination with a connected throwaway socket, as `ip route get` would).
final class SocketCapture: Sendable {
    let file: PacketCaptureFile
    private let localAddress: RoomAddress
    private let broadcastHost: RoomAddress.Host?
    private let sourceHosts = Mutex<[RoomAddress.Host: RoomAddress.Host]>([:])

    init(file: PacketCaptureFile, localAddress: RoomAddress, broadcastHost: RoomAddress.Host?) {
        self.file = file
        self.localAddress = localAddress
        self.broadcastHost = broadcastHost
    }

    /// `bytes` left the socket for `destination` just now.
    func sent(_ bytes: [UInt8], to destination: RoomAddress) {
        let source = RoomAddress(host: sourceHost(toward: destination), port: localAddress.port)
        file.record(bytes, from: source, to: destination, direction: .sent, interface: 0, nanosecondsSinceEpoch: Self.now())
    }

    /// `bytes` from `source` were read just now; `packetInfo` names the address they were sent to.
    func received(_ bytes: [UInt8], from source: RoomAddress, packetInfo: NIOPacketInfo?) {
        var destination = localAddress
        if let info = packetInfo, let host = RoomAddress(info.destinationAddress)?.host { destination.host = host }
        let broadcast = destination.host == broadcastHost || destination.host == .ipv4(.max)
        file.record(
            bytes, from: source, to: destination, direction: broadcast ? .receivedBroadcast : .received, interface: 0,
            nanosecondsSinceEpoch: Self.now())
    }

    private func sourceHost(toward destination: RoomAddress) -> RoomAddress.Host {
        guard localAddress.isUnspecified else { return localAddress.host }
        if let known = sourceHosts.withLock({ $0[destination.host] }) { return known }
        let found = Self.routeSource(toward: destination) ?? localAddress.host
        sourceHosts.withLock { $0[destination.host] = found }
        return found
    }

    /// The local address a datagram to `destination` leaves from, or nil if there is no route.
    private static func routeSource(toward destination: RoomAddress) -> RoomAddress.Host? {
        let family: CInt
        if case .ipv4 = destination.host { family = AF_INET } else { family = AF_INET6 }
        #if canImport(Glibc)
        let probe = socket(family, CInt(SOCK_DGRAM.rawValue), 0)
        #else
        let probe = socket(family, SOCK_DGRAM, 0)
        #endif
        guard probe >= 0 else { return nil }
        defer { _ = close(probe) }
        var on: CInt = 1
        _ = setsockopt(probe, SOL_SOCKET, SO_BROADCAST, &on, socklen_t(MemoryLayout<CInt>.size))
        let connected = withSockaddr(destination, socketFamily: family) { connect(probe, $0, $1) } ?? -1
        guard connected == 0 else { return nil }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(probe, $0, &length) }
        }
        guard named == 0 else { return nil }
        switch CInt(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { RoomAddress($0.pointee).host } }
        case AF_INET6:
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { RoomAddress($0.pointee).host } }
        default:
            return nil
        }
    }

    /// The wall clock (`CLOCK_REALTIME`) in nanoseconds since the Unix epoch.
    static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }
}
