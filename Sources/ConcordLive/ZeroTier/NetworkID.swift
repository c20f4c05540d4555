/// A ZeroTier network id: 64 bits, written as exactly 16 hexadecimal digits (`8056c2e21c000001`).
///
/// People paste these from ZeroTier Central, chat messages and shell history, so parsing is
/// strict about the length and the digits but forgiving about surrounding whitespace and case,
/// and a bad id is rejected *before* anything reaches the service, with a message that says what
/// a network id looks like (``ZeroTierError/invalidNetworkID(input:reason:)``). The service
/// itself would accept almost anything (`hexStrToU64` stops at the first non-hex character) and
/// silently join the wrong network.
public struct NetworkID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The id as a number; the first 40 bits are the controller's node address.
    public let rawValue: UInt64

    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Parses 16 hexadecimal digits (either case; leading and trailing whitespace ignored).
    public init(parsing text: String) throws(ZeroTierError) {
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else {
            throw .invalidNetworkID(input: text, reason: "it is empty")
        }
        if let bad = trimmed.first(where: { !$0.isHexDigit }) {
            throw .invalidNetworkID(input: text, reason: "'\(bad)' is not a hexadecimal digit")
        }
        guard trimmed.count == 16 else {
            throw .invalidNetworkID(input: text, reason: "it has \(trimmed.count) digits, not 16")
        }
        guard let value = UInt64(trimmed, radix: 16) else {
            throw .invalidNetworkID(input: text, reason: "it is not a hexadecimal number")
        }
        self.init(rawValue: value)
    }

    /// The canonical form the service uses in URLs and JSON: 16 lowercase digits, zero-padded.
    public var description: String {
        let hex = String(rawValue, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The 10-hex-digit node address of the network's controller (the id's top 40 bits).
    public var controllerAddress: String {
        String(description.prefix(10))
    }

    public static func < (lhs: NetworkID, rhs: NetworkID) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

extension NetworkID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        do {
            try self.init(parsing: text)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not a network id: \(text)")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

extension String {
    /// Foundation-free trim of spaces, tabs and line breaks (the service trims its token the same way).
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0.isNewline || $0 == "\0" }
        guard let first = firstIndex(where: { !isSpace($0) }),
            let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
