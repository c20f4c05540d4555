import Crypto

/// HKDF-SHA256 derivations from the room secret down to per-packet keys. Every derivation has
/// its own label (domain separation), so no key is ever used for two purposes.
///
/// ```
/// room key   = HKDF(ikm: room secret, salt: "concord/v1 room key", info: room id)
/// room tag   = HKDF(ikm: room key, info: "concord/v1 room tag")[0..<2]   (public, on the wire)
/// bootstrap  = HKDF(ikm: room key, info: "concord/v1 bootstrap" ‖ session salt)  (per sender run)
/// boot mac   = HKDF(ikm: room key, info: "concord/v1 bootstrap mac")       (checked first)
/// pair keys  = see PairwiseKeyAgreement                                    (forward secret)
/// next gen   = HKDF(ikm: key, info: "concord/v1 rekey" ‖ generation + 1)   (one-way ratchet)
/// ```
/// A room secret change is a new epoch: a new room key with a new tag, and keys of the old one
/// are dropped by every receiver.
public struct RoomKey: Sendable, CustomStringConvertible {
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
