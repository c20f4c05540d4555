/// Dropped packets by cause, kept apart like Mumble's good/late/lost/resync: a burst of
/// `forged` means an attacker or a bug, `wrongRoom` a stale secret or a neighbour room on the
/// same network, `replayed`/`tooOld` a replay (or heavy duplication), `unknownKey` a missed
/// handshake, `stale` a peer still using a session from before this client restarted,
/// `throttled` handshake datagrams beyond the work budget (a flood, or a replay). The bench report and the live view show them side by side.
public struct SecurityCounters: Sendable, Equatable, Codable {
    /// Packets that authenticated and were delivered.
    public var opened = 0
    /// Authentication failed: forged, tampered, or sealed under a key we do not share.
    public var forged = 0
    public var replayed = 0
    public var tooOld = 0
    /// Room tag of no room key we hold (another room, or a retired secret).
    public var wrongRoom = 0
    /// Our room, but no key for this sender and key id.
    public var unknownKey = 0
    /// Not a sealed packet at all (truncated, wrong version or type, sealed flag unset).
    public var malformed = 0
    /// Our room, from an address this run has no session with: a peer's traffic from before
    /// we restarted. Harmless, and it stops once the peer hears of the new session.
    public var stale = 0
    /// Handshake datagrams (their room mac verified) refused by the work budget.
    public var throttled = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case opened, forged, replayed, malformed, stale, throttled
        case tooOld = "too_old"
        case wrongRoom = "wrong_room"
        case unknownKey = "unknown_key"
    }

    /// Reports written before `stale` and `throttled` existed still decode (as zero).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        opened = try c.decode(Int.self, forKey: .opened)
        forged = try c.decode(Int.self, forKey: .forged)
        replayed = try c.decode(Int.self, forKey: .replayed)
        tooOld = try c.decode(Int.self, forKey: .tooOld)
        wrongRoom = try c.decode(Int.self, forKey: .wrongRoom)
        unknownKey = try c.decode(Int.self, forKey: .unknownKey)
        malformed = try c.decode(Int.self, forKey: .malformed)
        stale = try c.decodeIfPresent(Int.self, forKey: .stale) ?? 0
        throttled = try c.decodeIfPresent(Int.self, forKey: .throttled) ?? 0
    }

    public var dropped: Int { forged + replayed + tooOld + wrongRoom + unknownKey + malformed + stale + throttled }

    /// Both sets of counts summed, cause by cause (e.g. over a room's members).
    public func adding(_ other: SecurityCounters) -> SecurityCounters {
        var sum = self
        sum.opened += other.opened
        sum.forged += other.forged
        sum.replayed += other.replayed
        sum.tooOld += other.tooOld
        sum.wrongRoom += other.wrongRoom
        sum.unknownKey += other.unknownKey
        sum.malformed += other.malformed
        sum.stale += other.stale
        sum.throttled += other.throttled
        return sum
    }

    mutating func count(_ error: SecurityError) {
        switch error {
        case .forged: forged += 1
        case .replayed: replayed += 1
        case .tooOld: tooOld += 1
        case .wrongRoom: wrongRoom += 1
        case .unknownKey: unknownKey += 1
        case .stale: stale += 1
        case .throttled: throttled += 1
        default: malformed += 1
        }
    }
}
