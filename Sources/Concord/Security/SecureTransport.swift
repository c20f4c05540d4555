import Crypto
import Logging

/// Seals everything a node sends and opens everything it receives, between the room/voice state
/// machines and the network: the layer that makes room membership depend on the room secret
/// rather than on the network.
///
/// **Sessions.** Every peer address gets a forward-secret pair session (`PairwiseHandshake`)
/// before anything else is exchanged with it: unicast voice, control and text are sealed under
/// the pair keys. Broadcasts (discover, announce) and the handshake messages themselves are
/// sealed under the sender's bootstrap key (room key + a random per-run salt), so outsiders
/// cannot read or forge them. A room datagram reaches the room node only through a session
/// whose handshake this node took part in, with fresh ephemeral keys on both sides: a recording
/// of yesterday's traffic (even of a real member) can open nothing today, and a replayed
/// broadcast only makes this node start a handshake that nobody completes.
///
/// **Handshake.** On the first send to an address (or the first broadcast heard from it) the
/// node sends an *initiation* (its signed offer) and queues the datagrams; the peer answers with
/// a *response* (its own offer and the hash of the one it answers) and keeps its keys
/// *unconfirmed*; the initiator derives the keys (`PairwiseHandshake.complete`), and sends a
/// *confirm* under them, which (like any packet under the new keys) confirms the responder's
/// side. Initiations are retried every `handshakeRetryInterval` up to `handshakeAttempts` times;
/// simultaneous initiations derive keys from each side's one offer, and each side's response
/// confirms the other's. A response answers only the offer whose hash it names and never
/// produces another message, so replays cannot start a ping-pong. A responder that already had
/// a working session keeps sending under it until a packet arrives under the new one (a
/// replayed initiation cannot cut a live session).
///
/// **Authenticity before cost** (SECURITY.md, "Floods and reflection"). A bootstrap datagram's
/// room mac is checked first (one HMAC, no state); only then may it cost more, and only within
/// `HandshakeBudget` (per source address and in total): deriving an unseen sender's bootstrap
/// key, checking an offer's signature, key agreement, making a new offer. Keys of a handshake
/// nobody confirmed yet live in a bounded table (`pendingHandshakeLimit`), and become a session
/// only when the peer proves it received our offer. Until then the address is *unverified*:
/// it gets at most one reply per datagram it sent, never larger (SecureWire pads), and an
/// initiation this node started because it heard a broadcast is retried only on the credit of
/// broadcasts received from that address since. So neither a flood nor a replayed capture,
/// from any source address, can make a member spend unbounded CPU or amplify traffic.
///
/// **Identity.** The offer names the client id and its long-term identity and is signed by it;
/// `KnownKeys` pins the first identity seen per client id and flags a change (`keyChanges`).
/// Every datagram delivered carries the session's client id, so the caller can drop one that
/// claims another sender (`noteImpersonation`).
///
/// **Rekeying.** Pair keys ratchet one-way every `rekeyAfterPackets` (PacketSealer); and every
/// `rekeyInterval` the side whose client id sorts first runs a new handshake, so that even a
/// quiet session gets fresh ephemeral keys and old keys are erased (forward secrecy in time).
///
/// **State.** Per address, one `PeerSecurityState` in `peers`: a handshake under way, or a pair
/// session (with the next handshake at times); the receiving keys are the opener's. Sealing and
/// sending live in SecureTransport+Sending.swift, opening and the handshake in
/// SecureTransport+Receiving.swift.
///
/// Like the rest of the engine: no clocks, threads or I/O; time is handed in, and effects are
/// returned for the driver to perform.
public final class SecureTransport {
    /// An authentic datagram, unsealed, with who sent it according to its session.
    public struct Delivered: Sendable, Equatable {
        public var bytes: [UInt8]
        public var from: RoomAddress
        public var clientID: String
        public var identity: PublicIdentity
    }

    /// A known client id presented another identity key (flagged; the session is still made).
    public struct KeyChange: Sendable, Equatable {
        public var clientID: String
        public var previousFingerprint: String
        public var newFingerprint: String
        public var address: RoomAddress
    }

    /// What this node knows about the peer at one address.
    public struct PeerSecurity: Sendable, Equatable {
        public var clientID: String
        public var fingerprint: String
        public var establishedAt: Instant
        /// Round-trip time of the session's handshake, on both sides: the initiator times its
        /// initiation to the response; the responder times its response to the peer's first
        /// packet under the new keys (the confirm).
        public var handshakeRTTMilliseconds: Double?
    }

    /// Whose keys open a datagram.
    enum Channel: Hashable {
        case pair(RoomAddress)
        /// A responder's new keys, until the peer's first packet under them.
        case pending(RoomAddress)
        case bootstrap([UInt8])
    }

    public let roomKey: RoomKey
    public let identity: PublicIdentity
    public let clientID: String
    public let settings: Settings
    public internal(set) var statistics = Statistics()
    public private(set) var knownKeys: KnownKeys
    public private(set) var keyChanges: [KeyChange] = []
    /// Called with each voice datagram dropped for having waited too long for its handshake
    /// (`Settings.queuedVoiceLifetime`), and the address it was for: never sent.
    public var onStaleVoiceDropped: (([UInt8], RoomAddress) -> Void)?
    /// Every rejection of a sealed datagram, by cause.
    public var counters: SecurityCounters { opener.counters }
    /// Told around every entry point (all of it is security work: sealing, opening, handshakes),
    /// so a benchmark can account this layer's CPU time apart from the codec's.
    public weak var cpuObserver: CodecObserver?

    let signer: Identity
    let salt: [UInt8]
    let bootstrapSealer: PacketSealer
    /// HMAC state keyed once with the bootstrap mac key; copied per datagram.
    let macTemplate: HMAC<SHA256>
    let opener = PacketOpener<Channel>()
    var budget: HandshakeBudget
    var peers = PeerSecurityTable()
    var bootstrapSenders: [[UInt8]] = []
    var effects: [OutboundDatagram] = []
    var delivered: [Delivered] = []
    /// The datagram being received already took its budget token.
    var chargedThisDatagram = false
    /// The datagram being received was refused by the budget after it opened.
    var throttledThisDatagram = false
    let logger: Logger

    /// - Parameters:
    ///   - sessionSalt: 16 random bytes, new for every run of the client (`randomSalt()`); a
    ///     simulation passes seeded bytes to stay reproducible.
    ///   - knownKeys: identities pinned so far (trust on first use); updated as peers appear.
    public init(
        roomKey: RoomKey, identity: Identity, clientID: String, sessionSalt: [UInt8], knownKeys: KnownKeys = .init(),
        settings: Settings = .init(), logger: Logger = Logger(label: "concord.security")
    ) {
        precondition(sessionSalt.count == SecureWire.saltLength, "session salt must be 16 bytes")
        precondition(clientID.utf8.count <= HandshakeOffer.maxSenderBytes, "client id too long")
        self.roomKey = roomKey
        self.signer = identity
        self.identity = identity.publicIdentity
        self.clientID = clientID
        self.salt = sessionSalt
        self.knownKeys = knownKeys
        self.settings = settings
        self.logger = logger
        self.bootstrapSealer = PacketSealer(key: roomKey.bootstrapKey(sessionSalt: sessionSalt))
        self.macTemplate = HMAC<SHA256>(key: roomKey.bootstrapMACKey)
        self.budget = HandshakeBudget(settings: settings.handshakeBudget)
    }

    /// 16 bytes from the system's CSPRNG.
    public static func randomSalt() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        return (0..<SecureWire.saltLength).map { _ in UInt8.random(in: 0...255, using: &g) }
    }

    // MARK: Sending

    /// Seals a plain voice or room datagram for `address`, or queues it and starts a handshake.
    public func send(_ plain: [UInt8], to address: RoomAddress, now: Instant) -> [OutboundDatagram] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        sendOrQueue(plain, to: address, now: now)
        return effects
    }

    /// Seals a plain room datagram (discover, announce) under the bootstrap key for broadcast.
    public func broadcast(_ plain: [UInt8], now: Instant) -> [OutboundDatagram] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        guard let sealed = sealBootstrap(.broadcast, plain) else { return [] }
        return [.broadcast(bytes: sealed)]
    }

    // MARK: Receiving

    /// Opens one datagram: returns what is authentic and addressed to the node (in order) and
    /// what must be sent (handshake answers, queued datagrams now that a session exists).
    public func receive(_ bytes: [UInt8], from address: RoomAddress, now: Instant) -> (delivered: [Delivered], effects: [OutboundDatagram]) {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        delivered = []
        guard let headerLength = SecureWire.sealedHeaderLength(bytes) else {
            opener.record(.malformed("not a sealed Concord datagram"))
            return ([], [])
        }
        if PacketType(of: bytes) == .security, let kind = SecureWire.Kind(rawValue: bytes[3]), kind != .confirm {
            chargedThisDatagram = false
            throttledThisDatagram = false
            receiveBootstrap(bytes, kind: kind, from: address, now: now)
        } else {
            receivePair(bytes, headerLength: headerLength, from: address, now: now)
        }
        return (delivered, effects)
    }

    /// Retries handshakes, starts time-based rekeys, and drops idle sessions and unconfirmed keys.
    /// Three passes, each over every address in order: all retries go out before any rekey.
    public func tick(now: Instant) -> [OutboundDatagram] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        let addresses = peers.addresses
        for address in addresses {
            guard var initiation = peers.handshakes(at: address).initiation, now >= initiation.nextSendAt else { continue }
            if initiation.attemptsLeft <= 0 {
                let ended = endInitiation(address)
                statistics.handshakesTimedOut += 1
                statistics.queueDrops += ended?.queued.count ?? 0
                logger.debug("handshake timed out", metadata: ["peer": "\(address)"])
                continue
            }
            initiation.attemptsLeft -= 1
            initiation.nextSendAt = now.advanced(byMilliseconds: settings.handshakeRetryInterval)
            peers.modifyHandshakes(at: address) { $0.initiation = initiation }
            sendInitiation(to: address, now: now)
        }
        for address in addresses {
            if let unconfirmed = peers.handshakes(at: address).unconfirmed,
                now.milliseconds(since: unconfirmed.createdAt) >= settings.unconfirmedLifetime
            {
                dropUnconfirmed(address)
            }
        }
        for address in addresses {
            guard let session = peers.session(at: address) else { continue }
            if now.milliseconds(since: session.lastOpenedAt) >= settings.idleSessionLifetime {
                forget(address)
                continue
            }
            if now.milliseconds(since: session.establishedAt) >= settings.rekeyInterval,
                peers.handshakes(at: address).initiation == nil, utf8Less(clientID, session.agreement.clientID)
            {
                initiate(address, credit: nil, now: now)
            }
        }
        return effects
    }

    // MARK: Queries

    public func peer(at address: RoomAddress) -> PeerSecurity? {
        peers.session(at: address).map {
            PeerSecurity(
                clientID: $0.agreement.clientID, fingerprint: $0.agreement.identity.fingerprint, establishedAt: $0.establishedAt,
                handshakeRTTMilliseconds: $0.rtt)
        }
    }

    /// Addresses with a pair session.
    public var sessionAddresses: [RoomAddress] { peers.sessionAddresses }

    /// Handshake state held for addresses that have not proven anything yet: unconfirmed
    /// responder keys and initiations started on a heard broadcast (each ≤ `pendingHandshakeLimit`).
    public var pendingHandshakes: (unconfirmed: Int, heardInitiations: Int) { peers.pendingCounts }

    /// The caller dropped a delivered datagram that claimed a sender other than its session's.
    public func noteImpersonation(_ delivered: Delivered, claimed: String) {
        statistics.impersonations += 1
        logger.warning(
            "dropped a datagram claiming another sender",
            metadata: ["peer": "\(delivered.from)", "session": "\(delivered.clientID)", "claimed": "\(claimed)"])
    }

    /// Drops the session with `address` and erases its keys.
    public func forget(_ address: RoomAddress) {
        let ended = endInitiation(address)
        dropUnconfirmed(address)
        peers.remove(address)
        opener.remove(sender: .pair(address))
        statistics.queueDrops += ended?.queued.count ?? 0
    }

    /// A bootstrap datagram of kind `kind` (1 broadcast, 2 initiation, 3 response) around any
    /// `body`, sealed, padded and mac'd as this node seals its own: lets a fuzzer reach the
    /// code behind authentication. Not for the product (it would let a caller send anything).
    @_spi(Fuzzing) public func sealedBootstrapForFuzzing(kind: UInt8, body: [UInt8]) -> [UInt8]? {
        guard let kind = SecureWire.Kind(rawValue: kind), kind != .confirm else { return nil }
        return sealBootstrap(kind, body)
    }

    /// Pins `key` for `id` (trust on first use) and records a change of a pinned key.
    func checkIdentity(_ id: String, _ key: PublicIdentity, address: RoomAddress) {
        if case let .changed(previous, new) = knownKeys.check(clientID: id, key: key) {
            statistics.keyChanges += 1
            keyChanges.append(KeyChange(clientID: id, previousFingerprint: previous, newFingerprint: new, address: address))
            logger.warning(
                "a known client presents a different identity key",
                metadata: ["client": "\(id)", "was": "\(previous)", "now": "\(new)"])
        }
    }
}
