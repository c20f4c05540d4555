/// What `SecureTransport` holds for one peer address: a handshake under way, or a pair session
/// (at times with the next handshake under way). An address with neither has no state at all.
/// The receiving keys live in the transport's `PacketOpener`, under the same address.
enum PeerSecurityState {
    /// No session yet: our handshake, the peer's, or both (simultaneous initiations).
    case handshaking(Handshakes)
    /// A pair session, with a rekey of ours or a new offer of the peer's possibly under way.
    case established(PairSession, Handshakes)

    var session: PairSession? {
        if case .established(let session, _) = self { return session }
        return nil
    }

    var handshakes: Handshakes {
        switch self {
        case .handshaking(let handshakes), .established(_, let handshakes): return handshakes
        }
    }
}

extension PeerSecurityState {
    /// The handshakes under way with one address; a peer that is `.handshaking` has at least one.
    struct Handshakes {
        /// The handshake this node started: its offer is in flight.
        var initiation: Initiation?
        /// Keys this node derived answering the peer's offer, until the peer shows it got ours.
        var unconfirmed: UnconfirmedAgreement?

        var isEmpty: Bool { initiation == nil && unconfirmed == nil }
    }

    /// What one key agreement with a peer gives, confirmed or not: who the peer is, both offers
    /// (to recognise a retransmitted one) and the sealer of our direction.
    struct PairAgreement {
        var clientID: String
        var identity: PublicIdentity
        var peerOffer: [UInt8]
        var ownOffer: [UInt8]
        var sealer: PacketSealer
    }

    /// Keys derived in answer to a peer's initiation, not yet confirmed: the peer has not shown
    /// that it received our offer (the initiation may be a replay from a spoofed address).
    struct UnconfirmedAgreement {
        var agreement: PairAgreement
        var ownOfferHash: [UInt8]
        var createdAt: Instant
        /// When our (last) response left: the responder's handshake RTT runs from here.
        var respondedAt: Instant
    }

    /// A confirmed pair session. A class: every datagram sent reads its sealer and every datagram
    /// opened notes the time, and copying a whole session out of the peer table for that would cost
    /// a dozen retains and releases per datagram.
    final class PairSession {
        let agreement: PairAgreement
        let establishedAt: Instant
        var lastOpenedAt: Instant
        var lastResponseAt: Instant?
        /// The handshake's round-trip time (see `SecureTransport.PeerSecurity`).
        let rtt: Double?
        /// A packet from the peer opened at this address since this session was made.
        var peerSpoke: Bool

        init(agreement: PairAgreement, establishedAt: Instant, lastOpenedAt: Instant, lastResponseAt: Instant?, rtt: Double?, peerSpoke: Bool) {
            self.agreement = agreement
            self.establishedAt = establishedAt
            self.lastOpenedAt = lastOpenedAt
            self.lastResponseAt = lastResponseAt
            self.rtt = rtt
            self.peerSpoke = peerSpoke
        }
    }

    /// A handshake this node started, and what waits for its session.
    struct Initiation {
        var handshake: PairwiseHandshake
        var offer: [UInt8]
        var hash: [UInt8]
        var attemptsLeft: Int
        var nextSendAt: Instant
        var lastSentAt: Instant
        /// nil: this node wants the session (the room sends there, or a rekey); retried freely.
        /// Otherwise started because a broadcast was heard from an unverified address: bytes
        /// of broadcasts received from it not yet spent on initiations.
        var credit: Int?
        /// Datagrams for the address, sent once the session exists.
        var queued: [QueuedDatagram] = []
        /// Broadcasts heard from the address, delivered once the session exists.
        var held: [[UInt8]] = []
    }
}

/// A plain datagram waiting for its address's session, and when it began to wait.
struct QueuedDatagram {
    let plain: [UInt8]
    let queuedAt: Instant
    let isVoice: Bool

    init(_ plain: [UInt8], at now: Instant) {
        self.plain = plain
        self.queuedAt = now
        self.isVoice = PacketType(of: plain) == .voice
    }

    /// Voice that has waited longer than `lifetime` milliseconds by `now`.
    func isStaleVoice(at now: Instant, lifetime: Double) -> Bool {
        isVoice && now.milliseconds(since: queuedAt) > lifetime
    }
}

/// Every peer address's `PeerSecurityState`, in one dictionary.
struct PeerSecurityTable {
    private var states: [RoomAddress: PeerSecurityState] = [:]

    func session(at address: RoomAddress) -> PeerSecurityState.PairSession? { states[address]?.session }

    func handshakes(at address: RoomAddress) -> PeerSecurityState.Handshakes {
        states[address]?.handshakes ?? PeerSecurityState.Handshakes()
    }

    /// Every address with state, in order. Passes over the table run in this order: it decides
    /// the order of the datagrams a pass sends, which a seeded simulation depends on.
    var addresses: [RoomAddress] { states.keys.sorted() }

    var sessionAddresses: [RoomAddress] { states.compactMap { $0.value.session == nil ? nil : $0.key }.sorted() }

    /// Unconfirmed agreements, and initiations started because a broadcast was heard: kept up
    /// to date as the table changes, since every new handshake checks them against their limits.
    private(set) var pendingCounts: (unconfirmed: Int, heardInitiations: Int) = (0, 0)

    /// The address of the oldest unconfirmed agreement.
    var oldestUnconfirmed: RoomAddress? {
        states.compactMap { address, state in state.handshakes.unconfirmed.map { (createdAt: $0.createdAt, address: address) } }
            .min { ($0.createdAt, $0.address) < ($1.createdAt, $1.address) }?.address
    }

    /// Changes the handshakes with `address`; an address left with neither a session nor a
    /// handshake leaves the table.
    mutating func modifyHandshakes<Result>(at address: RoomAddress, _ change: (inout PeerSecurityState.Handshakes) -> Result) -> Result {
        let session = states[address]?.session
        var handshakes = handshakes(at: address)
        count(handshakes, as: -1)
        let result = change(&handshakes)
        count(handshakes, as: 1)
        if let session {
            states[address] = .established(session, handshakes)
        } else {
            states[address] = handshakes.isEmpty ? nil : .handshaking(handshakes)
        }
        return result
    }

    /// Makes `session` the one with `address`, keeping the handshakes under way; true if it
    /// replaces another.
    mutating func establish(_ session: PeerSecurityState.PairSession, at address: RoomAddress) -> Bool {
        let replaced = states[address]?.session != nil
        states[address] = .established(session, handshakes(at: address))
        return replaced
    }

    mutating func remove(_ address: RoomAddress) {
        if let removed = states.removeValue(forKey: address) { count(removed.handshakes, as: -1) }
    }

    private mutating func count(_ handshakes: PeerSecurityState.Handshakes, as step: Int) {
        if handshakes.unconfirmed != nil { pendingCounts.unconfirmed += step }
        if handshakes.initiation?.credit != nil { pendingCounts.heardInitiations += step }
    }
}
