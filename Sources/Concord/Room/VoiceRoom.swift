import Logging

/// A voice call that follows room membership: a `RoomNode` plus a `Participant`.
///
/// When a member enters this node's view, the participant starts sending to and receiving from
/// it (`addPeer`); when it leaves or fails, its stream stops and its jitter buffer and decoder
/// are released (`removePeer`). One UDP port carries everything: `receive` routes a datagram by
/// its packet type byte (1 voice, 2 room control, 3 text).
///
/// **Client ids to voice ids.** Voice packets name their sender with a 32-bit `PeerID`. Every
/// node computes it from the client id alone — `voiceID(for:)` is 32-bit FNV-1a of the UTF-8
/// bytes (0 is mapped to 1) — so no negotiation is needed and every node agrees. Two client ids
/// in one room may hash alike (probability about n²/2³³: 3·10⁻⁷ for 50 members). Then, on
/// every node, only the member with the smallest client id (UTF-8 byte order) of the colliding
/// group is a voice peer; the others stay room members (text, peer list) without voice and are
/// listed in `voiceCollisions`, so the ambiguity never mixes two people into one stream. A
/// member whose voice id equals this node's own is never a voice peer of this node.
public final class VoiceRoom {
    public let node: RoomNode
    public let participant: Participant
    /// Voice peers by client id: exactly the members of the view that have voice.
    public private(set) var voicePeers: [String: PeerID] = [:]
    /// Members denied voice because their voice id collides with a member's of smaller client id.
    public private(set) var voiceCollisions: [String] = []
    private var addressByVoiceID: [PeerID: RoomAddress] = [:]
    private let logger: Logger

    public enum VoiceRoomError: Error, Equatable, Sendable {
        /// The participant's id is not `voiceID(for: clientID)`.
        case voiceIDMismatch(expected: PeerID, participant: PeerID)
    }

    public init(node: RoomNode, participant: Participant, logger: Logger = Logger(label: "concord.voiceroom")) {
        self.node = node
        self.participant = participant
        self.logger = logger
    }

    /// The voice id every node derives for `clientID`: FNV-1a 32 of its UTF-8 bytes, never 0.
    public static func voiceID(for clientID: String) -> PeerID {
        var h: UInt32 = 0x811C_9DC5
        for b in clientID.utf8 {
            h ^= UInt32(b)
            h &*= 0x0100_0193
        }
        return h == 0 ? 1 : h
    }

    /// Joins the room (see `RoomNode.join`). The participant must have been created with
    /// `id: VoiceRoom.voiceID(for: clientID)`.
    public func join(roomID: String, clientID: String, displayName: String = "", address: RoomAddress, now: Instant) throws
        -> [RoomEffect]
    {
        let expected = Self.voiceID(for: clientID)
        guard participant.id == expected else {
            throw VoiceRoomError.voiceIDMismatch(expected: expected, participant: participant.id)
        }
        return follow(try node.join(roomID: roomID, clientID: clientID, displayName: displayName, address: address, now: now))
    }

    /// Any datagram that arrived on the room's port: voice goes to the participant, room control
    /// and text to the room node. Returns the room's effects (voice reception produces none).
    public func receive(bytes: [UInt8], from: RoomAddress, now: Instant) -> [RoomEffect] {
        guard bytes.count >= 2 else {
            return follow(node.receive(bytes: bytes, from: from, now: now))  // counted as malformed there
        }
        if bytes[1] == VoicePacket.packetType {
            participant.receive(bytes, now: now)
            return []
        }
        return follow(node.receive(bytes: bytes, from: from, now: now))
    }

    public func tick(now: Instant) -> [RoomEffect] { follow(node.tick(now: now)) }

    public func sendText(_ text: String, now: Instant) throws(RoomError) -> [RoomEffect] {
        follow(try node.sendText(text, now: now))
    }

    /// Leaves the room and stops every voice stream.
    public func leave(now: Instant) -> [RoomEffect] {
        let effects = node.leave(now: now)
        for id in voicePeers.keys.sorted(by: utf8Less) { stopVoice(id) }
        voiceCollisions = []
        return effects
    }

    /// Encodes one captured frame and addresses it to every voice peer.
    public func capture(_ frame: [Float], now: Instant) throws -> [RoomEffect] {
        try participant.capture(frame, now: now).compactMap { d in
            addressByVoiceID[d.destination].map { RoomEffect.send(bytes: d.bytes, to: $0) }
        }
    }

    public func playout(now: Instant) { participant.playout(now: now) }

    /// Brings the voice peers in line with the room view after every room call.
    private func follow(_ effects: [RoomEffect]) -> [RoomEffect] {
        let relevant = effects.contains { effect in
            if case .event(let e) = effect {
                switch e {
                case .peerJoined, .peerLeft, .peerUpdated, .viewChanged, .leftRoom: return true
                default: return false
                }
            }
            return false
        }
        if relevant { reconcile() }
        return effects
    }

    private func reconcile() {
        // Who should have voice: per voice id, the member with the smallest client id.
        var owner: [PeerID: RoomPeer] = [:]
        var collided: [String] = []
        let myVoice = Self.voiceID(for: node.clientID)
        for p in node.peers() {  // sorted by client id, so the first of a group wins
            let v = Self.voiceID(for: p.clientID)
            // A member sharing *our* voice id cannot be told apart from us on the wire at all.
            if v == myVoice || owner[v] != nil {
                collided.append(p.clientID)
            } else {
                owner[v] = p
            }
        }
        let wanted = Dictionary(uniqueKeysWithValues: owner.values.map { ($0.clientID, $0) })
        for id in voicePeers.keys.sorted(by: utf8Less) where wanted[id] == nil { stopVoice(id) }
        for (id, p) in wanted.sorted(by: { utf8Less($0.key, $1.key) }) {
            let v = Self.voiceID(for: id)
            addressByVoiceID[v] = p.address  // follows address changes (a restart elsewhere)
            guard voicePeers[id] == nil else { continue }
            do {
                try participant.addPeer(v)
                voicePeers[id] = v
                logger.debug("voice peer added", metadata: ["client": "\(id)", "voice id": "\(v)"])
            } catch {
                logger.error("could not add voice peer", metadata: ["client": "\(id)", "error": "\(error)"])
            }
        }
        voiceCollisions = collided
    }

    private func stopVoice(_ id: String) {
        guard let v = voicePeers.removeValue(forKey: id) else { return }
        participant.removePeer(v)
        addressByVoiceID[v] = nil
        logger.debug("voice peer removed", metadata: ["client": "\(id)", "voice id": "\(v)"])
    }
}
