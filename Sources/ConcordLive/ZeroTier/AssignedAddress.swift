#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// `AssignedAddress` hands out the package's one IPv4 type; its users need not import its target.
@_exported import IPAddress

/// An IPv6 address as a value: its 16 bytes in network order.
public struct IPv6Address: Hashable, Sendable, CustomStringConvertible {
    public let bytes: [UInt8]

    /// `bytes` must hold exactly 16 bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// RFC 4291 text, as `inet_pton` accepts it; `nil` for anything else.
    public init?(_ text: String) {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &address) { Array($0) }
        self.init(bytes: bytes)
    }

    /// The canonical compressed text (`fd80:56c2:e21c::1`), as `inet_ntop` writes it.
    public var description: String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else {
            return bytes.map { String($0, radix: 16) }.joined(separator: ":")
        }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// One entry of a network's `assignedAddresses`: an address and its prefix length, which the
/// service writes as `"ip/bits"` (`"10.147.17.5/24"`, `"fd80:56c2:e21c:0:199:9393:4a83:f7a5/88"`).
///
/// A network usually assigns one IPv4 address and, with 6PLANE or RFC 4193 mode, IPv6 ones
/// too; Concord's rooms run over the IPv4 one (``ZeroTierNetwork/ipv4Address``).
public struct AssignedAddress: Hashable, Sendable, CustomStringConvertible {
    public enum IP: Hashable, Sendable {
        case v4(IPv4Address)
        case v6(IPv6Address)
    }

    public let ip: IP
    /// Network prefix length in bits: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int

    public init(ip: IP, prefixLength: Int) {
        self.ip = ip
        self.prefixLength = prefixLength
    }

    /// Parses `"ip/bits"`; `nil` unless the address is valid IPv4 or IPv6 and `bits` fits it.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), bits >= 0 else { return nil }
        let host = String(parts[0])
        if let v4 = IPv4Address(host), bits <= 32 {
            self.init(ip: .v4(v4), prefixLength: bits)
        } else if let v6 = IPv6Address(host), bits <= 128 {
            self.init(ip: .v6(v6), prefixLength: bits)
        } else {
            return nil
        }
    }

    /// The IPv4 address, if this is one.
    public var ipv4: IPv4Address? {
        if case .v4(let address) = ip { return address }
        return nil
    }

    /// The IPv6 address, if this is one.
    public var ipv6: IPv6Address? {
        if case .v6(let address) = ip { return address }
        return nil
    }

    /// The service's own `"ip/bits"` form.
    public var description: String {
        switch ip {
        case .v4(let address): "\(address)/\(prefixLength)"
        case .v6(let address): "\(address)/\(prefixLength)"
        }
    }
}
