@testable import Concord
import ConcordTesting
import SimNet
import Testing

/// Sealed rooms over SimNet: who can join, hear and speak, and what replays and forgeries do.
@Suite struct SecureRoomTests {
    static let everyone = ["client-0", "client-1", "client-2"]

    private func startThree(_ sim: SimNetRoom) { sim.startInTurn(3, gap: .milliseconds(300)) }

    @Test func membersJoinHearEachOtherAndText() throws {
        let sim = SimNetRoom(count: 3, seed: 11, sealing: .paired(), microphones: .tones)
        startThree(sim)
        sim.run(for: .seconds(3))
        try sim.sendText(0, "hello, sealed room")
        sim.run(for: .seconds(1))
        for i in 0..<3 {
            #expect(sim.view(i) == Self.everyone)
            let t = sim.transport(i)
            #expect(t.counters.dropped == 0, "node \(i): \(t.counters)")
            #expect(t.statistics.impersonations == 0 && t.statistics.handshakesRejected == 0)
            for j in 0..<3 where j != i {
                // ≥ 3 s of the 3.4 s since the last join decoded (handshake and buffering aside).
                #expect(sim.decodedSamples(i, from: j) > 3 * 48_000, "\(i) hears \(j)")
            }
            // The peer list shows each member's real fingerprint.
            for peer in sim.client(i).peers() {
                let j = Int(peer.clientID.dropFirst("client-".count))!
                #expect(sim.transport(i).peer(at: peer.address)?.fingerprint == sim.slots[j].identity.publicIdentity.fingerprint)
            }
        }
        #expect(sim.texts(1) == ["hello, sealed room"] && sim.texts(2) == ["hello, sealed room"])
    }

    /// The test: a non-member on the same network cannot join, decrypt or inject; its
    /// datagrams are all rejected and the members' audio is bit-identical to a run without it.
    @Test func outsiderCannotJoinHearOrSpeakAndLeavesAudioUntouched() throws {
        func run(withOutsider: Bool) -> SimNetRoom {
            let sim = SimNetRoom(count: 4, seed: 12, sealing: .paired(secrets: [3: .generate()]), microphones: .tones)
            startThree(sim)
            if withOutsider { sim.start(3) }
            sim.run(for: .seconds(3))
            if withOutsider {
                // Injection attempts into member 1: garbage, tampered and replayed member traffic
                // (spoofing member 0's address), and everything the outsider captured.
                var rng = SplitMix64(seed: 99)
                for _ in 0..<200 {
                    let garbage = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                    sim.inject(garbage, into: 1, from: sim.address(3))
                }
                let voice = sim.captured.last { $0.from == sim.address(0) && $0.to == sim.address(1) && PacketType(of: $0.bytes) == .voice }!
                // A fresh counter (ahead of the window), so it is judged by authentication.
                var tampered = voice.bytes
                tampered[VoicePacket.headerLength + SealedFormat.keyIDLength] = 0x7F
                sim.inject(tampered, into: 1, from: sim.address(0))
                sim.inject(voice.bytes, into: 1, from: sim.address(0))
            }
            sim.run(for: .seconds(1))
            return sim
        }
        let attacked = run(withOutsider: true)
        let clean = run(withOutsider: false)
        let outsider = attacked.transport(3)
        #expect(attacked.view(3) == ["client-3"], "the outsider made its own room and saw nobody")
        #expect(outsider.counters.opened == 0, "the outsider opened nothing")
        #expect(outsider.counters.wrongRoom > 0)
        #expect(attacked.client(3).participant.receivers.isEmpty)
        for i in 0..<3 {
            #expect(attacked.view(i) == Self.everyone)
            #expect(attacked.slots[i].mix == clean.slots[i].mix, "member \(i)'s audio is bit-identical")
            #expect(attacked.transport(i).statistics.handshakesCompleted == clean.transport(i).statistics.handshakesCompleted)
            #expect(attacked.transport(i).counters.wrongRoom > 0, "the outsider's broadcasts were rejected")
        }
        let c = attacked.transport(1).counters
        #expect(c.forged == 1 && c.replayed == 1, "\(c)")
        #expect(c.malformed + c.wrongRoom + c.unknownKey >= 200)
    }

    /// Everything sent to member 1 on day 1, replayed to it on day 2 (same secret, same
    /// identities, same addresses): nothing reaches the room.
    @Test func yesterdaysCaptureIsRejected() throws {
        let secret = RoomSecret.generate()
        let identities = (0..<3).map { _ in Identity.generate() }
        let day1 = SimNetRoom(
            count: 3, seed: 13, sealing: .paired(secret: secret, identities: identities), microphones: .tones)
        startThree(day1)
        day1.run(for: .seconds(2))
        try day1.sendText(0, "yesterday")
        day1.run(for: .seconds(1))
        #expect(day1.texts(1) == ["yesterday"])
        let capture = day1.captured.filter { $0.to == nil || $0.to == day1.address(1) }

        let day2 = SimNetRoom(
            count: 3, seed: 14, sealing: .paired(secret: secret, identities: identities), microphones: .tones)
        day2.start(0)
        day2.start(1)
        day2.run(for: .seconds(2))
        #expect(day2.view(1) == ["client-0", "client-1"])
        let before = day2.transport(1).counters
        let heardBefore = day2.decodedSamples(1, from: 0)
        let pairSealed = capture.filter { PacketType(of: $0.bytes) != .security || $0.bytes[3] == SecureWire.Kind.confirm.rawValue }
        for c in capture where c.from != day2.address(1) { day2.inject(c.bytes, into: 1, from: c.from) }
        day2.run(for: .seconds(4))
        let after = day2.transport(1).counters
        let rejected = (after.forged - before.forged) + (after.unknownKey - before.unknownKey)
            + (after.replayed - before.replayed) + (after.tooOld - before.tooOld) + (after.stale - before.stale)
        #expect(rejected == pairSealed.count, "every pair-sealed datagram of day 1 is rejected")
        #expect(day2.texts(1).isEmpty, "no text of day 1 is delivered again")
        #expect(day2.view(1) == ["client-0", "client-1"], "no member of day 1 comes back")
        // The replayed initiations did not cut the live session: 0 is still heard.
        #expect(day2.decodedSamples(1, from: 0) - heardBefore > 3 * 48_000)
    }

    /// Removing a member is a new room secret: the others restart with it; the former member,
    /// still holding the old one (and its identity), can neither rejoin nor be heard.
    @Test func removedMemberIsShutOutByTheNewSecret() throws {
        let old = RoomSecret.generate()
        let identities = (0..<3).map { _ in Identity.generate() }
        let sim = SimNetRoom(
            count: 3, seed: 19, sealing: .paired(secrets: [2: old], identities: identities), microphones: .tones)
        startThree(sim)
        sim.run(for: .seconds(4))
        for i in 0..<2 {
            #expect(sim.view(i) == ["client-0", "client-1"])
            #expect(sim.transport(i).counters.wrongRoom > 0 && sim.transport(i).counters.opened > 0)
            #expect(sim.decodedSamples(i, from: 2) == 0)
        }
        #expect(sim.view(2) == ["client-2"] && sim.transport(2).counters.opened == 0)
    }

    /// A member may not speak for another: a leave claiming to come from client-0, sent by
    /// client-2 through its own session, is dropped and counted.
    @Test func impersonationIsDropped() throws {
        let sim = SimNetRoom(count: 3, seed: 15, sealing: .paired(), microphones: .tones)
        startThree(sim)
        sim.run(for: .seconds(3))
        var record = sim.client(1).node!.membership["client-0"]!
        record.status = .left
        record.incarnation += 5
        let forgedLeave = RoomMessage(roomID: "lobby", senderID: "client-0", senderIncarnation: record.incarnation, body: .leave(record))
        sim.perform(sim.transport(2).send(forgedLeave.serialize(), to: sim.address(1), now: Instant(sim.now)).map(RoomEffect.init), slot: sim.slots[2])
        sim.run(for: .seconds(1))
        #expect(sim.transport(1).statistics.impersonations == 1)
        #expect(sim.view(1) == Self.everyone)
    }

    /// Time-based rekeying: a new handshake every second; voice never notices.
    @Test func timeBasedRekeyKeepsVoiceFlowing() throws {
        let sim = SimNetRoom(count: 2, seed: 16, sealing: .paired(), microphones: .tones)
        sim.transportSettings.rekeyInterval = 1000
        sim.start(0)
        sim.start(1)
        sim.run(for: .seconds(8))
        for i in 0..<2 {
            let t = sim.transport(i)
            // About one rekey per second after the first session (≈ 6.9 s of sessions).
            #expect((5...8).contains(t.statistics.sessionsReplaced), "node \(i): \(t.statistics)")
            #expect(t.counters.dropped == 0, "no packet lost to a key change: \(t.counters)")
            let r = sim.client(i).participant.receivers.first!
            #expect(r.statistics.concealedSamples <= 2 * sim.frameSamples, "\(r.statistics)")
        }
    }

    /// A client id that comes back with another identity key is flagged with both fingerprints.
    @Test func changedIdentityIsFlagged() throws {
        let sim = SimNetRoom(count: 2, seed: 17, sealing: .paired(), microphones: .tones)
        sim.start(0)
        sim.start(1)
        sim.run(for: .seconds(2))
        let old = sim.slots[1].identity.publicIdentity.fingerprint
        sim.crash(1)
        sim.run(for: .seconds(1))
        sim.slots[1].identity = .generate()
        sim.start(1)
        sim.run(for: .seconds(3))
        let changes = sim.transport(0).keyChanges
        #expect(changes.count == 1)
        #expect(changes.first?.clientID == "client-1" && changes.first?.previousFingerprint == old)
        #expect(changes.first?.newFingerprint == sim.slots[1].identity.publicIdentity.fingerprint)
        #expect(sim.view(0) == ["client-0", "client-1"])
        let peer = try #require(sim.client(0).peers().first)
        #expect(sim.transport(0).peer(at: peer.address)?.fingerprint == sim.slots[1].identity.publicIdentity.fingerprint)
        // Issue 12 item 7: member 0's traffic under the pre-restart session is stale.
        let restarted = sim.transport(1).counters
        #expect(restarted.stale > 0 && restarted.wrongRoom == 0 && restarted.unknownKey == 0, "\(restarted)")
    }

    /// Handshakes retry through loss: four members under 20 % random loss all meet and hear each other.
    @Test func handshakesSurviveLoss() throws {
        var lossy = PathConditions.ideal
        lossy.loss = .bernoulli(0.2)
        lossy.delay = .milliseconds(20)
        let sim = SimNetRoom(count: 4, seed: 18, conditions: lossy, sealing: .paired(), microphones: .tones)
        for i in 0..<4 { sim.start(i) }
        sim.run(for: .seconds(8))
        let all = (0..<4).map(SimNetRoom.clientID)
        for i in 0..<4 {
            #expect(sim.view(i) == all)
            #expect(sim.transport(i).counters.forged == 0)
            for j in 0..<4 where j != i { #expect(sim.decodedSamples(i, from: j) > 48_000, "\(i) hears \(j)") }
        }
    }
}
