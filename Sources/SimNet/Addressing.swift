/// An IPv4-style address. `"10.0.0.1"` literals work; so does `IPv4Address(10, 0, 0, 1)`.
public struct IPv4Address: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The address in host byte order (10.0.0.1 is 0x0A00_0001).
    public var rawValue: UInt32

    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public init(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) {
        rawValue = UInt32(a) << 24 | UInt32(b) << 16 | UInt32(c) << 8 | UInt32(d)
    }

    /// Parses dotted-quad text; `nil` if it is not four decimal octets 0...255.
    public init?(_ text: String) {
        var value: UInt32 = 0
        var octets = 0
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
            octets += 1
        }
        guard octets == 4 else { return nil }
        rawValue = value
    }

    /// A literal must be a valid address (a typo traps at run time, like any bad literal).
    public init(stringLiteral text: String) {
        guard let address = IPv4Address(text) else { preconditionFailure("not an IPv4 address: \(text)") }
        self = address
    }

    /// 255.255.255.255: the limited broadcast, delivered to the sender's own subnet.
    public static let broadcast = IPv4Address(rawValue: .max)

    /// 224.0.0.0/4.
    public var isMulticast: Bool { rawValue >> 28 == 0xE }

    /// The netmask of a prefix length 0...32.
    public static func netmask(prefixLength: Int) -> UInt32 {
        precondition((0...32).contains(prefixLength), "prefix length must be 0...32")
        return prefixLength == 0 ? 0 : UInt32.max << UInt32(32 - prefixLength)
    }

    public static func < (a: IPv4Address, b: IPv4Address) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        "\(rawValue >> 24).\(rawValue >> 16 & 0xFF).\(rawValue >> 8 & 0xFF).\(rawValue & 0xFF)"
    }
}

/// An (address, UDP port) pair.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16
    public init(_ address: IPv4Address, _ port: UInt16) { self.address = address; self.port = port }
    public init(address: IPv4Address, port: UInt16) { self.address = address; self.port = port }
    public var description: String { "\(address):\(port)" }
}

/// A UDP datagram as the receiver sees it. For broadcast and multicast, `destination` is the
/// broadcast or group address it was sent to.
public struct Datagram: Sendable, Equatable {
    public var source: Endpoint
    public var destination: Endpoint
    public var payload: [UInt8]
    public init(source: Endpoint, destination: Endpoint, payload: [UInt8]) {
        self.source = source; self.destination = destination; self.payload = payload
    }
}
