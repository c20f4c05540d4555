import Testing
@testable import Concord

@Suite struct PairwiseKeyAgreementTests {
    let room = TestRoom()
    let alice = Identity.generate()
    let bob = Identity.generate()

    @Test func bothSidesDeriveMatchingDirectionalKeys() throws {
        let a = PairwiseHandshake(identity: alice, roomKey: room.roomKey, sender: [0, 0, 0, 1])
        let b = PairwiseHandshake(identity: bob, roomKey: room.roomKey, sender: [0, 0, 0, 2])
        // Offers cross the wire.
        let offerA = try HandshakeOffer.parse(a.offer.serialize())
        let offerB = try HandshakeOffer.parse(b.offer.serialize())
        let keysA = try a.complete(with: offerB, expectedIdentity: bob.publicIdentity)
        let keysB = try b.complete(with: offerA, expectedIdentity: alice.publicIdentity)
        #expect(keysA.sending.material == keysB.receiving.material)
        #expect(keysA.receiving.material == keysB.sending.material)
        #expect(keysA.sending.material != keysA.receiving.material)
        // Sealed traffic flows both ways.
        let sealer = PacketSealer(key: keysA.sending)
        let opener = PacketOpener<PeerID>()
        opener.install(keysB.receiving, for: 7)
        #expect(try opener.openVoice(try sealer.sealVoice(plainVoice()), from: 7) == plainVoice())
        // Single use: the ephemeral key is gone.
        #expect(throws: SecurityError.self) { try a.complete(with: offerB) }
    }

    @Test func freshEphemeralsGiveFreshKeys() throws {
        func session() throws -> PairKeys {
            let a = PairwiseHandshake(identity: alice, roomKey: room.roomKey, sender: [1])
            let b = PairwiseHandshake(identity: bob, roomKey: room.roomKey, sender: [2])
            return try a.complete(with: b.offer)
        }
        #expect(try session().sending.material != session().sending.material)
    }

    @Test func rejectsForgedWrongRoomSplicedAndUnexpectedOffers() throws {
        let a = PairwiseHandshake(identity: alice, roomKey: room.roomKey, sender: [1])
        let b = PairwiseHandshake(identity: bob, roomKey: room.roomKey, sender: [2])
        // Tampered ephemeral (a member in the middle substituting its own): bad signature.
        var spliced = b.offer
        spliced.ephemeral = PairwiseHandshake(identity: .generate(), roomKey: room.roomKey, sender: [3]).offer.ephemeral
        #expect(throws: SecurityError.handshakeRejected("bad signature")) { try a.complete(with: spliced) }
        // Another room's offer.
        let stranger = PairwiseHandshake(identity: bob, roomKey: room.stranger().roomKey, sender: [2])
        #expect(throws: SecurityError.self) { try a.complete(with: stranger.offer) }
        // A valid offer from someone other than the announced member.
        let mallory = PairwiseHandshake(identity: .generate(), roomKey: room.roomKey, sender: [2])
        #expect(throws: SecurityError.self) { try a.complete(with: mallory.offer, expectedIdentity: bob.publicIdentity) }
        // Own offer reflected back.
        #expect(throws: SecurityError.self) { try a.complete(with: a.offer) }
        // None of the failures consumed the handshake.
        _ = try a.complete(with: b.offer)
    }

    @Test func sameIdentitiesDifferentRoomSecretsDisagree() throws {
        // Without the room secret a session cannot be completed: same identities and protocol,
        // but the key is salted with another room key, so the packets do not open.
        let other = room.stranger()
        let a = PairwiseHandshake(identity: alice, roomKey: room.roomKey, sender: [1])
        let b = PairwiseHandshake(identity: bob, roomKey: room.roomKey, sender: [2])
        var offerB = b.offer
        offerB.roomTag = other.roomKey.roomTag  // lie about the room: signature no longer verifies
        #expect(throws: SecurityError.self) { try a.complete(with: offerB) }
    }

    @Test func offerParserIsTotal() {
        var rng = SeededGenerator(seed: 99)
        let valid = PairwiseHandshake(identity: alice, roomKey: room.roomKey, sender: [1, 2]).offer.serialize()
        for i in 0..<5_000 {
            var bytes = valid
            if i % 2 == 0 {
                bytes = (0..<Int.random(in: 0...200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                if Bool.random(using: &rng) { bytes.removeLast(Int.random(in: 0...bytes.count, using: &rng)) }
            }
            _ = try? HandshakeOffer.parse(bytes)
        }
        #expect(throws: SecurityError.self) { try HandshakeOffer.parse(valid + [0]) }
        #expect(throws: SecurityError.self) { try HandshakeOffer.parse(Array(valid.dropLast())) }
    }
}
