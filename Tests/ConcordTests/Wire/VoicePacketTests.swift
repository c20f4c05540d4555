import Testing
@testable import Concord
import SeededRandom

@Suite struct VoicePacketTests {
    static func randomPacket(_ rng: inout SplitMix64) -> VoicePacket {
        func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let flags = VoicePacket.Flags(rawValue: UInt8.random(in: 0...7, using: &rng))
        let redundancy = (0..<Int.random(in: 0...VoicePacket.maxRedundantBlocks, using: &rng)).map { _ in
            VoicePacket.RedundantFrame(
                timestampOffset: UInt16.random(in: 1...UInt16.max, using: &rng), payload: bytes(Int.random(in: 0...80, using: &rng)))
        }
        let bundled = (0..<Int.random(in: 0...VoicePacket.maxBundledFrames, using: &rng)).map { _ in
            VoicePacket.RedundantFrame(
                timestampOffset: UInt16.random(in: 1...UInt16.max, using: &rng), payload: bytes(Int.random(in: 0...80, using: &rng)))
        }
        return VoicePacket(
            senderID: UInt32.random(in: 0...UInt32.max, using: &rng), sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng),
            timestamp: UInt32.random(in: 0...UInt32.max, using: &rng), flags: flags, redundancy: redundancy,
            bundledFrames: bundled, payload: bytes(Int.random(in: 1...300, using: &rng)))
    }

    @Test func randomPacketsRoundTrip() throws {
        var rng = SplitMix64(seed: 1)
        for _ in 0..<5_000 {
            let packet = Self.randomPacket(&rng)
            #expect(try VoicePacket.parse(packet.serialize()) == packet)
        }
    }

    @Test func layoutIsAsDocumented() {
        let packet = VoicePacket(
            senderID: 0x0102_0304, sequenceNumber: 0x0506, timestamp: 0x0708_090A, flags: [.fec, .talkspurtStart],
            redundancy: [.init(timestampOffset: 960, payload: [0xAA])], payload: [0xBB, 0xCC])
        #expect(
            packet.serialize() == [1, 1, 0x05, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x03, 0xC0, 0, 1, 0xAA, 0xBB, 0xCC])
    }

    @Test func bundledFramesFollowTheCopies() {
        let packet = VoicePacket(
            senderID: 0x0102_0304, sequenceNumber: 0x0506, timestamp: 0x0708_090A, flags: [.fec],
            redundancy: [.init(timestampOffset: 1_920, payload: [0xAA])],
            bundledFrames: [.init(timestampOffset: 960, payload: [0xDD, 0xEE])], payload: [0xBB])
        #expect(packet.frameCount == 2)
        #expect(
            packet.serialize() == [
                1, 1, 0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0x07, 0x80, 0, 1, 0x03, 0xC0, 0, 2, 0xAA, 0xDD, 0xEE, 0xBB,
            ])
    }

    /// Every prefix of a valid packet parses to an error or to a packet with a shorter primary
    /// payload — never anything else, never a crash.
    @Test func everyTruncationIsHandled() throws {
        var rng = SplitMix64(seed: 2)
        for _ in 0..<300 {
            let packet = Self.randomPacket(&rng)
            let bytes = packet.serialize()
            let primaryStart = bytes.count - packet.payload.count
            for cut in 0..<bytes.count {
                let prefix = Array(bytes[..<cut])
                if cut > primaryStart {
                    var shorter = packet
                    shorter.payload = Array(packet.payload[..<(cut - primaryStart)])
                    #expect(try VoicePacket.parse(prefix) == shorter)
                } else {
                    #expect(throws: WireError.self) { try VoicePacket.parse(prefix) }
                }
            }
        }
    }

    @Test func garbageNeverCrashes() {
        var rng = SplitMix64(seed: 3)
        var parsed = 0
        for _ in 0..<100_000 {
            var bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Make a share of inputs start like a real header so the deeper paths are reached.
            if bytes.count > 3, Bool.random(using: &rng) {
                bytes[0] = 1
                bytes[1] = 1
                bytes[2] &= 0x07
                bytes[3] %= 10
            }
            if (try? VoicePacket.parse(bytes)) != nil { parsed += 1 }
        }
        #expect(parsed > 0)
    }

    @Test func specificErrors() {
        let good = VoicePacket(senderID: 1, sequenceNumber: 2, timestamp: 3, payload: [9]).serialize()
        func with(_ index: Int, _ value: UInt8) -> [UInt8] {
            var b = good
            b[index] = value
            return b
        }
        #expect(throws: WireError.unsupportedVersion(2)) { try VoicePacket.parse(with(0, 2)) }
        #expect(throws: WireError.unexpectedPacketType(7)) { try VoicePacket.parse(with(1, 7)) }
        #expect(throws: WireError.reservedFlags(0x10)) { try VoicePacket.parse(with(2, 0x11)) }
        #expect(throws: WireError.sealed) { try VoicePacket.parse(with(2, 0x80)) }
        #expect(throws: WireError.self) { try VoicePacket.parse(with(3, 9)) }
        #expect(throws: WireError.invalidField(field: "bundled frame count", reason: "6 exceeds 5")) {
            try VoicePacket.parse(with(3, 0x60))
        }
        #expect(throws: WireError.invalidField(field: "primary payload", reason: "empty")) {
            try VoicePacket.parse(Array(good.dropLast()))
        }
        #expect(throws: WireError.invalidField(field: "redundant block offset", reason: "must be > 0")) {
            try VoicePacket.parse([1, 1, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 0, 1, 0xAA, 9])
        }
        #expect(throws: WireError.truncated(field: "redundant block", needed: 5, available: 2)) {
            try VoicePacket.parse([1, 1, 0, 1, 0, 0, 0, 1, 0, 2, 0, 0, 0, 3, 0, 1, 0, 5, 0xAA, 9])
        }
    }

    @Test func sealedHeaderStillParses() throws {
        var bytes = VoicePacket(senderID: 7, sequenceNumber: 8, timestamp: 9, payload: [1, 2]).serialize()
        bytes[2] |= VoicePacket.Flags.sealed.rawValue
        let header = try VoicePacket.Header.parse(bytes)
        #expect(header.senderID == 7 && header.sequenceNumber == 8 && header.timestamp == 9)
        #expect(header.flags.contains(.sealed))
    }

    @Test func unwrapperFollowsWraparoundBothWays() {
        var seq = SequenceUnwrapper<UInt16>()
        #expect(seq.unwrap(65_534) == 65_534)
        #expect(seq.unwrap(65_535) == 65_535)
        #expect(seq.unwrap(0) == 65_536)
        #expect(seq.unwrap(65_535) == 65_535)  // reordered across the wrap
        #expect(seq.unwrap(3) == 65_539)
        var ts = SequenceUnwrapper<UInt32>()
        #expect(ts.unwrap(UInt32.max - 959) == Int64(UInt32.max) - 959)
        #expect(ts.unwrap(0) == Int64(UInt32.max) + 1)
    }
}
