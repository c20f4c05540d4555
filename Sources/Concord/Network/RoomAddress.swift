import IPAddress

/// Where a room member can be reached: an IPv4 or IPv6 address and a UDP port.
///
/// The engine needs addresses as plain values it can compare, hash, put on the wire and hand
/// back to a driver; it must not depend on SimNet or on a socket library, so this is its own type.
/// The simulation driver converts SimNet endpoints to it, the live driver socket addresses.
public struct RoomAddress: Hashable, Comparable, Sendable, CustomStringConvertible {
    public enum Host: Hashable, Sendable {
        /// Host byte order (10.0.0.1 is 0x0A00_0001).
        case ipv4(UInt32)
        /// The 16 address bytes, network order.
        case ipv6([UInt8])
    }

    public var host: Host
    public var port: UInt16

    public init(host: Host, port: UInt16) {
        self.host = host
        self.port = port
    }

    public static func ipv4(_ rawValue: UInt32, port: UInt16) -> RoomAddress {
        RoomAddress(host: .ipv4(rawValue), port: port)
    }

    /// Parses `"10.147.17.5:7400"` or `"[fd00::1]:7400"`; `nil` for anything else.
    public init?(_ text: String) {
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let inner = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()),
                let bytes = Self.parseIPv6(inner)
            else { return nil }
            self.init(host: .ipv6(bytes), port: port)
        } else {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let port = UInt16(parts[1]), let address = IPv4Address(String(parts[0])) else {
                return nil
            }
            self.init(host: .ipv4(address.rawValue), port: port)
        }
    }

    /// RFC 4291 text (hex groups, at most one `::`; no embedded IPv4 form) to 16 bytes.
    public static func parseIPv6(_ text: String) -> [UInt8]? {
        func groups(_ s: Substring) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            for g in s.split(separator: ":", omittingEmptySubsequences: false) {
                guard !g.isEmpty, g.count <= 4, let v = UInt16(g, radix: 16) else { return nil }
                out.append(v)
            }
            return out
        }
        // Split at "::" without Foundation.
        var halves: [String] = []
        var current = ""
        var previousColon = false
        for ch in text {
            if ch == ":" && previousColon {
                current.removeLast()
                halves.append(current)
                current = ""
                previousColon = false
                continue
            }
            current.append(ch)
            previousColon = ch == ":"
        }
        halves.append(current)
        var words: [UInt16]
        switch halves.count {
        case 1:
            guard let all = groups(Substring(halves[0])), all.count == 8 else { return nil }
            words = all
        case 2:
            guard let head = groups(Substring(halves[0])), let tail = groups(Substring(halves[1])),
                head.count + tail.count <= 7
            else { return nil }
            words = head + [UInt16](repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// IPv4 as a dotted quad; IPv6 as eight uncompressed hex groups in brackets.
    public var description: String {
        switch host {
        case .ipv4(let v):
            return "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF):\(port)"
        case .ipv6(let raw):
            let b = (raw + [UInt8](repeating: 0, count: 16)).prefix(16).map { $0 }
            let groups = stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }
            return "[\(groups.joined(separator: ":"))]:\(port)"
        }
    }

    /// A total order (IPv4 before IPv6, then bytes, then port) so merges can break ties
    /// deterministically on every node.
    public static func < (a: RoomAddress, b: RoomAddress) -> Bool {
        let ka = a.sortKey, kb = b.sortKey
        if ka != kb { return ka.lexicographicallyPrecedes(kb) }
        return a.port < b.port
    }

    private var sortKey: [UInt8] {
        switch host {
        case .ipv4(let v): return [4, UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
        case .ipv6(let b): return [6] + b
        }
    }

    // MARK: Wire form: family (4 or 6), 4 or 16 address bytes, port (UInt16).

    func serialize(into out: inout [UInt8]) {
        switch host {
        case .ipv4(let v):
            out.append(4)
            out.appendBigEndian(v)
        case .ipv6(let b):
            out.append(6)
            // Exactly 16 bytes even if a caller built the case with the wrong count.
            out.append(contentsOf: (b + [UInt8](repeating: 0, count: 16)).prefix(16))
        }
        out.appendBigEndian(port)
    }

    static func parse(_ reader: inout ByteReader) throws(WireError) -> RoomAddress {
        let family = try reader.readUInt8("address family")
        let host: Host
        switch family {
        case 4: host = .ipv4(try reader.readUInt32("IPv4 address"))
        case 6: host = .ipv6(try reader.readBytes(16, "IPv6 address"))
        default: throw .invalidField(field: "address family", reason: "\(family) is neither 4 nor 6")
        }
        return RoomAddress(host: host, port: try reader.readUInt16("port"))
    }

    var wireLength: Int {
        switch host {
        case .ipv4: return 7
        case .ipv6: return 19
        }
    }
}
