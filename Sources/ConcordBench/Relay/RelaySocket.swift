#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRelayIO

/// A non-blocking IPv4 UDP socket of the relay, bound to one loopback address.
///
/// Plain `sendto`/`recvfrom` rather than SwiftNIO: the relay's one thread sleeps in `ppoll`
/// until the next datagram is due, and an event loop between it and the socket would only add
/// scheduling error.
final class RelaySocket: Sendable {
    let descriptor: Int32
    let address: RelayLayout.Address

    /// Bytes the kernel may queue for the relay per socket: a second of eight 64 kbit/s talkers
    /// with room to spare, so a busy moment of the relay's thread loses nothing on the way in.
    static let receiveBufferBytes: Int32 = 1 << 20

    init(binding address: RelayLayout.Address) throws(RelayError) {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_DGRAM, 0)
        #endif
        guard fd >= 0 else { throw .socket(address: "\(address)", operation: "open a socket for", reason: Self.lastError()) }
        var size = Self.receiveBufferBytes
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        // The kernel's arrival stamp is when the datagram entered the path, however late the
        // relay's thread reads it.
        _ = concord_enable_receive_timestamps(fd)
        var sa = Self.socketAddress(address)
        let bound = withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let reason = Self.lastError()
            close(fd)
            throw .socket(address: "\(address)", operation: "bind", reason: reason)
        }
        descriptor = fd
        self.address = address
    }

    deinit { close(descriptor) }

    /// Sends `payload` to `destination`; `false` if the kernel refused it (e.g. a full buffer).
    func send(_ payload: [UInt8], to destination: RelayLayout.Address) -> Bool {
        var sa = Self.socketAddress(destination)
        let sent = payload.withUnsafeBytes { bytes in
            withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(descriptor, bytes.baseAddress, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        }
        return sent == payload.count
    }

    /// The next queued datagram, its sender, and when it arrived (the kernel's stamp on the
    /// monotonic clock, or the time it was read where the kernel gave none); `nil` when none is
    /// waiting.
    func receive(into buffer: UnsafeMutableRawBufferPointer) -> (bytes: Int, from: RelayLayout.Address, arrival: Int64)? {
        var sa = sockaddr_in()
        var stamp: Int64 = -1
        let n = concord_receive(descriptor, buffer.baseAddress, UInt(buffer.count), &sa, &stamp)
        guard n >= 0 else { return nil }
        let from = RelayLayout.Address(host: UInt32(bigEndian: sa.sin_addr.s_addr), port: UInt16(bigEndian: sa.sin_port))
        let now = Self.monotonicNanoseconds()
        // CLOCK_REALTIME to CLOCK_MONOTONIC: the two clocks read back to back give the offset
        // (a stamp can only be in the past; one that is not, after a step of the wall clock, is now).
        let arrival = stamp >= 0 ? min(now, stamp - (Self.realtimeNanoseconds() - now)) : now
        return (n, from, arrival)
    }

    static func monotonicNanoseconds() -> Int64 { nanoseconds(CLOCK_MONOTONIC) }
    static func realtimeNanoseconds() -> Int64 { nanoseconds(CLOCK_REALTIME) }

    private static func nanoseconds(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func socketAddress(_ address: RelayLayout.Address) -> sockaddr_in {
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = address.port.bigEndian
        sa.sin_addr.s_addr = address.host.bigEndian
        return sa
    }

    static func lastError() -> String { String(cString: strerror(errno)) }
}
