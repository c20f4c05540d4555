import Concord
import ConcordTesting
import Foundation
import PacketCapture
import Testing

/// `tools/wireshark/concord.lua` under tshark: every packet type and kind of the wire format,
/// built by the engine's own serialisers (or, for sealed ones, laid out as `SealedFormat` says),
/// read back field by field. Skipped, saying why, where tshark is not installed.
@Suite(.enabled(if: Tshark.isInstalled, "tshark is not installed (Debian package tshark; scripts/install-deps installs it)"))
struct ConcordDissectorTests {
    static let alice = RoomAddress.ipv4(0x0A93_1102, port: 7_400)
    static let bob = RoomAddress.ipv4(0x0A93_1103, port: 7_400)

    static let record = MemberRecord(
        clientID: "alice", incarnation: 3, heartbeat: 17, status: .alive, displayName: "Alice", address: alice)
    static let bobRecord = MemberRecord(
        clientID: "bob", incarnation: 1, heartbeat: 2, status: .suspect, displayName: "",
        address: RoomAddress(host: .ipv6([0xFD] + [UInt8](repeating: 0, count: 14) + [2]), port: 7_401))

    static func room(_ body: RoomMessage.Body) -> [UInt8] {
        RoomMessage(roomID: "standup", senderID: "alice", senderIncarnation: 3, body: body).serialize()
    }

    /// Header bytes, then key id (room tag 0xBEEF, generation 2), counter, `ciphertext` bytes of
    /// 0xCC, the tag of 0x7A and `mac` bytes of 0x3C.
    static func sealed(_ header: [UInt8], counter: UInt8, ciphertext: Int, mac: Int = 0) -> [UInt8] {
        header + [0xBE, 0xEF, 0, 2] + [0, 0, 0, 0, 0, 0, 0, counter] + [UInt8](repeating: 0xCC, count: ciphertext)
            + [UInt8](repeating: 0x7A, count: 16) + [UInt8](repeating: 0x3C, count: mac)
    }

    /// (datagram, fields tshark must show for it).
    static let cases: [(bytes: [UInt8], expected: [String: String])] = {
        let voice = VoicePacket(
            senderID: 0xA1B2_C3D4, sequenceNumber: 4_242, timestamp: 960_000, flags: [.fec, .talkspurtStart],
            redundancy: [.init(timestampOffset: 960, payload: [1, 2, 3])], payload: [0x0A, 0x0B, 0x0C, 0x0D]
        ).serialize()
        let bundled = VoicePacket(
            senderID: 1, sequenceNumber: 5, timestamp: 9_600, redundancy: [.init(timestampOffset: 1_920, payload: [1, 2, 3])],
            bundledFrames: [.init(timestampOffset: 960, payload: [0x0E, 0x0F])], payload: [0x0A]
        ).serialize()
        let sealedVoiceHeader = Array(
            VoicePacket(senderID: 7, sequenceNumber: 9, timestamp: 480, flags: [.sealed], payload: [0]).serialize().prefix(14))
        let sealedText = RoomMessage(
            flags: [.sealed], roomID: "standup", senderID: "bob", senderIncarnation: 1,
            body: .textAck(stream: 0, cumulative: 0)
        ).serialize().prefix(4 + 8 + 4 + 4)
        return [
            (voice, [
                "concord.type": "1", "concord.voice.sender": "0xa1b2c3d4", "concord.voice.seq": "4242",
                "concord.voice.timestamp": "960000", "concord.voice.redundant_blocks": "1", "concord.voice.red.offset": "960",
                "concord.voice.red.length": "3", "concord.voice.red.frame": "010203", "concord.voice.opus": "0a0b0c0d",
                "concord.flags.fec": "1", "concord.flags.talkspurt": "1", "concord.flags.sealed": "0",
            ]),
            (bundled, [
                "concord.voice.redundant_blocks": "1", "concord.voice.bundled_frames": "1",
                "concord.voice.red.offset": "1920,960", "concord.voice.red.frame": "010203",
                "concord.voice.bundled.frame": "0e0f", "concord.voice.opus": "0a",
            ]),
            (sealed(sealedVoiceHeader, counter: 5, ciphertext: 40), [
                "concord.type": "1", "concord.voice.seq": "9", "concord.flags.sealed": "1", "concord.sealed.key_id": "0xbeef0002",
                "concord.sealed.room_tag": "0xbeef", "concord.sealed.generation": "2", "concord.sealed.counter": "5",
                "concord.sealed.ciphertext": String(repeating: "cc", count: 40), "concord.sealed.tag": String(repeating: "7a", count: 16),
                "concord.voice.opus": "",
            ]),
            (room(.discover(record)), [
                "concord.type": "2", "concord.room.kind": "1", "concord.room.id": "standup", "concord.room.sender": "alice",
                "concord.room.incarnation": "3", "concord.member.id": "alice", "concord.member.name": "Alice",
                "concord.member.ipv4": "10.147.17.2", "concord.member.port": "7400", "concord.member.heartbeat": "17",
            ]),
            (room(.heartbeat(record, digest: 0x0102_0304_0506_0708)), [
                "concord.room.kind": "2", "concord.room.digest": "0x0102030405060708",
            ]),
            (room(.gossip([.replyRequested], [.init(record: record, heardMillisecondsAgo: 250), .init(record: bobRecord, heardMillisecondsAgo: nil)])), [
                "concord.room.kind": "3", "concord.gossip.count": "2", "concord.gossip.reply_requested": "1",
                "concord.gossip.welcome": "0", "concord.member.id": "alice,bob", "concord.gossip.heard_ms_ago": "250,65535",
                "concord.member.status": "0,1", "concord.member.ipv6": "fd00::2", "concord.member.port": "7400,7401",
            ]),
            (room(.leave(MemberRecord(clientID: "alice", incarnation: 3, status: .left, displayName: "Alice", address: alice))), [
                "concord.room.kind": "4", "concord.member.status": "3",
            ]),
            (room(.announce(record, memberCount: 5, digest: 1)), [
                "concord.room.kind": "5", "concord.room.member_count": "5",
            ]),
            (room(.text(stream: 11, sequence: 12, base: 10, sentAt: Instant(nanoseconds: -5), text: "héllo, room")), [
                "concord.type": "3", "concord.text.kind": "1", "concord.text.stream": "11", "concord.text.seq": "12",
                "concord.text.base": "10", "concord.text.sent_at": "-5", "concord.text.text": "héllo, room",
            ]),
            (room(.textAck(stream: 11, cumulative: 12)), [
                "concord.text.kind": "2", "concord.text.cumulative": "12",
            ]),
            (room(.historyRequest(have: [0xFFFF_FFFF_FFFF_FFFF, 2])), [
                "concord.text.kind": "3", "concord.history.count": "2", "concord.history.fingerprint": "0xffffffffffffffff,0x0000000000000002",
            ]),
            (room(.history(chunk: 0, of: 2, [.init(origin: "bob", stream: 1, sequence: 2, sentAt: Instant(nanoseconds: 3), text: "hi")])), [
                "concord.text.kind": "4", "concord.history.chunk": "0", "concord.history.chunks": "2",
                "concord.history.origin": "bob", "concord.text.text": "hi",
            ]),
            (sealed(Array(sealedText), counter: 6, ciphertext: 8), [
                "concord.type": "3", "concord.flags.sealed": "1", "concord.room.sender": "bob", "concord.sealed.counter": "6",
                "concord.sealed.ciphertext": String(repeating: "cc", count: 8),
            ]),
            (sealed([1, 4, 0x80, 2] + [UInt8](repeating: 0x55, count: 16), counter: 1, ciphertext: 230, mac: 16), [
                "concord.type": "4", "concord.security.kind": "2", "concord.security.salt": String(repeating: "55", count: 16),
                "concord.sealed.counter": "1", "concord.security.mac": String(repeating: "3c", count: 16),
            ]),
            (sealed([1, 4, 0x80, 1] + [UInt8](repeating: 0x55, count: 16), counter: 2, ciphertext: 230, mac: 16), [
                "concord.security.kind": "1",
            ]),
            (sealed([1, 4, 0x80, 3] + [UInt8](repeating: 0x55, count: 16), counter: 3, ciphertext: 230, mac: 16), [
                "concord.security.kind": "3",
            ]),
            (sealed([1, 4, 0x80, 4], counter: 4, ciphertext: 0), [
                "concord.security.kind": "4", "concord.sealed.counter": "4", "concord.sealed.ciphertext": "",
                "concord.sealed.tag": String(repeating: "7a", count: 16),
            ]),
            (ReceiverReport(
                reporter: 0x0102_0304, addressee: 0xA1B2_C3D4, sentAt: 70_000, echo: .init(sentAt: 69_000, delay: 12),
                stream: .init(
                    highestSequence: 0x0001_0005, cumulativeLost: 9, fractionLost: 26, fractionDiscarded: 2, burstDensity: 200,
                    gapDensity: 3, burstDurationMilliseconds: 60, gapDurationMilliseconds: 1_500, interarrivalJitter: 480,
                    playoutDelayMilliseconds: 45, targetDelayMilliseconds: 40, concealedFraction: 655, queueingDelay: 12)
            ).serialize(), [
                "concord.type": "5", "concord.flags.report_stream": "1", "concord.flags.report_echo": "1",
                "concord.flags.sealed": "0", "concord.report.reporter": "0x01020304", "concord.report.addressee": "0xa1b2c3d4",
                "concord.report.sent_at": "70000", "concord.report.echo": "69000", "concord.report.echo_delay": "12",
                "concord.report.highest_seq": "65541", "concord.report.cumulative_lost": "9", "concord.report.fraction_lost": "26",
                "concord.report.fraction_discarded": "2", "concord.report.burst_density": "200", "concord.report.gap_density": "3",
                "concord.report.burst_ms": "60", "concord.report.gap_ms": "1500", "concord.report.jitter": "480",
                "concord.report.playout_ms": "45", "concord.report.target_ms": "40", "concord.report.concealed": "655",
                "concord.report.queueing_ms": "12",
            ]),
            (ReceiverReport(reporter: 1, addressee: 2, sentAt: 3).serialize(), [
                "concord.type": "5", "concord.flags.report_stream": "0", "concord.report.sent_at": "3",
                "concord.report.highest_seq": "",
            ]),
            (sealed([1, 5, 0x83, 0, 0, 0, 0, 1, 0, 0, 0, 2], counter: 8, ciphertext: 40), [
                "concord.type": "5", "concord.flags.sealed": "1", "concord.report.addressee": "0x00000002",
                "concord.sealed.counter": "8", "concord.sealed.ciphertext": String(repeating: "cc", count: 40),
                "concord.report.sent_at": "",
            ]),
            // Not Concord: no Concord fields, and no Lua error.
            ([0x17, 0x03, 0x03, 0x00, 0x10], ["concord.type": ""]),
            // Shorter than a voice header: not taken for Concord.
            (Array(voice.prefix(10)), ["concord.type": "", "concord.voice.seq": ""]),
            // A room header cut after the room id: what is there is shown, the rest flagged.
            (Array(room(.heartbeat(record, digest: 1)).prefix(12)), [
                "concord.type": "2", "concord.room.id": "standup", "concord.room.sender": "",
                "_ws.expert.message": "truncated at byte 12",
            ]),
        ]
    }()

    @Test func everyPacketTypeIsDissected() throws {
        let covered = Set(Self.cases.compactMap { $0.expected["concord.type"] })
        for type in PacketType.allCases {
            #expect(covered.contains("\(type.rawValue)"), "no dissector case for packet type \(type)")
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-dissector-\(UUID().uuidString).pcap").path
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        for (i, c) in Self.cases.enumerated() {
            file.record(c.bytes, from: Self.alice, to: Self.bob, direction: .sent, interface: 1, nanosecondsSinceEpoch: Int64(i) * 1_000_000)
        }
        // On ports nothing registers: found by the heuristic.
        let otherPort = (RoomAddress.ipv4(0x0A93_1102, port: 40_000), RoomAddress.ipv4(0x0A93_1103, port: 40_001))
        let heuristic = [Self.cases[0], Self.cases[2]]
        for c in heuristic {
            file.record(c.bytes, from: otherPort.0, to: otherPort.1, direction: .received, interface: 2, nanosecondsSinceEpoch: 1_000_000_000)
        }
        try file.close()

        let names = Array(Set(Self.cases.flatMap(\.expected.keys))).sorted()
        let rows = try Tshark.fields(["frame.protocols", "ip.checksum.status", "udp.checksum.status"] + names, of: path)
        try #require(rows.count == Self.cases.count + heuristic.count, "\(rows)")
        for (i, c) in (Self.cases + heuristic).enumerated() {
            let row = rows[i]
            #expect(row[1] == "1" && row[2] == "1", "frame \(i + 1): IPv4 and UDP checksums verify")
            if !(c.expected["concord.type"]?.isEmpty ?? false) {
                #expect(row[0] == "sll:ethertype:ip:udp:concord", "frame \(i + 1): Concord, once")
            }
            try #require(row.count == 3 + names.count, "frame \(i + 1): \(row)")
            for (k, name) in names.enumerated() {
                guard let value = c.expected[name] else { continue }
                // Byte fields print as colon-separated hex.
                let shown = row[3 + k]
                #expect((value.contains(":") ? shown : shown.replacingOccurrences(of: ":", with: "")) == value, "frame \(i + 1) \(name)")
            }
        }
    }
}
