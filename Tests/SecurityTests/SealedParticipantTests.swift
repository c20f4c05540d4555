import Foundation
import Testing
@testable import Concord

/// Two members talking through `SealedParticipant` over an in-memory exchange, with a third
/// party injecting packets. Audio is compared bit for bit with an undisturbed run.
@Suite struct SealedParticipantTests {
    static let frameMilliseconds = 20.0

    struct Member {
        let sealed: SealedParticipant
        let identity: Identity
        let salt: [UInt8]
    }

    static func member(_ id: PeerID, room: TestRoom, identity: Identity = .generate()) throws -> Member {
        let salt: [UInt8] = [UInt8(truncatingIfNeeded: id), 0xA5, 0x5A, 0x01]
        let participant = try Participant(id: id)
        let sealer = PacketSealer(key: room.key(for: id, identity: identity, salt: salt))
        return Member(sealed: SealedParticipant(participant: participant, groupSealer: sealer), identity: identity, salt: salt)
    }

    /// What each member learns from the others' signed announcements: sender key per peer.
    static func connect(_ members: [Member], room: TestRoom, ids: [PeerID]) throws {
        for (i, m) in members.enumerated() {
            for (j, other) in members.enumerated() where i != j {
                try m.sealed.participant.addPeer(ids[j])
                m.sealed.opener.install(room.key(for: ids[j], identity: other.identity, salt: other.salt), for: ids[j])
            }
        }
    }

    static func tone(_ frame: Int, samples: Int, frequency: Float) -> [Float] {
        let step = 2 * Float.pi * frequency / 48_000
        return (0..<samples).map { (i: Int) -> Float in
            let phase = step * Float(frame * samples + i)
            return 0.3 * Foundation.sin(phase)
        }
    }

    /// Runs `frames` frames of A talking to B; `attack` may add datagrams for B each frame.
    /// Returns B's mixes and A's captured datagrams.
    static func run(
        frames: Int, aliceIdentity: Identity, bobIdentity: Identity, room: TestRoom,
        attack: (Int, [[UInt8]]) -> [[UInt8]] = { _, _ in [] }
    ) throws -> (mix: [[Float]], bob: SealedParticipant, sent: [[UInt8]]) {
        let alice = try member(1, room: room, identity: aliceIdentity)
        let bob = try member(2, room: room, identity: bobIdentity)
        try connect([alice, bob], room: room, ids: [1, 2])
        var mixes: [[Float]] = []
        var sent: [[UInt8]] = []
        for frame in 0..<frames {
            let now = Instant.milliseconds(Double(frame) * frameMilliseconds)
            let samples = alice.sealed.participant.frameSamples
            let out = try alice.sealed.capture(tone(frame, samples: samples, frequency: 440), now: now)
            _ = try bob.sealed.capture([Float](repeating: 0, count: samples), now: now)
            let fromAlice = out.filter { $0.destination == 2 }.map(\.bytes)
            sent += fromAlice
            for bytes in attack(frame, sent) { bob.sealed.receive(bytes, now: now) }
            for bytes in fromAlice { bob.sealed.receive(bytes, now: now) }
            bob.sealed.playout(now: now)
            mixes.append(bob.sealed.participant.mix)
        }
        return (mixes, bob.sealed, sent)
    }

    @Test func sealedCallCarriesAudio() throws {
        let room = TestRoom()
        let result = try Self.run(frames: 100, aliceIdentity: .generate(), bobIdentity: .generate(), room: room)
        #expect(result.bob.counters.opened == 100)
        #expect(result.bob.counters.dropped == 0)
        #expect(result.mix.suffix(50).contains { frame in frame.contains { abs($0) > 0.05 } })
        // Every datagram on the wire is sealed.
        #expect(result.sent.allSatisfy { $0[2] & 0x80 != 0 })
    }

    @Test func nonMemberCannotInjectAndAudioIsUnaffected() throws {
        let room = TestRoom()
        let alice = Identity.generate()
        let bob = Identity.generate()
        let baseline = try Self.run(frames: 150, aliceIdentity: alice, bobIdentity: bob, room: room)

        // Mallory is on the same network, knows the room id and both sender ids, but not the
        // room secret. She tries: her own room secret, plain packets, Alice's id with a guessed
        // key, replays of Alice's captured packets, and bit-flipped copies of them.
        let guessRoom = room.stranger()
        let malloryIdentity = Identity.generate()
        let asAliceGuessed = PacketSealer(key: guessRoom.key(for: 1, identity: malloryIdentity))
        let ownEncoder = try VoiceSender(senderID: 1, settings: .init())
        // A key with the right room tag but made up: the tag is public.
        let madeUp = TestRoom().key(for: 1, identity: malloryIdentity)
        let tagOnly = PacketSealer(key: TrafficKey(key: madeUp.material.key, roomTag: room.roomKey.roomTag, generation: 0))
        var injected = 0
        let attacked = try Self.run(frames: 150, aliceIdentity: alice, bobIdentity: bob, room: room) { frame, sent in
            let samples = 960
            guard let plain = try? ownEncoder.send(Self.tone(frame, samples: samples, frequency: 1000)) else { return [] }
            var out: [[UInt8]] = [plain]
            if let sealed = try? asAliceGuessed.sealVoice(plain) { out.append(sealed) }
            if let sealed = try? tagOnly.sealVoice(plain) { out.append(sealed) }
            if frame > 2 {
                out.append(sent[sent.count - 2])  // a replay of a packet already delivered
                var flipped = sent[sent.count - 1]
                flipped[flipped.count - 1] ^= 0x40  // tampered copy of the one about to arrive
                out.append(flipped)
            }
            injected += out.count
            return out
        }
        let counters = attacked.bob.counters
        #expect(counters.opened == 150)
        #expect(counters.dropped == injected)
        #expect(counters.malformed == 150)  // plain packets
        #expect(counters.wrongRoom == 150)  // sealed under Mallory's secret
        #expect(counters.forged == 150 + 147)  // made-up key with the right tag, tampered copies
        #expect(counters.replayed == 147)
        #expect(attacked.bob.participant.statistics.malformedPackets == 0)
        // Bob heard exactly what he hears without Mallory.
        #expect(attacked.mix == baseline.mix)
    }

    @Test func replayOfYesterdaysTrafficIsRejected() throws {
        let room = TestRoom()
        let alice = Identity.generate()
        let bob = Identity.generate()
        let yesterday = try Self.run(frames: 50, aliceIdentity: alice, bobIdentity: bob, room: room)
        // Today: same room secret, same identities, but a new session salt for Alice's sender key
        // (every run draws one) — here modelled by today's Bob knowing only today's key.
        let todayAlice = try Self.member(1, room: room, identity: alice)
        let todayBob = try Self.member(2, room: room, identity: bob)
        todayBob.sealed.opener.install(room.key(for: 1, identity: alice, salt: [9, 9, 9, 9]), for: 1)
        try todayBob.sealed.participant.addPeer(1)
        _ = todayAlice
        for bytes in yesterday.sent { todayBob.sealed.receive(bytes, now: .zero) }
        #expect(todayBob.sealed.counters.opened == 0)
        #expect(todayBob.sealed.counters.forged == 50)
        // And within one session, the replay window catches it.
        for bytes in yesterday.sent { yesterday.bob.receive(bytes, now: .zero) }
        #expect(yesterday.bob.counters.replayed == 50)
    }

    @Test func removedMemberIsShutOutAfterTheSecretChanges() throws {
        let room = TestRoom()
        let ids: [PeerID] = [1, 2, 3]
        let members = try ids.map { try Self.member($0, room: room) }
        try Self.connect(members, room: room, ids: ids)
        let carol = members[2]
        // Carol is removed: Alice and Bob move to a new secret (new epoch), retire the old one.
        let newRoom = room.stranger()
        for (i, m) in members.prefix(2).enumerated() {
            m.sealed.groupSealer = PacketSealer(key: newRoom.key(for: ids[i], identity: m.identity, salt: m.salt))
            for (j, other) in members.prefix(2).enumerated() where i != j {
                m.sealed.opener.install(newRoom.key(for: ids[j], identity: other.identity, salt: other.salt), for: ids[j])
            }
            m.sealed.opener.retire(roomTag: room.roomKey.roomTag)
            m.sealed.participant.removePeer(3)
        }
        let samples = carol.sealed.participant.frameSamples
        for frame in 0..<20 {
            let now = Instant.milliseconds(Double(frame) * Self.frameMilliseconds)
            let fromCarol = try carol.sealed.capture(Self.tone(frame, samples: samples, frequency: 300), now: now)
            let fromAlice = try members[0].sealed.capture(Self.tone(frame, samples: samples, frequency: 500), now: now)
            for d in fromCarol + fromAlice where d.destination == 2 { members[1].sealed.receive(d.bytes, now: now) }
        }
        let bob = members[1].sealed.counters
        #expect(bob.wrongRoom == 20)  // Carol's packets under the retired secret
        #expect(bob.opened == 20)  // Alice's, under the new one
        #expect(bob.forged == 0)
    }

    @Test func withoutAKeyNothingIsSent() throws {
        let participant = try Participant(id: 1)
        try participant.addPeer(2)
        let sealed = SealedParticipant(participant: participant)
        let out = try sealed.capture(Self.tone(0, samples: participant.frameSamples, frequency: 440), now: .zero)
        #expect(out.isEmpty)
        #expect(sealed.unsealedDrops == 1)
    }
}
