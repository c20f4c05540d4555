import Crypto

/// HKDF-SHA256 derivations from the room secret down to per-packet keys. Every derivation has
/// its own label (domain separation), so no key is ever used for two purposes.
///
/// ```
/// room key   = HKDF(ikm: room secret, salt: "concord/v1 room key", info: room id)
/// room tag   = HKDF(ikm: room key, info: "concord/v1 room tag")[0..<2]   (public, on the wire)
/// sender key = HKDF(ikm: room key, info: "concord/v1 sender" ‖ purpose ‖ sender id
///                   ‖ identity public key ‖ session salt)                  (group mode)
/// bootstrap  = HKDF(ikm: room key, info: "concord/v1 bootstrap" ‖ session salt)  (per sender run)
/// boot mac   = HKDF(ikm: room key, info: "concord/v1 bootstrap mac")       (checked first)
/// pair keys  = see PairwiseKeyAgreement                                    (forward secret)
/// next gen   = HKDF(ikm: key, info: "concord/v1 rekey" ‖ generation + 1)   (one-way ratchet)
/// ```
/// A room secret change is a new epoch: a new room key with a new tag, and keys of the old one
/// are dropped by every receiver.
public struct RoomKey: Sendable, CustomStringConvertible {
    /// What a sender key protects; voice and control/text use unrelated keys.
    public enum Purpose: UInt8, Sendable {
        case voice = 1
        case control = 2
    }

    let key: KeyMaterial
    public let roomID: String
    /// Two public bytes identifying this room key on the wire, so a receiver tells "another room
    /// or an old secret" from "a forgery" without trial decryption. Carries no key material
    /// (HKDF output under a dedicated label).
    public let roomTag: UInt16

    public init(secret: RoomSecret, roomID: String) {
        self.roomID = roomID
        let key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: secret.key.key, salt: Array("concord/v1 room key".utf8), info: Array(roomID.utf8),
            outputByteCount: 32)
        self.key = KeyMaterial(key)
        let tag = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key, info: Array("concord/v1 room tag".utf8), outputByteCount: 2
        ).withUnsafeBytes { Array($0) }
        self.roomTag = UInt16(tag[0]) << 8 | UInt16(tag[1])
    }

    public var description: String { "RoomKey(room: \(roomID), tag: \(roomTag), key: <redacted>)" }

    /// The group-mode key a member seals its own packets with; every member can derive it, so
    /// it proves room membership, not which member sent (see SECURITY.md). The identity key and
    /// a per-run random `sessionSalt` (which members must learn from the sender: no message of
    /// the room carries it) make it unique even if two clients pick the same sender id or a
    /// client restarts with counter 0 — a nonce is never reused under one key.
    public func senderKey(
        purpose: Purpose, senderID: [UInt8], identity: PublicIdentity, sessionSalt: [UInt8]
    ) -> TrafficKey {
        var info = Array("concord/v1 sender".utf8)
        info.append(purpose.rawValue)
        info.appendLengthPrefixed(senderID)
        info.appendLengthPrefixed(identity.rawRepresentation)
        info.appendLengthPrefixed(sessionSalt)
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, info: info, outputByteCount: 32)
        return TrafficKey(key: derived, roomTag: roomTag, generation: 0)
    }

    /// Convenience for voice: sender ids are `PeerID`s.
    public func voiceSenderKey(senderID: PeerID, identity: PublicIdentity, sessionSalt: [UInt8]) -> TrafficKey {
        var id: [UInt8] = []
        id.appendBigEndian(senderID)
        return senderKey(purpose: .voice, senderID: id, identity: identity, sessionSalt: sessionSalt)
    }

    /// The key a member seals its broadcasts and handshake messages with before any pair
    /// session exists (`SecureTransport`). Every holder of the room secret can derive it, so it
    /// proves membership and hides discovery from outsiders; the random per-run `sessionSalt`,
    /// sent in clear with each such packet, makes the key unique per sender run so that two
    /// senders never share a (key, nonce) pair.
    public func bootstrapKey(sessionSalt: [UInt8]) -> TrafficKey {
        var info = Array("concord/v1 bootstrap".utf8)
        info.appendLengthPrefixed(sessionSalt)
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, info: info, outputByteCount: 32)
        return TrafficKey(key: derived, roomTag: roomTag, generation: 0)
    }

    /// The key of the mac every bootstrap datagram carries (`SecureWire`): one key for the whole
    /// room, so a receiver checks a datagram's authenticity before it derives anything for it.
    var bootstrapMACKey: SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, info: Array("concord/v1 bootstrap mac".utf8), outputByteCount: 32)
    }

    /// Salt binding pairwise agreements to this room key: a pair session exists only between
    /// holders of the current room secret.
    var pairSalt: [UInt8] {
        KeyMaterial(HKDF<SHA256>.deriveKey(inputKeyMaterial: key.key, info: Array("concord/v1 pair salt".utf8), outputByteCount: 32)).bytes
    }
}

/// One AEAD key with its public key id. Generations advance with a one-way HKDF ratchet, so a
/// key captured today does not open packets sealed under earlier generations.
public struct TrafficKey: Sendable, CustomStringConvertible {
    let material: KeyMaterial
    var key: SymmetricKey { material.key }
    public let roomTag: UInt16
    public let generation: UInt16

    /// On the wire: room tag (high 16 bits) ‖ generation (low 16 bits).
    public var keyID: UInt32 { UInt32(roomTag) << 16 | UInt32(generation) }

    init(key: SymmetricKey, roomTag: UInt16, generation: UInt16) {
        self.material = KeyMaterial(key)
        self.roomTag = roomTag
        self.generation = generation
    }

    /// The next generation's key, or nil when the 16-bit generation space is used up (after
    /// 2³² packets at the default rekey interval: a new handshake or room epoch is needed).
    public func next() -> TrafficKey? {
        guard generation < UInt16.max else { return nil }
        var info = Array("concord/v1 rekey".utf8)
        info.appendBigEndian(generation + 1)
        let derived = HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: info, outputByteCount: 32)
        return TrafficKey(key: derived, roomTag: roomTag, generation: generation + 1)
    }

    public var description: String { "TrafficKey(id: 0x\(String(keyID, radix: 16)), key: <redacted>)" }
}

extension Array where Element == UInt8 {
    /// Length-prefixed (UInt16) field, so concatenated HKDF info strings are unambiguous.
    mutating func appendLengthPrefixed(_ field: [UInt8]) {
        appendBigEndian(UInt16(truncatingIfNeeded: field.count))
        append(contentsOf: field)
    }

    mutating func appendBigEndian(_ value: UInt64) {
        appendBigEndian(UInt32(truncatingIfNeeded: value >> 32))
        appendBigEndian(UInt32(truncatingIfNeeded: value))
    }
}
