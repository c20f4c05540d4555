import Logging

/// A `VoiceRoom` behind a `SecureTransport`: what a real client runs. Every datagram out is
/// sealed (pair sessions for unicast, the bootstrap key for broadcasts); every datagram in is
/// opened, checked against its session's client id, and only then handed to the room and the
/// voice pipeline. Without the room secret a node can neither join nor be heard.
///
/// Effects returned are ready to put on the wire (`.send` / `.broadcast` of sealed bytes) plus
/// the room's events.
public final class SecureVoiceRoom {
    public let room: VoiceRoom
    public let transport: SecureTransport
    public var node: RoomNode { room.node }
    public var participant: Participant { room.participant }

    public init(room: VoiceRoom, transport: SecureTransport) {
        self.room = room
        self.transport = transport
    }

    /// Joins the room the transport's key belongs to, as the transport's client id.
    public func join(displayName: String = "", address: RoomAddress, now: Instant) throws -> [RoomEffect] {
        seal(
            try room.join(
                roomID: transport.roomKey.roomID, clientID: transport.clientID, displayName: displayName, address: address,
                now: now), now: now)
    }

    /// Any datagram from the room's port.
    public func receive(bytes: [UInt8], from: RoomAddress, now: Instant) -> [RoomEffect] {
        let (delivered, transportEffects) = transport.receive(bytes, from: from, now: now)
        var effects = transportEffects
        for d in delivered {
            guard let claimed = Self.claimedSender(d.bytes) else {
                // Authentic but unreadable: room.receive counts it as malformed.
                effects += seal(room.receive(bytes: d.bytes, from: d.from, now: now), now: now)
                continue
            }
            let genuine: Bool
            switch claimed {
            case .client(let id): genuine = id == d.clientID
            case .voice(let id): genuine = id == VoiceRoom.voiceID(for: d.clientID)
            }
            guard genuine else {
                transport.noteImpersonation(d, claimed: "\(claimed)")
                continue
            }
            effects += seal(room.receive(bytes: d.bytes, from: d.from, now: now), now: now)
        }
        return effects
    }

    public func tick(now: Instant) -> [RoomEffect] {
        transport.tick(now: now) + seal(room.tick(now: now), now: now)
    }

    /// Encodes one captured frame and seals it for every voice peer.
    public func capture(_ frame: [Float], now: Instant) throws -> [RoomEffect] {
        seal(try room.capture(frame, now: now), now: now)
    }

    /// Seals one plain voice datagram (already encoded by `participant`) for `address`.
    public func sendVoice(_ plain: [UInt8], to address: RoomAddress, now: Instant) -> [RoomEffect] {
        transport.send(plain, to: address, now: now)
    }

    public func sendText(_ text: String, now: Instant) throws(RoomError) -> [RoomEffect] {
        seal(try room.sendText(text, now: now), now: now)
    }

    public func leave(now: Instant) -> [RoomEffect] { seal(room.leave(now: now), now: now) }

    public func playout(now: Instant) { room.playout(now: now) }

    /// The room's peers with the fingerprint each proved in its handshake (nil until then).
    public func peers() -> [(peer: RoomPeer, fingerprint: String?)] {
        node.peers().map { ($0, transport.peer(at: $0.address)?.fingerprint) }
    }

    private enum Claimed: CustomStringConvertible {
        case client(String)
        case voice(PeerID)
        var description: String {
            switch self {
            case .client(let id): return id
            case .voice(let id): return "voice id \(id)"
            }
        }
    }

    private static func claimedSender(_ bytes: [UInt8]) -> Claimed? {
        guard bytes.count >= 2 else { return nil }
        if bytes[1] == VoicePacket.packetType {
            return (try? VoicePacket.Header.parse(bytes)).map { .voice($0.senderID) }
        }
        return (try? RoomMessage.Header.parse(bytes)).map { .client($0.senderID) }
    }

    private func seal(_ effects: [RoomEffect], now: Instant) -> [RoomEffect] {
        var out: [RoomEffect] = []
        out.reserveCapacity(effects.count)
        for effect in effects {
            switch effect {
            case let .send(bytes, to): out += transport.send(bytes, to: to, now: now)
            case let .broadcast(bytes): out += transport.broadcast(bytes, now: now)
            case .event: out.append(effect)
            }
        }
        return out
    }
}
