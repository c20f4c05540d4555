import Testing
@testable import Concord
import SeededRandom

/// Random messages of every kind, from a seeded generator.
struct MessageGenerator {
    var rng: SplitMix64

    mutating func identifier(allowEmpty: Bool = false) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789-_é😀")
        var s = ""
        let target = (allowEmpty ? 0 : 1) + rng.below(allowEmpty ? 33 : 32)
        while true {
            let c = alphabet[rng.below(alphabet.count)]
            if s.utf8.count + String(c).utf8.count > target { break }
            s.append(c)
        }
        return s.isEmpty && !allowEmpty ? "x" : s
    }

    mutating func address() -> RoomAddress {
        if rng.below(2) == 0 { return .ipv4(UInt32(truncatingIfNeeded: rng.next()), port: UInt16(truncatingIfNeeded: rng.next())) }
        return RoomAddress(host: .ipv6((0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }), port: UInt16(truncatingIfNeeded: rng.next()))
    }

    mutating func record(id: String? = nil, incarnation: UInt32? = nil, status: MemberStatus? = nil) -> MemberRecord {
        MemberRecord(
            clientID: id ?? identifier(), incarnation: incarnation ?? UInt32(truncatingIfNeeded: rng.next()),
            heartbeat: UInt32(truncatingIfNeeded: rng.next()),
            status: status ?? MemberStatus(rawValue: UInt8(rng.below(4)))!, displayName: identifier(allowEmpty: true),
            address: address())
    }

    mutating func text(max: Int = RoomMessage.maxTextBytes) -> String {
        var s = ""
        let target = rng.below(max + 1)
        let alphabet = Array("hello world ÄÖÜ ✓ 😀\n")
        while true {
            let c = alphabet[rng.below(alphabet.count)]
            if s.utf8.count + String(c).utf8.count > target { break }
            s.append(c)
        }
        return s
    }

    mutating func message() -> RoomMessage {
        let sender = identifier()
        let inc = UInt32(truncatingIfNeeded: rng.next())
        let own = record(id: sender, incarnation: inc)
        let body: RoomMessage.Body
        switch rng.below(9) {
        case 0: body = .discover(own)
        case 1: body = .heartbeat(own, digest: rng.next())
        case 2:
            let n = rng.below(12)
            body = .gossip(
                RoomMessage.GossipFlags(rawValue: UInt8(rng.below(4))),
                (0..<n).map { _ in
                    .init(record: record(), heardMillisecondsAgo: rng.below(3) == 0 ? nil : UInt16(rng.below(65535)))
                })
        case 3:
            var r = own
            r.status = .left
            body = .leave(r)
        case 4: body = .announce(own, memberCount: UInt16(truncatingIfNeeded: rng.next()), digest: rng.next())
        case 5:
            body = .text(
                stream: UInt32(truncatingIfNeeded: rng.next()), sequence: UInt32(truncatingIfNeeded: rng.next()),
                base: UInt32(truncatingIfNeeded: rng.next()), sentAt: Instant(nanoseconds: Int64(bitPattern: rng.next())),
                text: text())
        case 6: body = .textAck(stream: UInt32(truncatingIfNeeded: rng.next()), cumulative: UInt32(truncatingIfNeeded: rng.next()))
        case 7: body = .historyRequest(have: (0..<rng.below(RoomMessage.maxHistorySummary + 1)).map { _ in rng.next() })
        default:
            let count = UInt8(1 + rng.below(255))
            body = .history(
                chunk: UInt8(rng.below(Int(count))), of: count,
                (0..<rng.below(4)).map { _ in
                    .init(
                        origin: identifier(), stream: UInt32(truncatingIfNeeded: rng.next()),
                        sequence: UInt32(truncatingIfNeeded: rng.next()),
                        sentAt: Instant(nanoseconds: Int64(bitPattern: rng.next())), text: text(max: 200))
                })
        }
        return RoomMessage(roomID: identifier(), senderID: sender, senderIncarnation: inc, body: body)
    }
}

@Suite struct RoomMessageTests {
    @Test func randomMessagesRoundTrip() throws {
        var gen = MessageGenerator(rng: SplitMix64(seed: 1))
        for _ in 0..<3000 {
            let m = gen.message()
            let bytes = m.serialize()
            #expect(bytes[0] == 1)
            #expect(PacketType(of: bytes) == m.body.packetType)
            #expect(try RoomMessage.parse(bytes) == m)
            let header = try RoomMessage.Header.parse(bytes)
            #expect(header.roomID == m.roomID && header.senderID == m.senderID && header.senderIncarnation == m.senderIncarnation)
        }
    }

    /// Lengths are explicit and trailing bytes are refused, so every proper prefix must fail —
    /// and with a typed error, not a trap.
    @Test func everyTruncationFails() {
        var gen = MessageGenerator(rng: SplitMix64(seed: 2))
        for _ in 0..<300 {
            let bytes = gen.message().serialize()
            for n in 0..<bytes.count {
                #expect(throws: WireError.self) { try RoomMessage.parse(Array(bytes[0..<n])) }
            }
            #expect(throws: WireError.self) { try RoomMessage.parse(bytes + [0]) }
        }
    }

    /// 100,000 inputs: pure garbage, garbage behind a valid prefix, and bit-flipped valid
    /// messages. The property is that `parse` returns or throws `WireError` — never traps — and
    /// that whatever parses re-serialises to a message that parses to the same value.
    @Test func garbageNeverCrashes() {
        var rng = SplitMix64(seed: 3)
        var gen = MessageGenerator(rng: SplitMix64(seed: 4))
        var parsed = 0
        for i in 0..<100_000 {
            var bytes: [UInt8]
            switch i % 3 {
            case 0:
                bytes = (0..<rng.below(200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            case 1:
                bytes = [1, UInt8(2 + rng.below(2)), 0, UInt8(rng.below(7))]
                bytes += (0..<rng.below(300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            default:
                bytes = gen.message().serialize()
                for _ in 0..<(1 + rng.below(3)) {
                    let bit = rng.below(bytes.count * 8)
                    bytes[bit / 8] ^= UInt8(1 << (bit % 8))
                }
            }
            if let m = try? RoomMessage.parse(bytes) {
                parsed += 1
                #expect((try? RoomMessage.parse(m.serialize())) == m)
            }
        }
        // Bit flips in text and numbers leave valid messages; the check above ran on them.
        #expect(parsed > 1000)
    }

    @Test func headerRulesAreEnforced() throws {
        let me = MemberRecord(clientID: "a", incarnation: 7, displayName: "A", address: .ipv4(0x0A93_1101, port: 7400))
        let m = RoomMessage(roomID: "lobby", senderID: "a", senderIncarnation: 7, body: .heartbeat(me, digest: 9))
        var bytes = m.serialize()
        var v = bytes
        v[0] = 2
        #expect(throws: WireError.unsupportedVersion(2)) { try RoomMessage.parse(v) }
        v = bytes
        v[1] = 1  // a voice packet is not a room message
        #expect(throws: WireError.unexpectedPacketType(1)) { try RoomMessage.parse(v) }
        v = bytes
        v[2] = 0x01
        #expect(throws: WireError.reservedFlags(0x01)) { try RoomMessage.parse(v) }
        v = bytes
        v[3] = 9
        #expect(throws: WireError.self) { try RoomMessage.parse(v) }
        // Sealed: the header still reads, the body is refused.
        bytes[2] = 0x80
        #expect(throws: WireError.sealed) { try RoomMessage.parse(bytes) }
        #expect(try RoomMessage.Header.parse(bytes).flags == .sealed)
        // A self record that is not the sender's.
        var other = me
        other.incarnation = 8
        let forged = RoomMessage(roomID: "lobby", senderID: "a", senderIncarnation: 7, body: .discover(other)).serialize()
        #expect(throws: WireError.self) { try RoomMessage.parse(forged) }
        // A voice packet is refused by the room parser, and a room message by the voice parser.
        let voice = VoicePacket(senderID: 1, sequenceNumber: 1, timestamp: 0, payload: [1, 2, 3]).serialize()
        #expect(throws: WireError.unexpectedPacketType(1)) { try RoomMessage.parse(voice) }
        #expect(throws: WireError.unexpectedPacketType(2)) { try VoicePacket.parse(m.serialize()) }
    }

    @Test func addresses() throws {
        #expect(RoomAddress("10.147.17.5:7400") == .ipv4(0x0A93_1105, port: 7400))
        #expect(RoomAddress("10.147.17.5:7400")?.description == "10.147.17.5:7400")
        let v6 = try #require(RoomAddress("[fd00::1]:9000"))
        #expect(v6.host == .ipv6([0xFD, 0] + [UInt8](repeating: 0, count: 13) + [1]))
        #expect(v6.description == "[fd00:0:0:0:0:0:0:1]:9000")
        #expect(RoomAddress(v6.description) == v6)
        for bad in ["10.0.0.1", "10.0.0.256:1", "10.0.0.1:70000", "[::1:9000", "[1::2::3]:1", "[12345::]:1", "x:1", ""] {
            #expect(RoomAddress(bad) == nil, "\(bad)")
        }
    }

    /// The largest possible record still leaves room for several per datagram.
    @Test func gossipFitsTheDatagramLimit() {
        let long = String(repeating: "x", count: RoomMessage.maxIdentifierBytes)
        let r = MemberRecord(
            clientID: long, incarnation: 1, displayName: long,
            address: RoomAddress(host: .ipv6([UInt8](repeating: 1, count: 16)), port: 1))
        let perEntry = RoomMessage.wireLength(of: r) + 2
        let fit = (RoomMessage.maxDatagramBytes - RoomMessage.maxHeaderBytes - 2) / perEntry
        let entries = [RoomMessage.GossipEntry](repeating: .init(record: r, heardMillisecondsAgo: 1), count: fit)
        let bytes = RoomMessage(roomID: long, senderID: long, senderIncarnation: 1, body: .gossip([], entries)).serialize()
        #expect(bytes.count <= RoomMessage.maxDatagramBytes)
        #expect(fit >= 13)
        let text = String(repeating: "y", count: RoomMessage.maxTextBytes)
        let t = RoomMessage(
            roomID: long, senderID: long, senderIncarnation: 1,
            body: .text(stream: 1, sequence: 1, base: 1, sentAt: .zero, text: text)).serialize()
        #expect(t.count <= RoomMessage.maxDatagramBytes)
    }
}
