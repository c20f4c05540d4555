/// Which members of a room have voice, under which voice id, at which address.
///
/// Voice packets name their sender with a 32-bit `PeerID`. Every client computes it from the
/// client id alone — `voiceID(for:)` is 32-bit FNV-1a of the UTF-8 bytes (0 is mapped to 1) — so
/// no negotiation is needed and every client agrees. Two client ids in one room may hash alike
/// (probability about n²/2³³: 3·10⁻⁷ for 50 members). Then, on every client, only the member
/// listed first (a room lists its members in UTF-8 order of client id) of the colliding group has
/// voice; the others stay members (text, peer list) without voice and are listed in `collisions`,
/// so the ambiguity never mixes two people into one stream. A member whose voice id equals this
/// client's own is never a voice peer of it.
public struct VoicePeers: Sendable {
    public let ownID: PeerID
    /// Voice peers by client id.
    public private(set) var byClientID: [String: PeerID] = [:]
    /// Members denied voice because their voice id collides with an earlier member's (or ours).
    public private(set) var collisions: [String] = []
    private var clientIDByVoiceID: [PeerID: String] = [:]
    private var addressByVoiceID: [PeerID: RoomAddress] = [:]

    public init(ownID clientID: String) { ownID = Self.voiceID(for: clientID) }

    /// The voice id every client derives for `clientID`: FNV-1a 32 of its UTF-8 bytes, never 0.
    public static func voiceID(for clientID: String) -> PeerID {
        var h: UInt32 = 0x811C_9DC5
        for b in clientID.utf8 {
            h ^= UInt32(b)
            h &*= 0x0100_0193
        }
        return h == 0 ? 1 : h
    }

    public func voiceID(of clientID: String) -> PeerID? { byClientID[clientID] }
    public func clientID(of voiceID: PeerID) -> String? { clientIDByVoiceID[voiceID] }
    public func address(of voiceID: PeerID) -> RoomAddress? { addressByVoiceID[voiceID] }

    /// The streams to stop and to start so that exactly `members` (in this order) have voice.
    /// Removals come in UTF-8 order of client id; additions in the members' order.
    public mutating func update(_ members: [(clientID: String, address: RoomAddress)])
        -> (removed: [(clientID: String, id: PeerID)], added: [(clientID: String, id: PeerID)])
    {
        var owner: [PeerID: Int] = [:]
        var collided: [String] = []
        for (index, member) in members.enumerated() {
            let v = Self.voiceID(for: member.clientID)
            // A member sharing *our* voice id cannot be told apart from us on the wire at all.
            if v == ownID || owner[v] != nil {
                collided.append(member.clientID)
            } else {
                owner[v] = index
            }
        }
        let wanted = Set(owner.values.map { members[$0].clientID })
        var removed: [(String, PeerID)] = []
        for id in byClientID.keys.sorted(by: utf8Less) where !wanted.contains(id) {
            if let v = remove(id) { removed.append((id, v)) }
        }
        var added: [(String, PeerID)] = []
        for (index, member) in members.enumerated() where owner[Self.voiceID(for: member.clientID)] == index {
            let v = Self.voiceID(for: member.clientID)
            addressByVoiceID[v] = member.address  // follows address changes (a restart elsewhere)
            guard byClientID[member.clientID] == nil else { continue }
            byClientID[member.clientID] = v
            clientIDByVoiceID[v] = member.clientID
            added.append((member.clientID, v))
        }
        collisions = collided
        return (removed, added)
    }

    /// Takes `clientID`'s voice away; returns its voice id if it had one.
    @discardableResult
    public mutating func remove(_ clientID: String) -> PeerID? {
        guard let v = byClientID.removeValue(forKey: clientID) else { return nil }
        clientIDByVoiceID[v] = nil
        addressByVoiceID[v] = nil
        return v
    }
}
