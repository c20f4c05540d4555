/// Packet type 4: the security layer's own datagrams. Same first bytes as every Concord packet
/// (version, type, flags with 0x80 sealed, kind), so one port still carries everything.
///
/// ```
/// bootstrap kinds (sealed under RoomKey.bootstrapKey(sessionSalt:)):
///   0 version(1) ‖ 1 type(4) ‖ 2 flags(0x80) ‖ 3 kind ‖ 4..<20 session salt(16)
///   ‖ key id ‖ counter ‖ ciphertext ‖ tag                        (SealedFormat)
///   ‖ mac(16) = HMAC-SHA256(RoomKey.bootstrapMACKey, everything before)[0..<16]
///   plaintext = body length(2) ‖ body ‖ zeros up to `paddedPlaintextLength` (230) bytes
///   kind 1 broadcast:  body = a plain room datagram (discover, announce)
///   kind 2 initiation: body = HandshakeOffer
///   kind 3 response:   body = SHA-256(answered offer)(32) ‖ HandshakeOffer
/// pair kind (sealed under the pair session's key):
///   kind 4 confirm:    header 0..<4 only, empty plaintext — the initiator's first word under
///                      a new session, so the responder can start using it
/// ```
/// The header and salt are associated data.
///
/// **Authenticity before cost.** The mac is keyed by the room key alone, so a receiver checks it
/// (one HMAC, no derivation, no state) before it derives the sender's bootstrap key for an
/// unseen salt: an outsider who knows the public room tag costs it one HMAC per datagram.
/// **No amplification.** Every bootstrap datagram is at least `minimumBootstrapBytes` (294) long
/// and an initiation or a response is exactly that long (padding), so a reply to an unverified
/// address — one initiation or response per datagram received — is never larger than what
/// provoked it. Voice (type 1), room control/text (types 2, 3) and receiver reports (type 5)
/// between pair-session peers keep their own clear headers with the sealed flag (PacketSealer).
enum SecureWire {
    static let saltLength = 16
    static let bootstrapHeaderLength = 4 + saltLength
    static let confirmHeaderLength = 4
    static let macLength = 16
    /// Every bootstrap plaintext is padded to at least this: length prefix, then the largest
    /// response body (answered hash and the longest offer).
    static let paddedPlaintextLength = 2 + 32 + HandshakeOffer.maxLength
    /// The shortest bootstrap datagram; initiations and responses are exactly this long.
    public static let minimumBootstrapBytes = bootstrapHeaderLength + SealedFormat.overhead + paddedPlaintextLength + macLength

    /// `body` with its length in front and zeros after, up to `paddedPlaintextLength`.
    static func padded(_ body: [UInt8]) -> [UInt8]? {
        guard body.count <= Int(UInt16.max) else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(max(paddedPlaintextLength, body.count + 2))
        out.appendBigEndian(UInt16(body.count))
        out.append(contentsOf: body)
        if out.count < paddedPlaintextLength { out.append(contentsOf: repeatElement(0, count: paddedPlaintextLength - out.count)) }
        return out
    }

    /// The body of a padded plaintext, or nil if its length prefix does not fit.
    static func unpadded(_ plaintext: [UInt8]) -> [UInt8]? {
        guard plaintext.count >= 2 else { return nil }
        let length = Int(plaintext[0]) << 8 | Int(plaintext[1])
        guard 2 + length <= plaintext.count else { return nil }
        return Array(plaintext[2..<(2 + length)])
    }

    enum Kind: UInt8 {
        case broadcast = 1
        case initiation = 2
        case response = 3
        case confirm = 4
    }

    static func header(_ kind: Kind) -> [UInt8] { [1, PacketType.security.rawValue, 0x80, kind.rawValue] }

    /// The clear header length of a sealed datagram of any Concord packet type, or nil if the
    /// bytes cannot be one (including: too short to hold that header and the seal).
    static func sealedHeaderLength(_ bytes: [UInt8]) -> Int? {
        guard let length = claimedHeaderLength(bytes), bytes.count >= length + SealedFormat.overhead else { return nil }
        if PacketType(of: bytes) == .security, bytes[3] != Kind.confirm.rawValue, bytes.count < minimumBootstrapBytes { return nil }
        return length
    }

    private static func claimedHeaderLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4, bytes[0] == 1, bytes[2] & 0x80 != 0 else { return nil }
        switch PacketType(of: bytes) {
        case .voice:
            return VoicePacket.headerLength
        case .receiverReport:
            return ReceiverReport.headerLength
        case .roomControl, .roomText:
            guard let header = try? RoomMessage.Header.parse(bytes) else { return nil }
            return RoomMessage.headerLength(roomID: header.roomID, senderID: header.senderID)
        case .security:
            switch Kind(rawValue: bytes[3]) {
            case .broadcast, .initiation, .response: return bootstrapHeaderLength
            case .confirm: return confirmHeaderLength
            case nil: return nil
            }
        case nil:
            return nil
        }
    }

    /// The clear header length of a plain voice or room datagram this node is about to seal.
    static func plainHeaderLength(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4, bytes[0] == 1, bytes[2] & 0x80 == 0 else { return nil }
        switch PacketType(of: bytes) {
        case .voice:
            return bytes.count >= VoicePacket.headerLength ? VoicePacket.headerLength : nil
        case .receiverReport:
            return bytes.count >= ReceiverReport.headerLength ? ReceiverReport.headerLength : nil
        case .roomControl, .roomText:
            guard let header = try? RoomMessage.Header.parse(bytes) else { return nil }
            return RoomMessage.headerLength(roomID: header.roomID, senderID: header.senderID)
        case .security, nil:
            return nil
        }
    }
}
