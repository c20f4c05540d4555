/// Every Concord datagram begins `version(1) ‖ type(1) ‖ flags(1)`; the type byte says which
/// parser reads the rest. One port carries them all, so this is the one place a type is read.
///
/// **Append-only.** A number, once released, keeps its meaning forever: peers of an older
/// version drop types they do not know (counted as malformed), never misread them. A new packet
/// type takes the next number and a parser of its own behind `init?(of:)`.
public enum PacketType: UInt8, Sendable, CaseIterable {
    /// Opus voice (`VoicePacket`).
    case voice = 1
    /// Room membership: discover, heartbeat, gossip, leave, announce (`RoomMessage`).
    case roomControl = 2
    /// Room text and its history (`RoomMessage`).
    case roomText = 3
    /// The security layer's own datagrams: sealed broadcasts, handshakes (`SecureWire`).
    case security = 4
    /// A listener's report on a talker's voice: loss, jitter, playout, round trip (`ReceiverReport`).
    case receiverReport = 5

    /// The type `bytes` claim, or nil when they are too short to claim one or claim an unknown
    /// one. The version byte is the type's parser's to check: a datagram of a known type and a
    /// version this build cannot read is that parser's malformed datagram, counted where its
    /// kind is counted.
    public init?(of bytes: [UInt8]) {
        guard bytes.count >= 2, let type = PacketType(rawValue: bytes[1]) else { return nil }
        self = type
    }
}
