import Concord
import FuzzDriver

/// The keys of two pair sessions in a fixed room: the secret comes from a fixed invite, so the
/// room tag (and with it every key id) is the same on every run; the keys themselves come from
/// fresh handshakes, as in the product.
enum FuzzKeys {
    static let roomKey = RoomKey(
        secret: try! RoomSecret(inviteString: "concord1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qk4rnhpu"),
        roomID: "fuzz")
    static let identity = try! Identity(configString: "concord-identity1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qnqayuzu")

    /// One direction of a new pair session: what the peer seals with and we open with.
    static func sessionKey() -> TrafficKey {
        let ours = PairwiseHandshake(identity: identity, roomKey: roomKey, sender: Array("fuzz".utf8))
        let theirs = PairwiseHandshake(identity: .generate(), roomKey: roomKey, sender: Array("peer".utf8))
        return try! ours.complete(with: theirs.offer).receiving
    }
}

let keys = [FuzzKeys.sessionKey(), FuzzKeys.sessionKey()]

/// Senders 0 and 1, one session each.
nonisolated(unsafe) let opener: PacketOpener<Int> = {
    let opener = PacketOpener<Int>(windowSize: 256)
    for (sender, key) in keys.enumerated() { opener.install(key, for: sender) }
    return opener
}()

nonisolated(unsafe) let sealer = PacketSealer(key: keys[1], rekeyAfterPackets: 1_000)

/// First byte picks the mode. Even: the rest goes to the opener as is (forged input must never
/// trap), as sender `(mode >> 1) & 1` with a clear header of `mode >> 2` bytes (0–63). Odd: the
/// rest is a plain voice packet; if it parses it is sealed as sender 1, must open back to itself,
/// and a copy with one byte changed (chosen by the input) must be refused.
@main enum SealedOpenerFuzz: FuzzTarget {
    static func fuzz(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let bytes = Array(input.dropFirst())
        if mode & 1 == 0 {
            _ = try? opener.open(bytes, headerLength: Int(mode >> 2), sender: Int(mode >> 1) & 1)
            return
        }
        guard let packet = try? VoicePacket.parse(bytes) else { return }
        let plain = packet.serialize()
        var header = Array(plain[0..<VoicePacket.headerLength])
        header[2] |= VoicePacket.Flags.sealed.rawValue
        let body = Array(plain[VoicePacket.headerLength...])
        guard let sealed = try? sealer.seal(header: header, body: body) else { fatalError("sealing a valid packet failed") }
        var tampered = sealed
        tampered[Int(mode >> 1) % tampered.count] ^= 0x01
        if (try? opener.open(tampered, headerLength: VoicePacket.headerLength, sender: 1)) != nil {
            fatalError("a tampered packet opened")
        }
        guard let opened = try? opener.open(sealed, headerLength: VoicePacket.headerLength, sender: 1),
            opened.header == header, opened.body == body
        else { fatalError("seal/open round trip failed") }
    }
}
