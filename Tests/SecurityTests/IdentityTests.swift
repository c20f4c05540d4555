import Testing
@testable import Concord

@Suite struct IdentityTests {
    @Test func fingerprintIsStableShortAndDistinct() throws {
        let identity = Identity.generate()
        let fingerprint = identity.publicIdentity.fingerprint
        #expect(fingerprint.count == 24)
        #expect(fingerprint.split(separator: "-").map(\.count) == [4, 4, 4, 4, 4])
        #expect(fingerprint == identity.publicIdentity.fingerprint)
        let restored = try Identity(configString: identity.configString)
        #expect(restored.publicIdentity == identity.publicIdentity)
        #expect(restored.publicIdentity.fingerprint == fingerprint)
        #expect(Identity.generate().publicIdentity.fingerprint != fingerprint)
        // A known vector (SHA-256 of 32 zero bytes, base32 by Python): the fingerprint of a fixed public key never changes across versions.
        let fixed = try PublicIdentity(rawRepresentation: Array(repeating: 0, count: 31) + [0])
        #expect(fixed.fingerprint == "mzuh-vlpy-mk6x-o3ep-ygfy")
    }

    @Test func configStringRejectsDamage() throws {
        let config = Array(Identity.generate().configString)
        var typo = config
        typo[config.count - 3] = typo[config.count - 3] == "a" ? "b" : "a"
        #expect(throws: SecurityError.self) { try Identity(configString: String(typo)) }
        #expect(throws: SecurityError.self) { try Identity(configString: "concord-identity1-") }
        #expect(throws: SecurityError.self) { try Identity(configString: "nope") }
    }

    @Test func signaturesVerifyAndForgeriesFail() throws {
        let alice = Identity.generate()
        let mallory = Identity.generate()
        let context = HandshakeOffer.context
        let offer = Array("an offer from alice to bob in lounge".utf8)
        let signature = alice.sign(context: context, offer)
        let key = alice.publicIdentity
        #expect(key.isValidSignature(signature, context: context, for: offer))
        // Changed bytes, changed signature, another signer, truncated signature: all rejected.
        var altered = offer
        altered[0] ^= 1
        #expect(!key.isValidSignature(signature, context: context, for: altered))
        for bit in 0..<(signature.count * 8) {
            var bad = signature
            bad[bit / 8] ^= 1 << UInt8(bit % 8)
            #expect(!key.isValidSignature(bad, context: context, for: offer))
        }
        #expect(!key.isValidSignature(mallory.sign(context: context, offer), context: context, for: offer))
        #expect(!key.isValidSignature(Array(signature.dropLast()), context: context, for: offer))
        // Domain separation: a signature under another context does not verify as an offer's.
        let other = alice.sign(context: Array("concord/v1 other\0".utf8), offer)
        #expect(!key.isValidSignature(other, context: context, for: offer))
    }

    @Test func knownKeysFlagAChangedKey() throws {
        var known = KnownKeys()
        let alice = Identity.generate().publicIdentity
        let impostor = Identity.generate().publicIdentity
        #expect(known.check(clientID: "alice", key: alice) == .new)
        #expect(known.check(clientID: "alice", key: alice) == .matches)
        #expect(
            known.check(clientID: "alice", key: impostor)
                == .changed(previousFingerprint: alice.fingerprint, newFingerprint: impostor.fingerprint))
        // Still pinned to the first key until the user trusts the new one.
        #expect(known.check(clientID: "alice", key: alice) == .matches)
        known.trust(clientID: "alice", key: impostor)
        #expect(known.check(clientID: "alice", key: impostor) == .matches)
        _ = known.check(clientID: "bob", key: alice)
        #expect(try KnownKeys(serialized: known.serialized) == known)
        #expect(throws: SecurityError.self) { try KnownKeys(serialized: "alice zzz\n") }
    }

    @Test func publicIdentityRejectsBadLengths() {
        #expect(throws: SecurityError.self) { try PublicIdentity(rawRepresentation: [1, 2, 3]) }
    }
}
