import Concord
import FuzzDriver

/// One opener with keys for senders 1 and 2 of a fixed room (secret from a fixed invite, so
/// the corpus's sealed seeds stay valid across runs); any bytes into `openVoicePacket`.
nonisolated(unsafe) let opener: PacketOpener<PeerID> = {
    let opener = PacketOpener<PeerID>(windowSize: 256)
    for sender in [PeerID(1), 2] { opener.install(FuzzKeys.key(for: sender), for: sender) }
    return opener
}()

enum FuzzKeys {
    static let secret = try! RoomSecret(inviteString: "concord1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qk4rnhpu")
    static let identity = try! Identity(configString: "concord-identity1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qnqayuzu")
    static func key(for sender: PeerID) -> TrafficKey {
        RoomKey(secret: secret, roomID: "fuzz").voiceSenderKey(senderID: sender, identity: identity.publicIdentity, sessionSalt: [1])
    }
}

nonisolated(unsafe) let sealer = PacketSealer(key: FuzzKeys.key(for: 2), rekeyAfterPackets: 1_000)

/// First byte picks the mode. Even: the rest goes to the opener as is (forged input must never
/// trap). Odd: the rest is a plain voice packet from sender 2; if it parses it is sealed, must
/// open back to itself, and a copy with one byte changed (chosen by the input) must be refused.
@main enum SealedOpenerFuzz: FuzzTarget {
    static func fuzz(_ input: [UInt8]) {
        guard let mode = input.first else { return }
        let bytes = Array(input.dropFirst())
        if mode & 1 == 0 {
            _ = try? opener.openVoicePacket(bytes)
            return
        }
        guard let packet = try? VoicePacket.parse(bytes), packet.senderID == 2 else { return }
        let plain = packet.serialize()
        guard let sealed = try? sealer.sealVoice(plain) else { fatalError("sealing a valid packet failed") }
        var tampered = sealed
        tampered[Int(mode >> 1) % tampered.count] ^= 0x01
        if (try? opener.openVoice(tampered)) != nil { fatalError("a tampered packet opened") }
        guard (try? opener.openVoice(sealed)) == plain else { fatalError("seal/open round trip failed") }
    }
}
