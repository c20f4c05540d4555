/// Why a security operation refused its input. Cases carry no key material, so an error can be
/// logged or shown as is (tests check this).
public enum SecurityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a sealed packet of a format we know (too short, wrong version/type, flag unset...).
    case malformed(String)
    /// The packet's room tag belongs to no room key this receiver holds: another room, or a
    /// room secret that has since been changed.
    case wrongRoom
    /// The room is ours but no key is installed for this sender and key id.
    case unknownKey
    /// Sealed for our room under a pair session this run does not hold: a peer's traffic from
    /// before we restarted (or forgot the session), until the peer hears of the new one.
    case stale
    /// Authentic-looking (its room mac verified) but refused: the handshake work budget of
    /// its source address, or of all sources, was spent (see `HandshakeBudget`).
    case throttled
    /// Authentication failed: forged, tampered, or sealed under a key we do not share.
    case forged
    /// This counter was already accepted under this key.
    case replayed
    /// The counter is behind the replay window: too old to tell from a replay.
    case tooOld
    /// A sealer has used up its counter space and refuses to reuse a nonce (never reached in
    /// practice: rekeying happens long before).
    case counterExhausted
    /// An invite string or passphrase did not yield a room secret; `reason` says why.
    case invalidInvite(String)
    case invalidPassphrase(String)
    /// A stored identity or public key did not decode.
    case invalidIdentity(String)
    /// A pairwise handshake message was malformed or its signature did not verify.
    case handshakeRejected(String)

    public var description: String {
        switch self {
        case let .malformed(reason): return "malformed sealed packet: \(reason)"
        case .wrongRoom: return "packet sealed for another room or a retired room secret"
        case .unknownKey: return "no key installed for this sender and key id"
        case .stale: return "sealed under a session this run does not hold (from before a restart)"
        case .throttled: return "handshake work budget spent; datagram not acted on"
        case .forged: return "authentication failed (forged or tampered packet)"
        case .replayed: return "replayed packet"
        case .tooOld: return "packet too old for the replay window"
        case .counterExhausted: return "packet counter exhausted; rekey required"
        case let .invalidInvite(reason): return "invalid invite string: \(reason)"
        case let .invalidPassphrase(reason): return "invalid passphrase: \(reason)"
        case let .invalidIdentity(reason): return "invalid identity: \(reason)"
        case let .handshakeRejected(reason): return "pairwise handshake rejected: \(reason)"
        }
    }
}
