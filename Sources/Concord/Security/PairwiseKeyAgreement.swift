import Crypto

/// Forward-secret keys between two live members: each side sends a signed `HandshakeOffer`
/// with a fresh X25519 ephemeral key; both derive two directional traffic keys with
///
/// ```
/// HKDF(ikm: X25519(own ephemeral, peer ephemeral),
///      salt: HKDF(room key, "concord/v1 pair salt"),
///      info: "concord/v1 pair" ‖ both offers' signed bytes, in sorted order)
/// ```
/// Binding: the room key (salt) — a non-member cannot complete a session even with valid
/// identities; both identity keys and both ephemerals (info) — a member cannot splice offers.
/// Each offer is signed by its identity, so another member cannot stand in the middle.
/// The ephemeral private key is dropped once the keys exist: recording the traffic and later
/// stealing the room secret or an identity key does not decrypt it.
public struct HandshakeOffer: Equatable, Sendable {
    static let context = Array("concord/v1 pair offer\0".utf8)
    /// version(1) ‖ room tag(2) ‖ sender len(1) ‖ sender ‖ identity(32) ‖ ephemeral(32) ‖ signature(64)
    public static let version: UInt8 = 1
    public static let maxSenderBytes = 64
    /// The longest serialized offer (a 64-byte sender id): 196 bytes.
    public static let maxLength = 1 + 2 + 1 + maxSenderBytes + 32 + 32 + PublicIdentity.signatureLength

    public var roomTag: UInt16
    public var sender: [UInt8]
    public var identity: PublicIdentity
    public var ephemeral: [UInt8]
    public var signature: [UInt8]

    /// The bytes the signature covers (everything but the signature).
    var signedBytes: [UInt8] {
        var out: [UInt8] = [Self.version]
        out.appendBigEndian(roomTag)
        out.append(UInt8(truncatingIfNeeded: sender.count))
        out.append(contentsOf: sender)
        out.append(contentsOf: identity.rawRepresentation)
        out.append(contentsOf: ephemeral)
        return out
    }

    public func serialize() -> [UInt8] { signedBytes + signature }

    /// Total: any bytes give an offer (signature not yet checked) or an error.
    public static func parse(_ bytes: [UInt8]) throws(SecurityError) -> HandshakeOffer {
        var reader = ByteReader(bytes)
        do {
            guard try reader.readUInt8("version") == version else { throw SecurityError.handshakeRejected("version") }
            let tag = try reader.readUInt16("room tag")
            let senderLength = Int(try reader.readUInt8("sender length"))
            guard senderLength <= maxSenderBytes else { throw SecurityError.handshakeRejected("sender too long") }
            let sender = try reader.readBytes(senderLength, "sender")
            let identity = try PublicIdentity(rawRepresentation: try reader.readBytes(32, "identity"))
            let ephemeral = try reader.readBytes(32, "ephemeral")
            let signature = try reader.readBytes(PublicIdentity.signatureLength, "signature")
            guard reader.remaining == 0 else { throw SecurityError.handshakeRejected("trailing bytes") }
            return HandshakeOffer(roomTag: tag, sender: sender, identity: identity, ephemeral: ephemeral, signature: signature)
        } catch let error as SecurityError {
            throw error
        } catch {
            throw .handshakeRejected("\(error)")
        }
    }
}

/// The two directional keys of a pair session.
public struct PairKeys: Sendable, CustomStringConvertible {
    public let sending: TrafficKey
    public let receiving: TrafficKey
    public var description: String { "PairKeys(sending: \(sending), receiving: \(receiving))" }
}

/// One side of a pairwise handshake. Single use: `complete` consumes the ephemeral key.
public final class PairwiseHandshake: CustomStringConvertible {
    public let offer: HandshakeOffer
    private let roomKey: RoomKey
    private var ephemeral: Curve25519.KeyAgreement.PrivateKey?

    public init(identity: Identity, roomKey: RoomKey, sender: [UInt8]) {
        precondition(sender.count <= HandshakeOffer.maxSenderBytes, "sender id too long")
        let ephemeral = Curve25519.KeyAgreement.PrivateKey()
        var offer = HandshakeOffer(
            roomTag: roomKey.roomTag, sender: sender, identity: identity.publicIdentity,
            ephemeral: Array(ephemeral.publicKey.rawRepresentation), signature: [])
        offer.signature = identity.sign(context: HandshakeOffer.context, offer.signedBytes)
        self.offer = offer
        self.roomKey = roomKey
        self.ephemeral = ephemeral
    }

    public var description: String { "PairwiseHandshake(\(offer.identity.fingerprint), key: <redacted>)" }

    /// Verifies the peer's offer (signature, room, and — when known — the pinned identity) and
    /// derives the session keys.
    public func complete(with peer: HandshakeOffer, expectedIdentity: PublicIdentity? = nil) throws(SecurityError) -> PairKeys {
        let keys = try derive(with: peer, expectedIdentity: expectedIdentity)
        ephemeral = nil
        return keys
    }

    /// Drops the ephemeral private key (after `derive`): no more sessions from this offer.
    func erase() { ephemeral = nil }

    /// `complete` that keeps the ephemeral key, for an initiator whose offer crossed the peer's
    /// (simultaneous initiations): the peer's response to our offer may still name another
    /// offer of its own (if the one we derived with was a replay), and must be answerable.
    /// The caller erases it when the handshake ends either way.
    func derive(with peer: HandshakeOffer, expectedIdentity: PublicIdentity? = nil) throws(SecurityError) -> PairKeys {
        guard let ephemeral else { throw .handshakeRejected("handshake already completed") }
        guard peer.roomTag == roomKey.roomTag else { throw .handshakeRejected("offer for another room") }
        guard peer.identity.isValidSignature(peer.signature, context: HandshakeOffer.context, for: peer.signedBytes) else {
            throw .handshakeRejected("bad signature")
        }
        if let expectedIdentity, expectedIdentity != peer.identity {
            throw .handshakeRejected("identity differs from the announced one")
        }
        guard peer.ephemeral != offer.ephemeral, peer.identity != offer.identity else {
            throw .handshakeRejected("reflected offer")
        }
        let shared: SharedSecret
        do {
            let peerKey = try Curve25519.KeyAgreement.PublicKey(rawRepresentation: peer.ephemeral)
            shared = try ephemeral.sharedSecretFromKeyAgreement(with: peerKey)
        } catch {
            throw .handshakeRejected("bad ephemeral key")
        }
        let mine = offer.signedBytes
        let theirs = peer.signedBytes
        let mineFirst = mine.lexicographicallyPrecedes(theirs)
        let info = Array("concord/v1 pair".utf8) + (mineFirst ? mine + theirs : theirs + mine)
        let material = shared.hkdfDerivedSymmetricKey(
            using: SHA256.self, salt: roomKey.pairSalt, sharedInfo: info, outputByteCount: 64
        ).withUnsafeBytes { Array($0) }
        let first = TrafficKey(key: SymmetricKey(data: material[0..<32]), roomTag: roomKey.roomTag, generation: 0)
        let second = TrafficKey(key: SymmetricKey(data: material[32..<64]), roomTag: roomKey.roomTag, generation: 0)
        return mineFirst ? PairKeys(sending: first, receiving: second) : PairKeys(sending: second, receiving: first)
    }
}
