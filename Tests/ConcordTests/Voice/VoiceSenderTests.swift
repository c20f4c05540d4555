import Testing
@testable import Concord

@Suite struct VoiceSenderTests {
    @Test func sequenceCountsPacketsAndTimestampCountsFrames() throws {
        let sender = try VoiceSender(senderID: 9, settings: OpusSettings(), initialSequenceNumber: 65_535, initialTimestamp: 100)
        let frames = TestSignals.frames(TestSignals.voiced(seconds: 0.1), frameSamples: 960)
        let first = try #require(try sender.packetize(frames[0]))
        sender.skipFrame()
        let second = try #require(try sender.packetize(frames[1]))
        #expect(first.sequenceNumber == 65_535 && second.sequenceNumber == 0)  // wraps
        #expect(first.timestamp == 100 && second.timestamp == 100 + 2 * 960)
        #expect(first.flags.contains(.talkspurtStart) && second.flags.contains(.talkspurtStart))
        #expect(first.senderID == 9)
    }

    /// Speech, then silence under DTX, then speech: the silence is marked, not sent, and the
    /// return of speech starts a talk-spurt. Comfort-noise updates carry the DTX flag too.
    @Test func dtxMarksAndSuppressesSilence() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings(dtx: true))
        let speech = TestSignals.frames(TestSignals.voiced(seconds: 1), frameSamples: 960)
        let silence = [Float](repeating: 0, count: 960)
        var packets: [VoicePacket?] = []
        for f in speech { packets.append(try sender.packetize(f)) }
        for _ in 0..<100 { packets.append(try sender.packetize(silence)) }
        for f in speech { packets.append(try sender.packetize(f)) }
        let silent = packets[50..<150]
        #expect(sender.statistics.framesSuppressed > 80)
        let sentDuringSilence = silent.compactMap { $0 }
        #expect(sentDuringSilence.contains { $0.flags.contains(.dtx) })
        // Every packet sent well into the silence is flagged as silence.
        #expect(silent.dropFirst(20).compactMap { $0 }.allSatisfy { $0.flags.contains(.dtx) })
        let resumed = try #require(packets[150])
        #expect(resumed.flags.contains(.talkspurtStart) && !resumed.flags.contains(.dtx))
        // Sequence numbers have no gaps: a receiver sees a pause, not loss.
        let sequences = packets.compactMap { $0?.sequenceNumber }
        #expect(sequences == (0..<UInt16(sequences.count)).map { $0 })
    }

    @Test func redundancyCarriesEarlierFrames() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings(), redundantFrames: 2)
        let frames = TestSignals.frames(TestSignals.voiced(seconds: 0.2), frameSamples: 960)
        let packets = try frames.map { try #require(try sender.packetize($0)) }
        #expect(packets[0].redundancy.isEmpty)
        #expect(packets[3].redundancy.map(\.timestampOffset) == [1_920, 960])
        #expect(packets[3].redundancy.map(\.payload) == [packets[1].payload, packets[2].payload])
        #expect(throws: CodecError.self) { try VoiceSender(senderID: 1, settings: OpusSettings(), redundantFrames: 9) }
    }

    /// Three frames to a packet: the newest is the primary, the two before it travel bundled;
    /// sequence numbers count packets; copies repeat the whole packet before.
    @Test func framesTravelTogetherInLongerPackets() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings(), redundantFrames: 1)
        try sender.setFramesPerPacket(3)
        let frames = TestSignals.frames(TestSignals.voiced(seconds: 0.2), frameSamples: 960)
        let made = try frames.prefix(9).map { try sender.packetize($0) }
        #expect(made.map { $0 != nil } == [false, false, true, false, false, true, false, false, true])
        let packets = made.compactMap { $0 }
        #expect(packets.map(\.sequenceNumber) == [0, 1, 2])
        #expect(packets.map(\.timestamp) == [UInt32(1_920), 4_800, 7_680])
        #expect(packets.allSatisfy { $0.bundledFrames.map(\.timestampOffset) == [1_920, 960] })
        #expect(packets.map { $0.flags.contains(.talkspurtStart) } == [true, false, false])
        #expect(packets[0].redundancy.isEmpty)
        #expect(packets[1].redundancy.map(\.timestampOffset) == [4_800, 3_840, 2_880])
        #expect(packets[1].redundancy.map(\.payload) == packets[0].bundledFrames.map(\.payload) + [packets[0].payload])
        #expect(sender.statistics.packetsSent == 3 && sender.statistics.framesEncoded == 9)
        let bytes = packets.reduce(0) { $0 + $1.payload.count + $1.bundledFrames.reduce(0) { $0 + $1.payload.count } }
        #expect(sender.statistics.payloadBytesSent == bytes)
        #expect(throws: CodecError.self) { try sender.setFramesPerPacket(0) }
        #expect(throws: CodecError.self) { try sender.setFramesPerPacket(VoicePacket.maxBundledFrames + 2) }
    }

    /// Silence does not wait for the packet to fill: the DTX marker goes at once with what was
    /// held before it, and muting drops what was held.
    @Test func silenceFlushesAHeldPacket() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings(dtx: true))
        try sender.setFramesPerPacket(3)
        let speech = TestSignals.frames(TestSignals.voiced(seconds: 1), frameSamples: 960)
        let silence = [Float](repeating: 0, count: 960)
        var packets: [VoicePacket] = []
        for f in speech.prefix(49) { if let p = try sender.packetize(f) { packets.append(p) } }
        #expect(packets.count == 16)  // 48 frames sent, one held
        var marker: VoicePacket?
        var sinceLast = 1  // the held frame
        var frameCounts: [Int] = []
        for _ in 0..<100 where marker == nil {
            sinceLast += 1
            guard let p = try sender.packetize(silence) else { continue }
            #expect(p.frameCount == sinceLast, "a packet carries every frame since the last one")
            frameCounts.append(p.frameCount)
            sinceLast = 0
            if p.flags.contains(.dtx) { marker = p }
        }
        _ = try #require(marker)
        #expect(frameCounts.last == 2, "the marker did not wait for a third frame: \(frameCounts)")
        let sent = sender.statistics.packetsSent
        #expect(try sender.packetize(speech[0]) == nil)
        sender.skipFrame()
        #expect(try sender.packetize(speech[1]) == nil)
        #expect(try sender.packetize(speech[2]) == nil)
        let next = try #require(try sender.packetize(speech[3]))
        #expect(sender.statistics.packetsSent == sent + 1 && next.frameCount == 3)
        #expect(next.flags.contains(.talkspurtStart), "the frame before the mute was dropped")
    }

    /// Copies from the low-bitrate encoder: other bytes than the primary's, about half its size
    /// at 16 against 32 kbit/s, and each decodes to the frame it stands for.
    @Test func copiesComeFromALowBitrateEncoder() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings(), redundantFrames: 1, copyBitrate: 16_000)
        let frames = TestSignals.frames(TestSignals.voiced(seconds: 1), frameSamples: 960)
        let packets = try frames.map { try #require(try sender.packetize($0)) }
        let copies = packets.dropFirst(10).flatMap(\.redundancy).map(\.payload.count)
        let primaries = packets.dropFirst(10).map(\.payload.count)
        let ratio = Double(copies.reduce(0, +)) / Double(primaries.reduce(0, +))
        #expect(ratio > 0.35 && ratio < 0.65, "copies are \(ratio) of the primaries' bytes")
        #expect(packets[20].redundancy[0].payload != packets[19].payload)
        let decoder = try OpusDecoder(frameMilliseconds: 20)
        var out = [Float](repeating: 0, count: 960)
        let decoded = try out.withUnsafeMutableBufferPointer { (o) throws(CodecError) in
            try decoder.decode(packets[20].redundancy[0].payload, into: o)
        }
        #expect(decoded == 960)
        #expect(throws: CodecError.self) { try VoiceSender(senderID: 1, settings: OpusSettings(), copyBitrate: 1_000) }
    }

    /// Protection changes between two frames: FEC flags, copies filling up to the new depth and
    /// shrinking, and nothing at all once it is off again.
    @Test func protectionChangesBetweenFrames() throws {
        let sender = try VoiceSender(senderID: 1, settings: OpusSettings())
        let frames = TestSignals.frames(TestSignals.voiced(seconds: 1), frameSamples: 960)
        var index = 0
        func next() throws -> VoicePacket {
            index += 1
            return try #require(try sender.packetize(frames[index - 1]))
        }
        #expect(try next().flags.contains(.fec) == false)
        try sender.setProtection(inbandFEC: true, expectedLossPercent: 10, copyOffsets: [], copyBitrate: nil)
        let fec = try next()
        #expect(fec.flags.contains(.fec) && fec.redundancy.isEmpty)
        #expect(sender.encoder.settings.inbandFEC && sender.encoder.settings.expectedLossPercent == 10)
        try sender.setProtection(inbandFEC: false, expectedLossPercent: 0, copyOffsets: [1, 3], copyBitrate: 16_000)
        let spread = try (0..<4).map { _ in try next() }
        // The frame before the change had no copy made: the copies fill up from the change on,
        // the one three frames back last; the oldest copy goes first in the packet.
        #expect(spread.map(\.redundancy.count) == [0, 1, 1, 2] && spread.allSatisfy { !$0.flags.contains(.fec) })
        #expect(spread[3].redundancy.map(\.timestampOffset) == [2_880, 960])
        try sender.setProtection(inbandFEC: false, expectedLossPercent: 0, copyOffsets: [1], copyBitrate: 16_000)
        #expect(try next().redundancy.map(\.timestampOffset) == [960])
        try sender.setProtection(inbandFEC: false, expectedLossPercent: 0, copyOffsets: [], copyBitrate: nil)
        let none = try next()
        #expect(none.redundancy.isEmpty && !none.flags.contains(.fec))
        #expect(throws: CodecError.self) {
            try sender.setProtection(inbandFEC: true, expectedLossPercent: 101, copyOffsets: [], copyBitrate: nil)
        }
        #expect(throws: CodecError.self) {
            try sender.setProtection(inbandFEC: false, expectedLossPercent: 0, copyOffsets: [3, 1], copyBitrate: nil)
        }
        #expect(sender.encoder.settings.expectedLossPercent == 0)
    }
}

@Suite struct ParticipantTests {
    /// Through the client that feeds it: garbage and voice from a stranger are counted and dropped,
    /// a peer's frame reaches its receiver and its arrival figures.
    @Test func malformedAndForeignPacketsAreCountedAndDropped() throws {
        let a = RoomAddress.ipv4(0x0A00_0001, port: 9_993), b = RoomAddress.ipv4(0x0A00_0002, port: 9_993)
        let mesh = [VoiceClient.Member(clientID: "alice", address: a), VoiceClient.Member(clientID: "bob", address: b)]
        let alice = try VoiceClient(clientID: "alice", membership: .fixed(mesh))
        let bob = try VoiceClient(clientID: "bob", membership: .fixed(mesh))
        _ = alice.receive(bytes: [1, 2, 3], from: b, now: .zero)
        _ = alice.receive(
            bytes: VoicePacket(senderID: 77, sequenceNumber: 0, timestamp: 0, payload: [1]).serialize(), from: b, now: .zero)
        #expect(alice.participant.statistics.malformedPackets == 1)
        #expect(alice.participant.statistics.unknownSenderPackets == 1)
        let sends = try bob.capture(TestSignals.voiced(seconds: 0.02), now: .zero)
        #expect(sends.count == 1)
        for case let .send(bytes, to) in sends {
            #expect(to == a)
            _ = alice.receive(bytes: bytes, from: b, now: .milliseconds(10))
        }
        #expect(alice.receiver(for: "bob")?.statistics.packetsReceived == 1)
        #expect(alice.arrivals(from: "bob")?.received == 1 && alice.arrivals(from: "bob")?.lossRatio == 0)
    }

    @Test func voiceFollowsPeers() throws {
        let alice = try Participant(id: 1)
        let frame = TestSignals.voiced(seconds: 0.02)
        #expect(try alice.encode(frame) == nil)  // nobody to send to
        try alice.addPeer(2)
        try alice.addPeer(3)
        try alice.addPeer(1)  // self is ignored
        #expect(alice.peers == [2, 3])
        #expect(try alice.encode(frame) != nil)
        alice.removePeer(2)
        #expect(alice.peers == [3])
        #expect(alice.receiver(for: 2) == nil)
        alice.muted = true
        #expect(try alice.encode(frame) == nil)
    }
}
