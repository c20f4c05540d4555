/// Why bytes from the network are not a valid packet. Every parser of untrusted input
/// returns one of these instead of trapping.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended before `field` (which needs `needed` more bytes; `available` were left).
    case truncated(field: String, needed: Int, available: Int)
    case unsupportedVersion(UInt8)
    case unexpectedPacketType(UInt8)
    /// Flag bits this version does not define were set.
    case reservedFlags(UInt8)
    /// A field holds a value the format forbids; `reason` says which rule.
    case invalidField(field: String, reason: String)
    /// The payload is sealed (encrypted); open it before parsing the payload.
    case sealed

    public var description: String {
        switch self {
        case let .truncated(field, needed, available):
            return "packet truncated at \(field): needs \(needed) bytes, \(available) left"
        case let .unsupportedVersion(v): return "unsupported packet version \(v)"
        case let .unexpectedPacketType(t): return "unexpected packet type \(t)"
        case let .reservedFlags(f): return "reserved flag bits set: 0x\(String(f, radix: 16))"
        case let .invalidField(field, reason): return "invalid \(field): \(reason)"
        case .sealed: return "packet is sealed; open it before parsing"
        }
    }
}
