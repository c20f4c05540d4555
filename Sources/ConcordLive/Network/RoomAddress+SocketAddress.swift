#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import NIOCore

// Conversions between the engine's `RoomAddress` and socket addresses: NIO's `SocketAddress` (what a
// datagram channel reports as a sender) and the raw `sockaddr_in`/`sockaddr_in6` that `sendto`
// takes. Neither direction allocates for IPv4; an IPv6 `RoomAddress` holds its 16 bytes in an array,
// so making one allocates that array.

extension RoomAddress {
    /// The address and port of an IPv4 or IPv6 socket address; `nil` for a Unix-domain address.
    ///
    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, which is how a dual-stack socket bound to
    /// `::` reports an IPv4 sender) becomes `.ipv4`, so a peer has one `RoomAddress` whichever
    /// socket family heard it.
    public init?(_ socketAddress: SocketAddress) {
        switch socketAddress {
        case .v4(let v4):
            self = RoomAddress(v4.address)
        case .v6(let v6):
            self = RoomAddress(v6.address)
        case .unixDomainSocket:
            return nil
        }
    }

    init(_ address: sockaddr_in) {
        self = .ipv4(UInt32(bigEndian: address.sin_addr.s_addr), port: UInt16(bigEndian: address.sin_port))
    }

    init(_ address: sockaddr_in6) {
        let port = UInt16(bigEndian: address.sin6_port)
        var raw = address.sin6_addr
        let mapped: UInt32? = withUnsafeBytes(of: &raw) { bytes in
            guard bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
            return UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
        }
        if let mapped {
            self = .ipv4(mapped, port: port)
        } else {
            self.init(host: .ipv6(withUnsafeBytes(of: &raw) { Array($0) }), port: port)
        }
    }

    /// `0.0.0.0` or `::`: "every interface" when bound, never a peer.
    var isUnspecified: Bool {
        switch host {
        case .ipv4(let v): return v == 0
        case .ipv6(let b): return b.allSatisfy { $0 == 0 }
        }
    }

    /// `127.0.0.0/8` or `::1`.
    var isLoopback: Bool {
        switch host {
        case .ipv4(let v): return v >> 24 == 127
        case .ipv6(let b): return b.count == 16 && b.prefix(15).allSatisfy { $0 == 0 } && b[15] == 1
        }
    }

    /// The 16 bytes of an IPv6 host, padded or cut to exactly 16 (as the wire form does) when a
    /// caller built the case with the wrong count.
    fileprivate static func sixteen(_ bytes: [UInt8]) -> [UInt8] {
        bytes.count == 16 ? bytes : Array((bytes + [UInt8](repeating: 0, count: 16)).prefix(16))
    }

    /// The IPv4 value of `::ffff:a.b.c.d`; `nil` for any other IPv6 address.
    fileprivate static func unmapped(_ bytes: [UInt8]) -> UInt32? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else {
            return nil
        }
        return UInt32(bytes[12]) << 24 | UInt32(bytes[13]) << 16 | UInt32(bytes[14]) << 8 | UInt32(bytes[15])
    }
}

extension SocketAddress {
    /// The same address and port: `.v4` for an IPv4 `RoomAddress`, `.v6` for an IPv6 one
    /// (IPv4-mapped IPv6 stays IPv6 here; `RoomAddress(_:)` is the direction that normalises).
    public init(_ address: RoomAddress) {
        switch address.host {
        case .ipv4(let v):
            self.init(makeSockaddrIn(v, port: address.port))
        case .ipv6(let bytes):
            self.init(makeSockaddrIn6(RoomAddress.sixteen(bytes), port: address.port))
        }
    }
}

func makeSockaddrIn(_ host: UInt32, port: UInt16) -> sockaddr_in {
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    sin.sin_addr.s_addr = host.bigEndian
    return sin
}

/// `bytes` must hold 16 bytes.
func makeSockaddrIn6(_ bytes: [UInt8], port: UInt16) -> sockaddr_in6 {
    var sin6 = sockaddr_in6()
    sin6.sin6_family = sa_family_t(AF_INET6)
    sin6.sin6_port = port.bigEndian
    withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
        for i in 0..<16 { raw[i] = bytes[i] }
    }
    return sin6
}

func makeMappedSockaddrIn6(_ host: UInt32, port: UInt16) -> sockaddr_in6 {
    var sin6 = sockaddr_in6()
    sin6.sin6_family = sa_family_t(AF_INET6)
    sin6.sin6_port = port.bigEndian
    withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
        raw[10] = 0xFF
        raw[11] = 0xFF
        raw[12] = UInt8(host >> 24)
        raw[13] = UInt8(host >> 16 & 0xFF)
        raw[14] = UInt8(host >> 8 & 0xFF)
        raw[15] = UInt8(host & 0xFF)
    }
    return sin6
}

/// Calls `body` with `address` as a `sockaddr` a socket of `family` (`AF_INET` or `AF_INET6`) can
/// send to, built on the stack: an IPv4 address on an IPv6 socket becomes IPv4-mapped
/// (`::ffff:a.b.c.d`, which a dual-stack socket sends as IPv4), an IPv4-mapped IPv6 address on an
/// IPv4 socket becomes plain IPv4. Returns `nil` without calling `body` when an IPv4 socket is asked
/// to reach a genuine IPv6 address.
func withSockaddr<R>(
    _ address: RoomAddress, socketFamily: CInt, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R
) -> R? {
    func call<S>(_ value: S) -> R {
        withUnsafePointer(to: value) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<S>.size)) }
        }
    }
    switch (address.host, socketFamily) {
    case (.ipv4(let v), AF_INET):
        return call(makeSockaddrIn(v, port: address.port))
    case (.ipv4(let v), _):
        return call(makeMappedSockaddrIn6(v, port: address.port))
    case (.ipv6(let bytes), AF_INET):
        guard let v = RoomAddress.unmapped(bytes) else { return nil }
        return call(makeSockaddrIn(v, port: address.port))
    case (.ipv6(let bytes), _):
        return call(makeSockaddrIn6(RoomAddress.sixteen(bytes), port: address.port))
    }
}
