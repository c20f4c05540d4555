@testable import Concord
import SeededRandom

/// The engine's seeded generator, so property and garbage tests are reproducible.
typealias SeededGenerator = SplitMix64

/// A room secret and the room key derived from it.
struct TestRoom {
    let roomID: String
    let secret: RoomSecret
    let roomKey: RoomKey

    init(roomID: String = "lounge", secret: RoomSecret = .generate()) {
        self.roomID = roomID
        self.secret = secret
        self.roomKey = RoomKey(secret: secret, roomID: roomID)
    }

    /// Another secret for the same room id, whose public room tag surely differs (tags are 16
    /// bits, so a random secret collides once in 65536 — not in a test).
    func stranger() -> TestRoom {
        while true {
            let other = TestRoom(roomID: roomID)
            if other.roomKey.roomTag != roomKey.roomTag { return other }
        }
    }

    /// One direction's key of a fresh pair session in this room: what one side seals with and
    /// the other opens with.
    func pairKey() throws -> TrafficKey {
        let a = PairwiseHandshake(identity: .generate(), roomKey: roomKey, sender: [1])
        let b = PairwiseHandshake(identity: .generate(), roomKey: roomKey, sender: [2])
        return try a.complete(with: b.offer).sending
    }
}

func plainVoice(sender: PeerID = 7, sequence: UInt16 = 0, payload: [UInt8] = [0xde, 0xad, 0xbe, 0xef, 1, 2, 3]) -> [UInt8] {
    VoicePacket(
        senderID: sender, sequenceNumber: sequence, timestamp: UInt32(sequence) * 960, flags: [.fec],
        redundancy: [.init(timestampOffset: 960, payload: [9, 9])], payload: payload
    ).serialize()
}

extension PacketSealer {
    /// Seals a plain voice packet as `SecureTransport` does: the voice header in clear with its
    /// sealed flag set, the rest encrypted.
    func sealVoice(_ plain: [UInt8]) throws(SecurityError) -> [UInt8] {
        var header = Array(plain[0..<VoicePacket.headerLength])
        header[2] |= VoicePacket.Flags.sealed.rawValue
        return try seal(header: header, body: Array(plain[VoicePacket.headerLength...]))
    }
}

extension PacketOpener {
    /// Opens a sealed voice packet under `sender`'s keys (the caller names the sender, as
    /// `SecureTransport` does by address): the plain packet, sealed flag cleared.
    func openVoice(_ bytes: [UInt8], from sender: Sender) throws(SecurityError) -> [UInt8] {
        var (header, body) = try open(bytes, headerLength: VoicePacket.headerLength, sender: sender)
        header[2] &= ~VoicePacket.Flags.sealed.rawValue
        return header + body
    }
}

/// Renderings of `bytes` a leak would most likely take.
func leakForms(_ bytes: [UInt8]) -> [String] {
    let hex = bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    return [hex, hex.uppercased(), Base32.encode(bytes), "\(bytes)", String(describing: bytes.prefix(8)).dropLast().description]
}

func expectNoLeak(_ value: Any, of secret: [UInt8]) -> Bool {
    let text = String(describing: value) + String(reflecting: value)
    return !leakForms(secret).contains { text.contains($0) }
}
