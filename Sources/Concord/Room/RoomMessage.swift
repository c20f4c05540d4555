/// Room control and text messages, wire format version 1. All integers big-endian.
///
/// They share the first two bytes with `VoicePacket` (version, packet type) so that one UDP
/// port carries voice (type 1), room control (type 2) and text (type 3): a driver reads byte 1
/// and hands the datagram to the right state machine (`VoiceClient.receive` does, through
/// `PacketType`).
///
/// ```
///  0       version (1)
///  1       packet type (2 = room control, 3 = text)
///  2       flags: 0x80 sealed; other bits reserved (must be 0)
///  3       kind (per packet type, below)
///  4       room id: length L (1...32), L bytes UTF-8
///  ..      sender client id: length L (1...32), L bytes UTF-8
///  ..      sender incarnation (UInt32)
///  ..      body (per kind); nothing may follow it
/// ```
/// Every message names its room, its sender and the sender's incarnation, so a receiver can
/// drop other rooms' traffic, attribute evidence of life, and tell a restarted client from its
/// previous life before it reads the body.
///
/// A *member record* (used by several bodies) is: client id (length 1...32 + UTF-8), incarnation
/// (UInt32), heartbeat (UInt32), status (UInt8: 0 alive, 1 suspect, 2 dead, 3 left), display name
/// (length 0...32 + UTF-8), address (family 4 or 6, 4 or 16 bytes, port UInt16).
///
/// | type | kind | name | body |
/// |---|---|---|---|
/// | 2 | 1 | discover | the joiner's own record (broadcast while looking for the room) |
/// | 2 | 2 | heartbeat | own record, member-list digest (UInt64) |
/// | 2 | 3 | gossip | flags (0x01 reply requested, 0x02 welcome), count N (UInt8), N × (record, ms since the sender last heard that member directly: UInt16, 0xFFFF = not known) |
/// | 2 | 4 | leave | own record (status left) |
/// | 2 | 5 | announce | own record, member count (UInt16), digest (UInt64) (broadcast by members) |
/// | 3 | 1 | text | stream (UInt32), sequence (UInt32), base (UInt32), sent-at (Int64 ns, sender's clock), text (length UInt16 ≤ 1024 + UTF-8) |
/// | 3 | 2 | text ack | stream (UInt32), cumulative sequence (UInt32) |
/// | 3 | 3 | history request | N (UInt8), N × fingerprint (UInt64) of a message the asker holds (`RoomText.fingerprint`), N ≤ `maxHistorySummary` |
/// | 3 | 4 | history | chunk index, chunk count (UInt8 each, index < count), N (UInt8), N × (origin id, stream, sequence, sent-at, text) |
///
/// Records inside discover, heartbeat, leave and announce must be the sender's own (same client
/// id and incarnation as the header). Sealed (`SecureTransport`, see SECURITY.md), the header up
/// to and including the sender incarnation stays in clear as associated data with 0x80 set, and
/// the body is encrypted; `parse` refuses sealed messages with `WireError.sealed` and
/// `Header.parse` still reads them.
public struct RoomMessage: Equatable, Sendable {
    public static let version: UInt8 = 1
    /// Datagrams stay at or below this size (ZeroTier paths; see "Datagram size" in docs/Rooms.md).
    public static let maxDatagramBytes = 1400
    /// Room ids, client ids and display names are at most this many UTF-8 bytes.
    public static let maxIdentifierBytes = 32
    /// A text message is at most this many UTF-8 bytes (so it fits one datagram with headers).
    public static let maxTextBytes = 1024
    /// The largest header: 4 fixed bytes, two identifiers with length bytes, the incarnation.
    public static let maxHeaderBytes = 4 + 2 * (1 + maxIdentifierBytes) + 4
    /// A history request names at most this many held messages, so it fits one datagram
    /// whatever the identifiers: 74 + 1 + 160 × 8 = 1355 bytes.
    public static let maxHistorySummary = 160

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The body is ciphertext.
        public static let sealed = Flags(rawValue: 0x80)
        static let defined: Flags = [.sealed]
    }

    public struct GossipFlags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The receiver should answer with its own list (push-pull anti-entropy).
        public static let replyRequested = GossipFlags(rawValue: 0x01)
        /// An answer to a discover: the receiver may now consider itself joined.
        public static let welcome = GossipFlags(rawValue: 0x02)
        static let defined: GossipFlags = [.replyRequested, .welcome]
    }

    /// A member record as gossiped, with the sender's direct evidence of life.
    public struct GossipEntry: Equatable, Sendable {
        public var record: MemberRecord
        /// Milliseconds since the sender last received anything from this member itself;
        /// `nil` if it never did or too long ago for a UInt16 (≥ 65.535 s).
        public var heardMillisecondsAgo: UInt16?
        public init(record: MemberRecord, heardMillisecondsAgo: UInt16?) {
            self.record = record
            self.heardMillisecondsAgo = heardMillisecondsAgo
        }
    }

    /// One text message as carried in a history chunk.
    public struct HistoryItem: Equatable, Sendable {
        public var origin: String
        public var stream: UInt32
        public var sequence: UInt32
        public var sentAt: Instant
        public var text: String
        public init(origin: String, stream: UInt32, sequence: UInt32, sentAt: Instant, text: String) {
            self.origin = origin
            self.stream = stream
            self.sequence = sequence
            self.sentAt = sentAt
            self.text = text
        }
    }

    public enum Body: Equatable, Sendable {
        case discover(MemberRecord)
        case heartbeat(MemberRecord, digest: UInt64)
        case gossip(GossipFlags, [GossipEntry])
        case leave(MemberRecord)
        case announce(MemberRecord, memberCount: UInt16, digest: UInt64)
        /// `base`: the first sequence the sender owes this receiver (it joined the sender's view then).
        /// `stream`: the origin's incarnation when it joined; it identifies one life of the
        /// client, survives refutations (which raise the incarnation) and changes on restart.
        case text(stream: UInt32, sequence: UInt32, base: UInt32, sentAt: Instant, text: String)
        case textAck(stream: UInt32, cumulative: UInt32)
        /// `have`: fingerprints of messages the asker already holds; the answer leaves them out.
        case historyRequest(have: [UInt64])
        case history(chunk: UInt8, of: UInt8, [HistoryItem])

        public var packetType: PacketType {
            switch self {
            case .discover, .heartbeat, .gossip, .leave, .announce: return .roomControl
            case .text, .textAck, .historyRequest, .history: return .roomText
            }
        }

        public var kind: UInt8 {
            switch self {
            case .discover: return 1
            case .heartbeat: return 2
            case .gossip: return 3
            case .leave: return 4
            case .announce: return 5
            case .text: return 1
            case .textAck: return 2
            case .historyRequest: return 3
            case .history: return 4
            }
        }
    }

    /// The part every message has; authenticated but not encrypted once sealing exists.
    public struct Header: Equatable, Sendable {
        public var packetType: PacketType
        public var flags: Flags
        public var kind: UInt8
        public var roomID: String
        public var senderID: String
        public var senderIncarnation: UInt32

        public static func parse(_ bytes: [UInt8]) throws(WireError) -> Header {
            var reader = ByteReader(bytes)
            return try parse(&reader)
        }

        static func parse(_ reader: inout ByteReader) throws(WireError) -> Header {
            let version = try reader.readUInt8("version")
            guard version == RoomMessage.version else { throw .unsupportedVersion(version) }
            let rawType = try reader.readUInt8("packet type")
            guard let type = PacketType(rawValue: rawType), type == .roomControl || type == .roomText else {
                throw .unexpectedPacketType(rawType)
            }
            let flags = Flags(rawValue: try reader.readUInt8("flags"))
            guard flags.isSubset(of: .defined) else { throw .reservedFlags(flags.subtracting(.defined).rawValue) }
            let kind = try reader.readUInt8("kind")
            let validKinds: ClosedRange<UInt8> = type == .roomControl ? 1...5 : 1...4
            guard validKinds.contains(kind) else {
                throw .invalidField(field: "kind", reason: "\(kind) is not defined for packet type \(rawType)")
            }
            return Header(
                packetType: type, flags: flags, kind: kind,
                roomID: try readIdentifier(&reader, "room id", allowEmpty: false),
                senderID: try readIdentifier(&reader, "sender id", allowEmpty: false),
                senderIncarnation: try reader.readUInt32("sender incarnation"))
        }
    }

    public var flags: Flags
    public var roomID: String
    public var senderID: String
    public var senderIncarnation: UInt32
    public var body: Body

    public init(flags: Flags = [], roomID: String, senderID: String, senderIncarnation: UInt32, body: Body) {
        self.flags = flags
        self.roomID = roomID
        self.senderID = senderID
        self.senderIncarnation = senderIncarnation
        self.body = body
    }

    // MARK: Serialisation

    /// The message's bytes. Preconditions (programmer errors, not input): identifiers and texts
    /// within their limits (`RoomNode` validates them at its API), at most 255 gossip entries or
    /// history items.
    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        out.append(Self.version)
        out.append(body.packetType.rawValue)
        out.append(flags.rawValue)
        out.append(body.kind)
        Self.writeIdentifier(roomID, into: &out)
        Self.writeIdentifier(senderID, into: &out)
        out.appendBigEndian(senderIncarnation)
        switch body {
        case .discover(let r), .leave(let r):
            Self.write(r, into: &out)
        case let .heartbeat(r, digest):
            Self.write(r, into: &out)
            Self.write64(digest, into: &out)
        case let .gossip(gflags, entries):
            precondition(entries.count <= 255, "too many gossip entries")
            out.append(gflags.rawValue)
            out.append(UInt8(entries.count))
            for e in entries {
                Self.write(e.record, into: &out)
                out.appendBigEndian(e.heardMillisecondsAgo ?? 0xFFFF)
            }
        case let .announce(r, count, digest):
            Self.write(r, into: &out)
            out.appendBigEndian(count)
            Self.write64(digest, into: &out)
        case let .text(stream, seq, base, sentAt, text):
            out.appendBigEndian(stream)
            out.appendBigEndian(seq)
            out.appendBigEndian(base)
            Self.write64(UInt64(bitPattern: sentAt.nanoseconds), into: &out)
            Self.writeText(text, into: &out)
        case let .textAck(stream, cumulative):
            out.appendBigEndian(stream)
            out.appendBigEndian(cumulative)
        case .historyRequest(let have):
            precondition(have.count <= Self.maxHistorySummary, "history summary too long")
            out.append(UInt8(have.count))
            for f in have { Self.write64(f, into: &out) }
        case let .history(chunk, count, items):
            precondition(items.count <= 255, "too many history items")
            out.append(chunk)
            out.append(count)
            out.append(UInt8(items.count))
            for item in items { Self.write(item, into: &out) }
        }
        return out
    }

    /// Bytes one record takes on the wire (for packing gossip into datagrams).
    static func wireLength(of r: MemberRecord) -> Int {
        1 + r.clientID.utf8.count + 4 + 4 + 1 + 1 + r.displayName.utf8.count + r.address.wireLength
    }

    static func wireLength(of item: HistoryItem) -> Int {
        1 + item.origin.utf8.count + 4 + 4 + 8 + 2 + item.text.utf8.count
    }

    static func headerLength(roomID: String, senderID: String) -> Int {
        4 + 1 + roomID.utf8.count + 1 + senderID.utf8.count + 4
    }

    private static func writeIdentifier(_ s: String, into out: inout [UInt8]) {
        let bytes = Array(s.utf8)
        precondition(bytes.count <= maxIdentifierBytes, "identifier longer than \(maxIdentifierBytes) bytes")
        out.append(UInt8(bytes.count))
        out.append(contentsOf: bytes)
    }

    private static func writeText(_ s: String, into out: inout [UInt8]) {
        let bytes = Array(s.utf8)
        precondition(bytes.count <= maxTextBytes, "text longer than \(maxTextBytes) bytes")
        out.appendBigEndian(UInt16(bytes.count))
        out.append(contentsOf: bytes)
    }

    private static func write64(_ v: UInt64, into out: inout [UInt8]) {
        out.appendBigEndian(UInt32(truncatingIfNeeded: v >> 32))
        out.appendBigEndian(UInt32(truncatingIfNeeded: v))
    }

    static func write(_ r: MemberRecord, into out: inout [UInt8]) {
        writeIdentifier(r.clientID, into: &out)
        out.appendBigEndian(r.incarnation)
        out.appendBigEndian(r.heartbeat)
        out.append(r.status.rawValue)
        writeIdentifier(r.displayName, into: &out)
        r.address.serialize(into: &out)
    }

    private static func write(_ item: HistoryItem, into out: inout [UInt8]) {
        writeIdentifier(item.origin, into: &out)
        out.appendBigEndian(item.stream)
        out.appendBigEndian(item.sequence)
        write64(UInt64(bitPattern: item.sentAt.nanoseconds), into: &out)
        writeText(item.text, into: &out)
    }

    // MARK: Parsing

    /// Parses any byte string into a message or a `WireError`; never traps.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> RoomMessage {
        var reader = ByteReader(bytes)
        let header = try Header.parse(&reader)
        guard !header.flags.contains(.sealed) else { throw .sealed }
        let body: Body
        switch (header.packetType, header.kind) {
        case (.roomControl, 1):
            body = .discover(try readOwnRecord(&reader, header))
        case (.roomControl, 2):
            body = .heartbeat(try readOwnRecord(&reader, header), digest: try read64(&reader, "digest"))
        case (.roomControl, 3):
            let gflags = GossipFlags(rawValue: try reader.readUInt8("gossip flags"))
            guard gflags.isSubset(of: .defined) else {
                throw .reservedFlags(gflags.subtracting(.defined).rawValue)
            }
            let count = Int(try reader.readUInt8("gossip entry count"))
            var entries: [GossipEntry] = []
            entries.reserveCapacity(count)
            for _ in 0..<count {
                let record = try readRecord(&reader)
                let heard = try reader.readUInt16("heard ago")
                entries.append(GossipEntry(record: record, heardMillisecondsAgo: heard == 0xFFFF ? nil : heard))
            }
            body = .gossip(gflags, entries)
        case (.roomControl, 4):
            let r = try readOwnRecord(&reader, header)
            guard r.status == .left else { throw .invalidField(field: "leave record", reason: "status is not left") }
            body = .leave(r)
        case (.roomControl, 5):
            body = .announce(
                try readOwnRecord(&reader, header), memberCount: try reader.readUInt16("member count"),
                digest: try read64(&reader, "digest"))
        case (.roomText, 1):
            let stream = try reader.readUInt32("stream")
            let seq = try reader.readUInt32("sequence")
            let base = try reader.readUInt32("base")
            let sentAt = Instant(nanoseconds: Int64(bitPattern: try read64(&reader, "sent at")))
            body = .text(stream: stream, sequence: seq, base: base, sentAt: sentAt, text: try readText(&reader))
        case (.roomText, 2):
            body = .textAck(
                stream: try reader.readUInt32("stream"),
                cumulative: try reader.readUInt32("cumulative sequence"))
        case (.roomText, 3):
            let n = Int(try reader.readUInt8("history summary count"))
            guard n <= maxHistorySummary else {
                throw .invalidField(field: "history summary count", reason: "\(n) exceeds \(maxHistorySummary)")
            }
            var have: [UInt64] = []
            have.reserveCapacity(n)
            for _ in 0..<n { have.append(try read64(&reader, "history fingerprint")) }
            body = .historyRequest(have: have)
        default:  // (.roomText, 4): Header.parse admits no other kind
            let chunk = try reader.readUInt8("chunk index")
            let count = try reader.readUInt8("chunk count")
            guard chunk < count else {
                throw .invalidField(field: "chunk index", reason: "\(chunk) is not below the count \(count)")
            }
            let n = Int(try reader.readUInt8("history item count"))
            var items: [HistoryItem] = []
            items.reserveCapacity(n)
            for _ in 0..<n {
                items.append(
                    HistoryItem(
                        origin: try readIdentifier(&reader, "origin id", allowEmpty: false),
                        stream: try reader.readUInt32("stream"),
                        sequence: try reader.readUInt32("sequence"),
                        sentAt: Instant(nanoseconds: Int64(bitPattern: try read64(&reader, "sent at"))),
                        text: try readText(&reader)))
            }
            body = .history(chunk: chunk, of: count, items)
        }
        guard reader.remaining == 0 else {
            throw .invalidField(field: "body", reason: "\(reader.remaining) trailing bytes")
        }
        return RoomMessage(
            flags: header.flags, roomID: header.roomID, senderID: header.senderID,
            senderIncarnation: header.senderIncarnation, body: body)
    }

    static func readIdentifier(_ reader: inout ByteReader, _ field: String, allowEmpty: Bool) throws(WireError) -> String {
        let length = Int(try reader.readUInt8("\(field) length"))
        guard length <= maxIdentifierBytes, allowEmpty || length > 0 else {
            throw .invalidField(field: field, reason: "length \(length) outside \(allowEmpty ? 0 : 1)...\(maxIdentifierBytes)")
        }
        return try utf8(try reader.readBytes(length, field), field)
    }

    private static func readText(_ reader: inout ByteReader) throws(WireError) -> String {
        let length = Int(try reader.readUInt16("text length"))
        guard length <= maxTextBytes else {
            throw .invalidField(field: "text", reason: "length \(length) exceeds \(maxTextBytes)")
        }
        return try utf8(try reader.readBytes(length, "text"), "text")
    }

    private static func utf8(_ bytes: [UInt8], _ field: String) throws(WireError) -> String {
        guard let s = String(validating: bytes, as: UTF8.self) else {
            throw .invalidField(field: field, reason: "not valid UTF-8")
        }
        return s
    }

    private static func read64(_ reader: inout ByteReader, _ field: String) throws(WireError) -> UInt64 {
        let hi = UInt64(try reader.readUInt32(field))
        return hi << 32 | UInt64(try reader.readUInt32(field))
    }

    static func readRecord(_ reader: inout ByteReader) throws(WireError) -> MemberRecord {
        let id = try readIdentifier(&reader, "client id", allowEmpty: false)
        let incarnation = try reader.readUInt32("incarnation")
        let heartbeat = try reader.readUInt32("heartbeat")
        let rawStatus = try reader.readUInt8("status")
        guard let status = MemberStatus(rawValue: rawStatus) else {
            throw .invalidField(field: "status", reason: "\(rawStatus) is not defined")
        }
        let name = try readIdentifier(&reader, "display name", allowEmpty: true)
        let address = try RoomAddress.parse(&reader)
        return MemberRecord(
            clientID: id, incarnation: incarnation, heartbeat: heartbeat, status: status, displayName: name,
            address: address)
    }

    private static func readOwnRecord(_ reader: inout ByteReader, _ header: Header) throws(WireError) -> MemberRecord {
        let r = try readRecord(&reader)
        guard r.clientID == header.senderID, r.incarnation == header.senderIncarnation else {
            throw .invalidField(field: "record", reason: "not the sender's own record")
        }
        return r
    }
}
