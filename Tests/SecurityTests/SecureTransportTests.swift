@testable import Concord
import Testing

/// Two `SecureTransport`s wired by hand: the handshake's messages, retries and refusals.
@Suite struct SecureTransportTests {
    let room = TestRoom(roomID: "lobby")
    let a = RoomAddress.ipv4(0x0A00_0001, port: 7400)
    let b = RoomAddress.ipv4(0x0A00_0002, port: 7400)

    func transport(_ id: String, salt: UInt8, room: TestRoom? = nil) -> SecureTransport {
        SecureTransport(
            roomKey: (room ?? self.room).roomKey, identity: .generate(), clientID: id,
            sessionSalt: [UInt8](repeating: salt, count: 16))
    }

    func sends(_ effects: [OutboundDatagram]) -> [[UInt8]] {
        effects.compactMap { if case .send(let bytes, _) = $0 { return bytes } else { return nil } }
    }

    func heartbeat(from id: String) -> [UInt8] {
        let record = MemberRecord(
            clientID: id, incarnation: 0, heartbeat: 1, status: .alive, displayName: "", address: .ipv4(1, port: 1))
        return RoomMessage(roomID: "lobby", senderID: id, senderIncarnation: 0, body: .heartbeat(record, digest: 7)).serialize()
    }

    @Test func firstSendQueuesUntilTheHandshakeCompletes() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        let voice = plainVoice(sender: VoicePeers.voiceID(for: "alice"))
        let initiation = sends(alice.send(voice, to: b, now: .zero))
        #expect(initiation.count == 1 && initiation[0][1] == PacketType.security.rawValue && initiation[0][3] == 2)
        let (nothing, response) = bob.receive(initiation[0], from: a, now: .milliseconds(10))
        #expect(nothing.isEmpty && sends(response).count == 1)
        let (_, afterResponse) = alice.receive(sends(response)[0], from: b, now: .milliseconds(20))
        let out = sends(afterResponse)
        #expect(out.count == 2, "a confirm, then the queued voice packet")
        #expect(alice.peer(at: b)?.handshakeRTTMilliseconds == 20)
        #expect(alice.peer(at: b)?.fingerprint == bob.identity.fingerprint)
        #expect(initiation[0].count == SecureWire.minimumBootstrapBytes && sends(response)[0].count == initiation[0].count)
        var delivered: [SecureTransport.Delivered] = []
        for bytes in out { delivered += bob.receive(bytes, from: a, now: .milliseconds(30)).delivered }
        #expect(delivered.map(\.bytes) == [voice])
        #expect(delivered.first?.clientID == "alice" && delivered.first?.identity == alice.identity)
        #expect(bob.counters.opened == 3 && bob.counters.dropped == 0)
        #expect(out[1].count == voice.count + SealedFormat.overhead)
    }

    /// A satellite path: the handshake takes 600 ms, the talker speaks from the start. Only the
    /// voice of the last `queuedVoiceLifetime` goes out with the session; room messages all do.
    func aliceVoice(_ sequence: UInt16) -> [UInt8] { plainVoice(sender: VoicePeers.voiceID(for: "alice"), sequence: sequence) }

    @Test func voiceTooOldForItsHandshakeIsDroppedAndRoomMessagesAreNot() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        var dropped: [(UInt16, RoomAddress)] = []
        alice.onStaleVoiceDropped = { plain, address in
            dropped.append(((try? VoicePacket.Header.parse(plain))?.sequenceNumber ?? .max, address))
        }
        let initiation = sends(alice.send(aliceVoice(0), to: b, now: .zero))
        _ = alice.send(heartbeat(from: "alice"), to: b, now: .milliseconds(1))
        for sequence in UInt16(1)...29 {  // 20 ms frames until the response, 600 ms later
            _ = alice.send(aliceVoice(sequence), to: b, now: .milliseconds(Double(sequence) * 20))
        }
        #expect(alice.statistics.staleVoiceDrops == 27, "frames 0...26 waited over 40 ms by frame 29's turn")
        let (_, response) = bob.receive(initiation[0], from: a, now: .milliseconds(300))
        let (_, opened) = alice.receive(sends(response)[0], from: b, now: .milliseconds(600))
        var delivered: [[UInt8]] = []
        for bytes in sends(opened) { delivered += bob.receive(bytes, from: a, now: .milliseconds(900)).delivered.map(\.bytes) }
        // At 600 ms frames 28 (560 ms) and 29 (580 ms) are young enough; frame 27 (540 ms) is not.
        #expect(delivered == [heartbeat(from: "alice"), aliceVoice(28), aliceVoice(29)])
        #expect(alice.statistics.staleVoiceDrops == 28 && alice.statistics.queueDrops == 0)
        #expect(dropped.map(\.0) == Array(0...27) && dropped.allSatisfy { $0.1 == b })
        // The session is open: voice goes straight out, whatever the time.
        #expect(sends(alice.send(aliceVoice(30), to: b, now: .milliseconds(5000))).count == 1)
    }

    /// Stale voice never fills the queue: a handshake that takes long still queues every room
    /// message sent while it runs.
    @Test func staleVoiceDoesNotCrowdRoomMessagesOutOfTheQueue() {
        let alice = transport("alice", salt: 1)
        for i in 0..<200 {
            _ = alice.send(aliceVoice(UInt16(i)), to: b, now: .milliseconds(Double(i) * 20))
            if i % 20 == 0 { _ = alice.send(heartbeat(from: "alice"), to: b, now: .milliseconds(Double(i) * 20)) }
        }
        #expect(alice.statistics.queueDrops == 0, "at most three voice frames waiting at once, and ten room messages")
        #expect(alice.statistics.staleVoiceDrops == 197)
    }

    @Test func lostMessagesAreRetriedAndDuplicatesAnsweredOnce() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        _ = alice.send(heartbeat(from: "alice"), to: b, now: .zero)  // initiation lost
        let retry = sends(alice.tick(now: .milliseconds(250)))
        #expect(retry.count == 1)
        let response = sends(bob.receive(retry[0], from: a, now: .milliseconds(260)).effects)  // response lost
        #expect(response.count == 1)
        let retry2 = sends(alice.tick(now: .milliseconds(500)))
        let again = sends(bob.receive(retry2[0], from: a, now: .milliseconds(510)).effects)
        #expect(again.count == 1, "the same offer is answered again with the same response")
        let confirm = sends(alice.receive(again[0], from: b, now: .milliseconds(520)).effects)
        _ = alice.receive(response[0], from: b, now: .milliseconds(521))  // a late duplicate: ignored
        #expect(alice.statistics.handshakesCompleted == 1 && alice.statistics.staleResponses == 0)
        #expect(bob.statistics.handshakesCompleted == 0, "unconfirmed until alice's first packet under the keys")
        for bytes in confirm { _ = bob.receive(bytes, from: a, now: .milliseconds(530)) }
        #expect(bob.statistics.handshakesCompleted == 1 && bob.peer(at: a)?.handshakeRTTMilliseconds == 20)
    }

    @Test func unansweredHandshakesTimeOutAndDropTheQueue() throws {
        let alice = transport("alice", salt: 1)
        for i in 0..<70 { _ = alice.send(heartbeat(from: "alice"), to: b, now: .milliseconds(Double(i))) }
        var t = 0.0
        var initiations = 1
        while t < 5000 {
            t += 50
            initiations += sends(alice.tick(now: .milliseconds(t))).count
        }
        #expect(initiations == alice.settings.handshakeAttempts)
        #expect(alice.statistics.handshakesTimedOut == 1)
        #expect(alice.statistics.queueDrops == 70, "64 queued then dropped, 6 refused at the limit")
    }

    @Test func simultaneousInitiationsAgree() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        var toBob = sends(alice.send(heartbeat(from: "alice"), to: b, now: .zero))
        var toAlice = sends(bob.send(heartbeat(from: "bob"), to: a, now: .zero))
        var atBob: [[UInt8]] = []
        var atAlice: [[UInt8]] = []
        var t = 0.0
        while !toBob.isEmpty || !toAlice.isEmpty {
            t += 5
            let (inBob, inAlice) = (toBob, toAlice)
            (toBob, toAlice) = ([], [])
            for bytes in inBob {
                let (d, e) = bob.receive(bytes, from: a, now: .milliseconds(t))
                atBob += d.map(\.bytes)
                toAlice += sends(e)
            }
            for bytes in inAlice {
                let (d, e) = alice.receive(bytes, from: b, now: .milliseconds(t))
                atAlice += d.map(\.bytes)
                toBob += sends(e)
            }
        }
        #expect(atBob == [heartbeat(from: "alice")] && atAlice == [heartbeat(from: "bob")])
        #expect(alice.counters.dropped == 0 && bob.counters.dropped == 0)
        #expect(alice.statistics.handshakesCompleted == 1 && bob.statistics.handshakesCompleted == 1)
    }

    @Test func strangersAndGarbageAreCountedNotAnswered() throws {
        let alice = transport("alice", salt: 1)
        let mallory = transport("mallory", salt: 3, room: room.stranger())
        let initiation = sends(mallory.send(heartbeat(from: "mallory"), to: a, now: .zero))
        let (delivered, effects) = alice.receive(initiation[0], from: b, now: .zero)
        #expect(delivered.isEmpty && effects.isEmpty)
        #expect(alice.counters.wrongRoom == 1)
        // Correct room tag, random salt and ciphertext: forged, and nothing is remembered.
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<500 {
            var bytes = SecureWire.header(.initiation) + (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.appendBigEndian(UInt32(room.roomKey.roomTag) << 16)
            while bytes.count < SecureWire.minimumBootstrapBytes { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
            #expect(alice.receive(bytes, from: b, now: .zero).effects.isEmpty)
        }
        #expect(alice.counters.forged == 500 && alice.sessionAddresses.isEmpty)
        #expect(alice.statistics.bootstrapKeysDerived == 0 && alice.statistics.handshakeWork == 0)
        for n in 0..<64 { _ = alice.receive([UInt8](repeating: 1, count: n), from: b, now: .zero) }
        #expect(alice.counters.malformed == 64)
        // Regression (fuzz-secure-transport): a bootstrap header cut short before its salt ends.
        for n in 4..<(SecureWire.bootstrapHeaderLength + SealedFormat.overhead) {
            _ = alice.receive(Array((SecureWire.header(.broadcast) + [UInt8](repeating: 9, count: 60)).prefix(n)), from: b, now: .zero)
        }
        #expect(alice.counters.malformed == 64 + SecureWire.bootstrapHeaderLength + SealedFormat.overhead - 4)
        // A bootstrap datagram shorter than the padded minimum could be answered with more
        // bytes than it brought: refused before any check.
        _ = alice.receive(SecureWire.header(.broadcast) + [UInt8](repeating: 9, count: 200), from: b, now: .zero)
        #expect(alice.counters.malformed == 65 + SecureWire.bootstrapHeaderLength + SealedFormat.overhead - 4)
        #expect(alice.counters.opened == 0)
    }

    @Test func aResponseToNoOfferIsStale() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        let carol = transport("carol", salt: 4)
        let offer = sends(carol.send(heartbeat(from: "carol"), to: b, now: .zero))[0]
        let response = sends(bob.receive(offer, from: a, now: .zero).effects)[0]
        _ = alice.receive(response, from: b, now: .zero)  // alice never offered anything
        #expect(alice.statistics.staleResponses == 1 && alice.sessionAddresses.isEmpty)
    }
}
