#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import IPAddress

/// The addresses a ZeroTier network assigns, derived the way ZeroTier One derives them
/// (`InetAddress::makeIpv6rfc4193` and `makeIpv66plane` in `node/InetAddress.cpp`), so that the
/// fake hands out what a real member of that network would get.
public enum FakeZeroTierAddresses {
    /// RFC 4193 mode: `fd` + the 64-bit network id + `9993` + the 40-bit node address, prefix /88.
    public static func rfc4193(network: UInt64, node: UInt64) -> String {
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0xFD
        for i in 0..<8 { bytes[1 + i] = UInt8(truncatingIfNeeded: network >> (56 - 8 * UInt64(i))) }
        bytes[9] = 0x99
        bytes[10] = 0x93
        for i in 0..<5 { bytes[11 + i] = UInt8(truncatingIfNeeded: node >> (32 - 8 * UInt64(i))) }
        return ipv6Text(bytes) + "/88"
    }

    /// 6PLANE mode: `fc` + the network id folded to 32 bits + the node address, `…::1`, prefix /40.
    public static func sixPlane(network: UInt64, node: UInt64) -> String {
        let folded = network ^ (network >> 32)
        var bytes = [UInt8](repeating: 0, count: 16)
        bytes[0] = 0xFC
        for i in 0..<4 { bytes[1 + i] = UInt8(truncatingIfNeeded: folded >> (24 - 8 * UInt64(i))) }
        for i in 0..<5 { bytes[5 + i] = UInt8(truncatingIfNeeded: node >> (32 - 8 * UInt64(i))) }
        bytes[15] = 0x01
        return ipv6Text(bytes) + "/40"
    }

    /// What a network with both IPv6 modes and IPv4 auto-assign gives a member, in the order the
    /// real service lists them (seen on 1.14.1): rfc4193 /88, 6plane /40, then the IPv4 one.
    public static func assigned(network: UInt64, node: UInt64, ipv4: String) -> [String] {
        [rfc4193(network: network, node: node), sixPlane(network: network, node: node), ipv4]
    }

    /// `"10.147.17.5/24"` → `"10.147.17.0/24"`; `nil` unless it is IPv4 `a.b.c.d/bits`.
    public static func ipv4NetworkPart(_ cidr: String) -> String? {
        guard let (address, bits) = parseIPv4CIDR(cidr) else { return nil }
        let network = IPv4Address(rawValue: address.rawValue & IPv4Address.netmask(prefixLength: bits))
        return "\(network)/\(bits)"
    }

    /// `"10.77.0.2/24"` → (10.77.0.2, 24); `nil` for anything else (bits must be 1...32).
    public static func parseIPv4CIDR(_ cidr: String) -> (address: IPv4Address, bits: Int)? {
        let parts = cidr.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let bits = Int(parts[1]), (1...32).contains(bits),
            let address = IPv4Address(String(parts[0]))
        else { return nil }
        return (address, bits)
    }

    /// `inet_ntop` text, which is how the service prints IPv6 addresses (`fc9f:…::1`).
    static func ipv6Text(_ bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
