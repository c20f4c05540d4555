@testable import Concord
import Testing

/// Issue 12, items 1, 2, 7 and the responder's RTT, through the real `SecureTransport` API:
/// forged initiations cost no derivation, replays from spoofed addresses get no more bytes
/// back than they brought and bounded work, a restarted client counts old traffic as stale.
@Suite struct FloodAndReflectionTests {
    let room = TestRoom(roomID: "lobby")
    let a = RoomAddress.ipv4(0x0A00_0001, port: 7400)
    let b = RoomAddress.ipv4(0x0A00_0002, port: 7400)

    func transport(_ id: String, salt: UInt8, settings: SecureTransport.Settings = .init()) -> SecureTransport {
        SecureTransport(
            roomKey: room.roomKey, identity: .generate(), clientID: id, sessionSalt: [UInt8](repeating: salt, count: 16),
            settings: settings)
    }

    func sends(_ effects: [OutboundDatagram]) -> [(bytes: [UInt8], to: RoomAddress)] {
        effects.compactMap { if case .send(let bytes, let to) = $0 { return (bytes, to) } else { return nil } }
    }

    func heartbeat(from id: String) -> [UInt8] {
        let record = MemberRecord(
            clientID: id, incarnation: 0, heartbeat: 1, status: .alive, displayName: "", address: .ipv4(1, port: 1))
        return RoomMessage(roomID: "lobby", senderID: id, senderIncarnation: 0, body: .heartbeat(record, digest: 7)).serialize()
    }

    func spoofed(_ i: Int) -> RoomAddress { .ipv4(0x0B00_0000 | UInt32(i), port: 9000) }

    /// What an outsider who knows the public room tag can send: a well-formed initiation with a
    /// fresh random salt, random ciphertext, tag and mac.
    func forgedInitiation(_ rng: inout SeededGenerator) -> [UInt8] {
        var bytes = SecureWire.header(.initiation) + (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        bytes.appendBigEndian(UInt32(room.roomKey.roomTag) << 16)
        while bytes.count < SecureWire.minimumBootstrapBytes { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
        return bytes
    }

    /// Runs alice ⇄ bob to a confirmed session, both directions; returns the time reached.
    @discardableResult
    func handshake(_ alice: SecureTransport, _ bob: SecureTransport, at start: Double, delay: Double = 10) -> Double {
        var t = start
        var toBob = sends(alice.send(heartbeat(from: "alice"), to: b, now: .milliseconds(t))).map(\.bytes)
        var toAlice: [[UInt8]] = []
        while !toBob.isEmpty || !toAlice.isEmpty {
            t += delay
            let inBob = toBob
            toBob = []
            for bytes in inBob { toAlice += sends(bob.receive(bytes, from: a, now: .milliseconds(t)).effects).map(\.bytes) }
            let inAlice = toAlice
            toAlice = []
            t += delay
            for bytes in inAlice { toBob += sends(alice.receive(bytes, from: b, now: .milliseconds(t)).effects).map(\.bytes) }
        }
        return t
    }

    @Test func forgedInitiationsCostNoDerivationNoStateAndNoReply() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        var rng = SeededGenerator(seed: 12)
        // 20 000 forged initiations at 40 000/s from 256 spoofed addresses, while alice and bob
        // make their session in the middle of it.
        var replies = 0
        for i in 0..<20_000 {
            let now = Instant.milliseconds(Double(i) / 40)
            replies += alice.receive(forgedInitiation(&rng), from: spoofed(i % 256), now: now).effects.count
            if i == 10_000 { handshake(alice, bob, at: 250, delay: 0.01) }
        }
        #expect(replies == 0)
        #expect(alice.counters.forged == 20_000)
        let s = alice.statistics
        #expect(s.handshakeWork == 1, "only bob's response (its salt and its offer): \(s)")
        #expect(s.bootstrapKeysDerived == 1 && s.handshakesCompleted == 1)
        #expect(alice.pendingHandshakes == (0, 0) && alice.sessionAddresses == [b])
        #expect(bob.peer(at: a) != nil)
    }

    /// Genuine initiations of a real member (a capture), replayed from 1000 spoofed addresses
    /// within 100 ms: the work done is the budget's, the state held is bounded, and no
    /// address gets back more bytes than it sent.
    @Test func replayedInitiationsFromSpoofedAddressesAreBudgetedBoundedAndNeverAmplified() throws {
        let carol = transport("carol", salt: 3)
        // 1000 initiations under carol's salt, each with its own counter: each one fresh.
        var capture: [[UInt8]] = []
        for i in 0..<1000 {
            capture += sends(carol.send(heartbeat(from: "carol"), to: spoofed(50_000 + i), now: .zero)).map(\.bytes)
        }
        #expect(capture.count == 1000 && capture.allSatisfy { $0.count == SecureWire.minimumBootstrapBytes })
        let alice = transport("alice", salt: 1)
        var received: [RoomAddress: Int] = [:]
        var sent: [RoomAddress: Int] = [:]
        for (i, bytes) in capture.enumerated() {
            let from = spoofed(i)
            received[from, default: 0] += bytes.count
            let effects = alice.receive(bytes, from: from, now: .milliseconds(Double(i) / 10)).effects
            for (out, to) in sends(effects) { sent[to, default: 0] += out.count }
        }
        let budget = alice.settings.handshakeBudget.total
        #expect(alice.statistics.handshakeWork <= Int(budget.burst + budget.perSecond * 0.1) + 1)
        #expect(alice.statistics.handshakeWork >= Int(budget.burst), "the budget is used, not starved")
        #expect(alice.counters.throttled == 1000 - alice.statistics.handshakeWork)
        #expect(alice.pendingHandshakes.unconfirmed <= alice.settings.pendingHandshakeLimit)
        #expect(alice.statistics.pendingEvicted > 0 && alice.sessionAddresses.isEmpty)
        for (to, bytes) in sent { #expect(bytes <= received[to] ?? 0, "\(to): \(bytes) B out for \(received[to] ?? 0) B in") }
        // Later retransmissions of the answered offers (the replays again): answered once per
        // datagram at most, never more bytes than came in.
        for (i, bytes) in capture.prefix(300).enumerated() {
            received[spoofed(i), default: 0] += bytes.count
            let effects = alice.receive(bytes, from: spoofed(i), now: .milliseconds(1000)).effects
            for (out, to) in sends(effects) { sent[to, default: 0] += out.count }
        }
        #expect(sent.allSatisfy { $0.value <= received[$0.key] ?? 0 })
        #expect(alice.counters.replayed == 300, "the same salt and counters: caught by the replay window")
    }

    /// A replayed broadcast from an unverified address gets one initiation, no larger, and its
    /// retries only as further broadcasts from there pay for them.
    @Test func aHeardBroadcastBuysOneInitiationNotTwelve() throws {
        let carol = transport("carol", salt: 3)
        let announce = carol.broadcast(heartbeat(from: "carol"), now: .zero)
        guard case .broadcast(let bytes) = announce.first else {
            Issue.record("no broadcast")
            return
        }
        #expect(bytes.count >= SecureWire.minimumBootstrapBytes)
        let alice = transport("alice", salt: 1)
        let victim = spoofed(1)
        var out = sends(alice.receive(bytes, from: victim, now: .zero).effects)
        for t in stride(from: 50.0, through: 5000, by: 50) { out += sends(alice.tick(now: .milliseconds(t))) }
        #expect(out.count == 1 && out[0].bytes.count <= bytes.count)
        #expect(alice.statistics.repliesWithheld == alice.settings.handshakeAttempts - 1)
        #expect(alice.statistics.handshakesTimedOut == 1 && alice.pendingHandshakes == (0, 0))
    }

    /// Replayed broadcasts from 100 spoofed addresses: at most `pendingHandshakeLimit`
    /// initiations (with their held broadcasts) exist at once; the rest are refused and counted.
    @Test func initiationsStartedOnHeardBroadcastsAreBounded() throws {
        let carol = transport("carol", salt: 3)
        let alice = transport("alice", salt: 1)
        var initiations = 0
        for i in 0..<100 {
            guard case .broadcast(let bytes) = carol.broadcast(heartbeat(from: "carol"), now: .zero).first else { continue }
            initiations += sends(alice.receive(bytes, from: spoofed(i), now: .milliseconds(Double(i))).effects).count
        }
        #expect(initiations == alice.settings.pendingHandshakeLimit)
        #expect(alice.pendingHandshakes.heardInitiations == alice.settings.pendingHandshakeLimit)
        #expect(alice.statistics.pendingEvicted == 100 - alice.settings.pendingHandshakeLimit)
        // Once they time out, the room for new ones is back.
        for t in stride(from: 100.0, through: 4000, by: 100) { _ = alice.tick(now: .milliseconds(t)) }
        #expect(alice.pendingHandshakes == (0, 0))
    }

    @Test func heardInitiationsAreRetriedOnTheCreditOfLaterBroadcasts() throws {
        let carol = transport("carol", salt: 3)
        let alice = transport("alice", salt: 1)
        func announce(_ t: Double) -> [UInt8] {
            guard case .broadcast(let bytes) = carol.broadcast(heartbeat(from: "carol"), now: .milliseconds(t)).first else { return [] }
            return bytes
        }
        var out = sends(alice.receive(announce(0), from: b, now: .zero).effects)  // initiation lost
        out += sends(alice.tick(now: .milliseconds(250)))  // no credit: withheld
        #expect(out.count == 1)
        _ = alice.receive(announce(300), from: b, now: .milliseconds(300))  // pays one retry
        let retry = sends(alice.tick(now: .milliseconds(500)))
        #expect(retry.count == 1)
        // The retry reaches carol, who answers; alice's session is verified by the answer.
        let response = sends(carol.receive(retry[0].bytes, from: a, now: .milliseconds(510)).effects)
        let (delivered, effects) = alice.receive(response[0].bytes, from: b, now: .milliseconds(520))
        #expect(alice.sessionAddresses == [b])
        #expect(delivered.count == 2, "both announces held until the session existed")
        #expect(alice.peer(at: b)?.handshakeRTTMilliseconds == 20)
        #expect(sends(effects).count == 1, "a confirm")
    }

    @Test func theResponderKnowsTheHandshakeRTTToo() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        let initiation = sends(alice.send(heartbeat(from: "alice"), to: b, now: .zero))[0].bytes
        let response = sends(bob.receive(initiation, from: a, now: .milliseconds(5)).effects)[0].bytes
        #expect(bob.peer(at: a) == nil, "unconfirmed: alice has not shown she got the answer")
        #expect(bob.pendingHandshakes.unconfirmed == 1)
        let confirmAndQueued = sends(alice.receive(response, from: b, now: .milliseconds(40)).effects)
        #expect(alice.peer(at: b)?.handshakeRTTMilliseconds == 40)
        _ = bob.receive(confirmAndQueued[0].bytes, from: a, now: .milliseconds(75))
        #expect(bob.peer(at: a)?.handshakeRTTMilliseconds == 70, "from bob's response (5 ms) to alice's confirm (75 ms)")
        #expect(bob.pendingHandshakes.unconfirmed == 0)
    }

    @Test func simultaneousInitiationsMeasureTheRTTOnBothSides() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        let fromAlice = sends(alice.send(heartbeat(from: "alice"), to: b, now: .zero))[0].bytes
        let fromBob = sends(bob.send(heartbeat(from: "bob"), to: a, now: .zero))[0].bytes
        let bobAnswer = sends(bob.receive(fromAlice, from: a, now: .milliseconds(15)).effects)
        let aliceAnswer = sends(alice.receive(fromBob, from: b, now: .milliseconds(15)).effects)
        #expect(bobAnswer.count == 1 && aliceAnswer.count == 1, "a response each, nothing else yet")
        let bobHeard = bob.receive(aliceAnswer[0].bytes, from: a, now: .milliseconds(30))
        let aliceHeard = alice.receive(bobAnswer[0].bytes, from: b, now: .milliseconds(30))
        #expect(alice.peer(at: b)?.handshakeRTTMilliseconds == 30 && bob.peer(at: a)?.handshakeRTTMilliseconds == 30)
        // Each side's queued heartbeat now goes out under the new keys and opens on the other.
        let toBob = sends(aliceHeard.effects).map(\.bytes)
        let toAlice = sends(bobHeard.effects).map(\.bytes)
        #expect(toBob.flatMap { bob.receive($0, from: a, now: .milliseconds(45)).delivered }.map(\.bytes) == [heartbeat(from: "alice")])
        #expect(toAlice.flatMap { alice.receive($0, from: b, now: .milliseconds(45)).delivered }.map(\.bytes) == [heartbeat(from: "bob")])
        #expect(alice.counters.dropped == 0 && bob.counters.dropped == 0, "\(alice.counters) \(bob.counters)")
    }

    /// Item 7: after bob restarts, alice's traffic under the old session is `stale`.
    @Test func trafficFromBeforeARestartIsStaleNotWrongRoom() throws {
        let alice = transport("alice", salt: 1)
        let bob = transport("bob", salt: 2)
        let t = handshake(alice, bob, at: 0)
        let restarted = transport("bob", salt: 9)
        for i in 0..<25 {
            let out = sends(alice.send(plainVoice(sender: 3, sequence: UInt16(i)), to: b, now: .milliseconds(t + Double(i) * 20)))
            #expect(out.count == 1)
            let (delivered, effects) = restarted.receive(out[0].bytes, from: a, now: .milliseconds(t + Double(i) * 20))
            #expect(delivered.isEmpty && effects.isEmpty, "nothing is answered to what cannot be opened")
        }
        #expect(restarted.counters.stale == 25 && restarted.counters.wrongRoom == 0 && restarted.counters.unknownKey == 0)
        // The restarted bob makes a new session; until alice hears bob's confirm she still
        // sends under the old one: stale too, not forged. Her first packet under the new
        // session ends that grace; forgeries after it are forged.
        let initiation = sends(restarted.send(heartbeat(from: "bob"), to: a, now: .milliseconds(t + 600)))[0].bytes
        let response = sends(alice.receive(initiation, from: b, now: .milliseconds(t + 610)).effects)[0].bytes
        let confirmAndQueued = sends(restarted.receive(response, from: a, now: .milliseconds(t + 620)).effects).map(\.bytes)
        let old = sends(alice.send(plainVoice(sender: 3, sequence: 99), to: b, now: .milliseconds(t + 625)))[0].bytes
        _ = restarted.receive(old, from: a, now: .milliseconds(t + 630))
        #expect(restarted.counters.stale == 26 && restarted.counters.forged == 0)
        for bytes in confirmAndQueued { _ = alice.receive(bytes, from: b, now: .milliseconds(t + 640)) }
        let fresh = sends(alice.send(plainVoice(sender: 3, sequence: 100), to: b, now: .milliseconds(t + 645)))[0].bytes
        #expect(restarted.receive(fresh, from: a, now: .milliseconds(t + 650)).delivered.count == 1)
        var tampered = fresh
        tampered[tampered.count - 1] ^= 1
        tampered[VoicePacket.headerLength + SealedFormat.keyIDLength + 7] &+= 1  // a fresh counter
        _ = restarted.receive(tampered, from: a, now: .milliseconds(t + 660))
        #expect(restarted.counters.forged == 1 && restarted.counters.stale == 26)
        // Another room's pair traffic is still wrong room.
        let stranger = SecureTransport(
            roomKey: room.stranger().roomKey, identity: .generate(), clientID: "mallory", sessionSalt: [UInt8](repeating: 5, count: 16))
        let strangerPeer = SecureTransport(
            roomKey: stranger.roomKey, identity: .generate(), clientID: "mallet", sessionSalt: [UInt8](repeating: 6, count: 16))
        handshake(stranger, strangerPeer, at: 0)
        let foreign = sends(stranger.send(plainVoice(), to: b, now: .seconds(1)))[0].bytes
        _ = restarted.receive(foreign, from: a, now: .seconds(1))
        #expect(restarted.counters.wrongRoom == 1 && restarted.counters.stale == 26)
    }

    @Test func repeatedForgeriesOfTheNextGenerationDeriveItOnce() throws {
        let opener = PacketOpener<PeerID>()
        let key = try room.pairKey()
        opener.install(key, for: 1)
        var rng = SeededGenerator(seed: 3)
        for counter in 0..<200 {
            var bytes = Array(plainVoice().prefix(VoicePacket.headerLength))
            bytes[2] |= 0x80
            bytes.appendBigEndian(key.keyID + 1)  // the next generation
            bytes.appendBigEndian(UInt64(counter))
            bytes += (0..<40).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(throws: SecurityError.forged) { try opener.open(bytes, headerLength: VoicePacket.headerLength, sender: 1) }
        }
        // The genuine next generation still opens (the kept key is the right one).
        let sealer = PacketSealer(key: key, rekeyAfterPackets: 1)
        _ = try sealer.sealVoice(plainVoice(sender: 1))
        #expect(try opener.openVoice(try sealer.sealVoice(plainVoice(sender: 1)), from: 1) == plainVoice(sender: 1))
        #expect(opener.counters.forged == 200 && opener.counters.opened == 1)
        #expect(opener.nextKeysDerived == 1, "derived once, not once per forgery")
    }
}
