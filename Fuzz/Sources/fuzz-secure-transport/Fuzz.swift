@_spi(Fuzzing) import Concord
import FuzzDriver

/// Structured: each input is a short script run against a fresh victim `SecureTransport` and a
/// fresh genuine peer of the same room (fixed identities and salts, so any crash replays).
/// An input is a list of ops, `op ‖ length ‖ payload` (the last may be cut short):
///
///   op & 7 = 0  payload as a raw datagram to the victim (from the peer's address, or with
///               op & 8 from another one)
///            1…3 payload sealed by the peer as a broadcast, initiation or response (genuine
///               mac and seal: reaches the offer parser and the handshake state machine)
///            4  the peer (op & 8: the victim) sends a voice packet carrying the payload to
///               the other; both then exchange what they have until quiet — a handshake
///               completes in one op, so later ops work on a live session
///            5  time passes: payload[0] × 10 ms, both tick, outputs exchanged
///            6  the payload XORed over the peer's last datagram, to the victim (near-valid
///               confirms, pair packets and offers)
///            7  the victim's last datagram replayed to it, or the peer's (op & 8) from
///               another address (reflection and replay)
///
/// Invariants: every datagram the victim receives is counted exactly once (opened or dropped
/// by cause); to an address it has no session with before or after, the victim never answers
/// with more bytes than the datagram it answers (no amplification).
enum FuzzRoom {
    static let secret = try! RoomSecret(inviteString: "concord1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qk4rnhpu")
    static let peerIdentity = try! Identity(configString: "concord-identity1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qnqayuzu")
    static let victimIdentity = Identity.generate()
    static let key = RoomKey(secret: secret, roomID: "fuzz")
    static let victimAddress = RoomAddress.ipv4(0x0A00_0001, port: 7400)
    static let peerAddress = RoomAddress.ipv4(0x0A00_0002, port: 7400)
    static let otherAddress = RoomAddress.ipv4(0x0A00_0003, port: 7400)
}

struct Script {
    let victim = SecureTransport(
        roomKey: FuzzRoom.key, identity: FuzzRoom.victimIdentity, clientID: "victim", sessionSalt: [UInt8](repeating: 1, count: 16))
    let peer = SecureTransport(
        roomKey: FuzzRoom.key, identity: FuzzRoom.peerIdentity, clientID: "peer", sessionSalt: [UInt8](repeating: 7, count: 16))
    var now = Instant(nanoseconds: 1_000_000_000)
    var lastFromPeer: [UInt8] = []
    var lastFromVictim: [UInt8] = []
    var toVictim: [[UInt8]] = []
    var toPeer: [[UInt8]] = []

    mutating func run(_ input: [UInt8]) {
        var i = 0
        var ops = 0
        while i < input.count, ops < 24 {
            let op = input[i]
            let length = i + 1 < input.count ? Int(input[i + 1]) : 0
            let payload = Array(input[min(input.count, i + 2)..<min(input.count, i + 2 + length)])
            i += 2 + length
            ops += 1
            switch op & 7 {
            case 0:
                deliver(payload, from: op & 8 == 0 ? FuzzRoom.peerAddress : FuzzRoom.otherAddress)
            case 1, 2, 3:
                if let sealed = peer.sealedBootstrapForFuzzing(kind: op & 7, body: payload) { deliver(sealed, from: FuzzRoom.peerAddress) }
            case 4:
                let voice = VoicePacket(senderID: 1, sequenceNumber: UInt16(ops), timestamp: 0, payload: payload).serialize()
                if op & 8 == 0 {
                    collect(peer.send(voice, to: FuzzRoom.victimAddress, now: now), fromPeer: true)
                } else {
                    collect(victim.send(voice, to: FuzzRoom.peerAddress, now: now), fromPeer: false)
                }
                exchange()
            case 5:
                now = now.advanced(byMilliseconds: 10 * Double(payload.first ?? 25))
                collect(peer.tick(now: now), fromPeer: true)
                collect(victim.tick(now: now), fromPeer: false)
                exchange()
            case 6:
                var bytes = lastFromPeer
                for (k, b) in payload.prefix(bytes.count).enumerated() { bytes[k] ^= b }
                if payload.count > bytes.count { bytes += payload[bytes.count...] }
                deliver(bytes, from: FuzzRoom.peerAddress)
            default:
                if op & 8 == 0 {
                    deliver(lastFromVictim, from: FuzzRoom.peerAddress)
                } else {
                    deliver(lastFromPeer, from: FuzzRoom.otherAddress)
                }
            }
        }
    }

    mutating func collect(_ effects: [OutboundDatagram], fromPeer: Bool) {
        for case .send(let bytes, _) in effects {
            if fromPeer {
                toVictim.append(bytes)
                lastFromPeer = bytes
            } else {
                toPeer.append(bytes)
                lastFromVictim = bytes
            }
        }
    }

    /// Both sides read what the other sent, until quiet (bounded: a handshake takes three).
    mutating func exchange() {
        for _ in 0..<6 where !toVictim.isEmpty || !toPeer.isEmpty {
            now = now.advanced(byMilliseconds: 1)
            let (inVictim, inPeer) = (toVictim, toPeer)
            (toVictim, toPeer) = ([], [])
            for bytes in inVictim { deliver(bytes, from: FuzzRoom.peerAddress) }
            for bytes in inPeer {
                collect(peer.receive(bytes, from: FuzzRoom.victimAddress, now: now).effects, fromPeer: true)
            }
        }
        toVictim = []
        toPeer = []
    }

    /// One datagram into the victim, with the invariants checked.
    mutating func deliver(_ bytes: [UInt8], from address: RoomAddress) {
        let before = victim.counters
        let verifiedBefore = victim.peer(at: address) != nil
        let effects = victim.receive(bytes, from: address, now: now).effects
        let after = victim.counters
        if (after.opened + after.dropped) - (before.opened + before.dropped) != 1 {
            fatalError("a datagram was not counted exactly once: \(before) → \(after)")
        }
        var answered = 0
        for case .send(let out, let to) in effects where to == address { answered += out.count }
        if !verifiedBefore, victim.peer(at: address) == nil, answered > bytes.count {
            fatalError("amplification: \(answered) B sent to an unverified address for \(bytes.count) B")
        }
        collect(effects, fromPeer: false)
    }
}

@main enum SecureTransportFuzz: FuzzTarget {
    static func fuzz(_ input: [UInt8]) {
        var script = Script()
        script.run(input)
    }
}
