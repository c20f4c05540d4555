/// A `Participant` whose datagrams are sealed on the way out and opened on the way in; the
/// seam between the voice pipeline and the security layer that leaves `Participant` untouched.
///
/// Outgoing: each datagram is sealed with the destination's pair sealer if one is set, else the
/// group sealer; with neither it is not sent at all (`unsealedDrops`) — Concord never falls back
/// to clear text. Incoming: bytes are opened (every rejection counted in `counters`) and only
/// authentic packets reach `Participant.receive`, so a non-member can neither inject audio nor
/// disturb the jitter buffers.
public final class SealedParticipant {
    public let participant: Participant
    public let opener: PacketOpener<PeerID>
    /// Seals for every peer without a pair sealer (group mode).
    public var groupSealer: PacketSealer?
    private var pairSealers: [PeerID: PacketSealer] = [:]
    /// Outgoing datagrams dropped because no key was available for their destination.
    public private(set) var unsealedDrops = 0

    public init(participant: Participant, groupSealer: PacketSealer? = nil, opener: PacketOpener<PeerID> = PacketOpener()) {
        self.participant = participant
        self.groupSealer = groupSealer
        self.opener = opener
    }

    public var counters: SecurityCounters { opener.counters }

    /// Uses a pair session's sealer for `peer` (forward-secret mode).
    public func setSealer(_ sealer: PacketSealer?, for peer: PeerID) { pairSealers[peer] = sealer }

    public func capture(_ frame: [Float], now: Instant) throws -> [OutgoingDatagram] {
        let plain = try participant.capture(frame, now: now)
        var out: [OutgoingDatagram] = []
        out.reserveCapacity(plain.count)
        var groupSealed: [UInt8]?
        for datagram in plain {
            if let sealer = pairSealers[datagram.destination] {
                out.append(OutgoingDatagram(destination: datagram.destination, bytes: try sealer.sealVoice(datagram.bytes)))
            } else if let groupSealer {
                if groupSealed == nil { groupSealed = try groupSealer.sealVoice(datagram.bytes) }
                out.append(OutgoingDatagram(destination: datagram.destination, bytes: groupSealed!))
            } else {
                unsealedDrops += 1
            }
        }
        return out
    }

    /// Opens one datagram and hands it to the participant; rejected bytes are counted and dropped.
    public func receive(_ bytes: [UInt8], now: Instant) {
        guard let plain = try? opener.openVoice(bytes) else { return }
        participant.receive(plain, now: now)
    }

    public func playout(now: Instant) { participant.playout(now: now) }
}
