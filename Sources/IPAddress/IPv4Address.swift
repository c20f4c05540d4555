/// An IPv4 address as a value. `"10.0.0.1"` literals work; so does `IPv4Address(10, 0, 0, 1)`.
///
/// The one IPv4 type and dotted-quad parser of the package. It has a target of its own because
/// its users cannot share another: the engine (room addresses typed by people), SimNet (which
/// knows nothing of voice and must not depend on the engine), ConcordLive (the address ZeroTier
/// assigns) and ConcordTesting (the fake ZeroTier service). SimNet and ConcordLive re-export it,
/// as the type is part of their API.
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
                let octet = UInt32(part), octet <= 255
            else { return nil }
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
