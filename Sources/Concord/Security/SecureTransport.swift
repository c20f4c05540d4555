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
/// Like the rest of the engine: no clocks, threads or I/O; time is handed in, and effects are
/// returned for the driver to perform.
public final class SecureTransport {
    public struct Settings: Sendable, Equatable {
        public var handshakeRetryInterval: Double = 250
        public var handshakeAttempts = 12
        /// A new handshake per session after this long (WireGuard's REKEY_AFTER_TIME).
        public var rekeyInterval: Double = 120_000
        /// Sessions that opened nothing for this long are dropped with their keys.
        public var idleSessionLifetime: Double = 60_000
        /// Datagrams queued per address while its handshake runs; more are dropped and counted.
        public var queueLimit = 64
        /// Broadcasts held per address until its session exists.
        public var heldBroadcastLimit = 8
        /// Bootstrap senders (session salts) remembered for replay protection.
        public var bootstrapSenderLimit = 512
        public var rekeyAfterPackets: UInt64 = SealedFormat.defaultRekeyAfterPackets
        /// Expensive handshake work allowed for datagrams of no session (per source, in total).
        public var handshakeBudget = HandshakeBudget.Settings()
        /// Unconfirmed responder keys kept at once, and initiations started because a broadcast
        /// was heard: the most state unauthenticated-origin traffic can make this node hold.
        public var pendingHandshakeLimit = 64
        /// Unconfirmed responder keys are dropped after this long (the initiator stops retrying
        /// after `handshakeAttempts × handshakeRetryInterval` = 3 s).
        public var unconfirmedLifetime: Double = 5000
        public init() {}
    }

    public struct Statistics: Sendable, Equatable, Codable {
        public var handshakesStarted = 0
        public var handshakesCompleted = 0
        /// Offers with a bad signature, another room's tag, a malformed client id, or reflected.
        public var handshakesRejected = 0
        /// Handshakes that got no response within `handshakeAttempts`.
        public var handshakesTimedOut = 0
        /// Responses that answered no offer of ours (late duplicates or replays).
        public var staleResponses = 0
        /// Sessions replaced by a newer handshake (time-based rekey or a peer's restart).
        public var sessionsReplaced = 0
        /// Datagrams dropped because their handshake never completed or the queue was full.
        public var queueDrops = 0
        /// Delivered datagrams whose inner sender was not the session's client id.
        public var impersonations = 0
        public var keyChanges = 0
        public var sealedPackets = 0
        /// Bytes added by sealing, over all sealed packets.
        public var sealOverheadBytes = 0
        /// Bootstrap keys derived for unseen sender salts (each one took a budget token).
        public var bootstrapKeysDerived = 0
        /// Datagrams granted expensive handshake work by the budget.
        public var handshakeWork = 0
        /// Initiation retries to an unverified address not sent: no broadcast credit left.
        public var repliesWithheld = 0
        /// Unconfirmed handshakes or heard-broadcast initiations dropped or refused at
        /// `pendingHandshakeLimit`.
        public var pendingEvicted = 0
        public init() {}

        enum CodingKeys: String, CodingKey {
            case impersonations
            case handshakesStarted = "handshakes_started"
            case handshakesCompleted = "handshakes_completed"
            case handshakesRejected = "handshakes_rejected"
            case handshakesTimedOut = "handshakes_timed_out"
            case staleResponses = "stale_responses"
            case sessionsReplaced = "sessions_replaced"
            case queueDrops = "queue_drops"
            case keyChanges = "key_changes"
            case sealedPackets = "sealed_packets"
            case sealOverheadBytes = "seal_overhead_bytes"
            case bootstrapKeysDerived = "bootstrap_keys_derived"
            case handshakeWork = "handshake_work"
            case repliesWithheld = "replies_withheld"
            case pendingEvicted = "pending_evicted"
        }

        /// Summaries written before the flood counters existed still decode (as zero).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func int(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
            handshakesStarted = try int(.handshakesStarted)
            handshakesCompleted = try int(.handshakesCompleted)
            handshakesRejected = try int(.handshakesRejected)
            handshakesTimedOut = try int(.handshakesTimedOut)
            staleResponses = try int(.staleResponses)
            sessionsReplaced = try int(.sessionsReplaced)
            queueDrops = try int(.queueDrops)
            impersonations = try int(.impersonations)
            keyChanges = try int(.keyChanges)
            sealedPackets = try int(.sealedPackets)
            sealOverheadBytes = try int(.sealOverheadBytes)
            bootstrapKeysDerived = try int(.bootstrapKeysDerived)
            handshakeWork = try int(.handshakeWork)
            repliesWithheld = try int(.repliesWithheld)
            pendingEvicted = try int(.pendingEvicted)
        }
    }

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

    private enum Channel: Hashable {
        case pair(RoomAddress)
        /// A responder's new keys, until the peer's first packet under them.
        case pending(RoomAddress)
        case bootstrap([UInt8])
    }

    private struct Session {
        var clientID: String
        var identity: PublicIdentity
        var peerOffer: [UInt8]
        var ownOffer: [UInt8]
        var sealer: PacketSealer
        var establishedAt: Instant
        var lastOpenedAt: Instant
        var lastResponseAt: Instant?
        var rtt: Double?
        /// A packet from the peer opened at this address since this session was made.
        var peerSpoke: Bool
    }

    /// Keys derived in answer to a peer's initiation, not yet confirmed: the peer has not shown
    /// that it received our offer (the initiation may be a replay from a spoofed address).
    private struct Unconfirmed {
        var clientID: String
        var identity: PublicIdentity
        var peerOffer: [UInt8]
        var ownOffer: [UInt8]
        var ownOfferHash: [UInt8]
        var sealer: PacketSealer
        var createdAt: Instant
        /// When our (last) response left: the responder's handshake RTT runs from here.
        var respondedAt: Instant
    }

    private struct Initiation {
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
    }

    public let roomKey: RoomKey
    public let identity: PublicIdentity
    public let clientID: String
    public let settings: Settings
    public private(set) var statistics = Statistics()
    public private(set) var knownKeys: KnownKeys
    public private(set) var keyChanges: [KeyChange] = []
    /// Every rejection of a sealed datagram, by cause.
    public var counters: SecurityCounters { opener.counters }
    /// Told around every entry point (all of it is security work: sealing, opening, handshakes),
    /// so a benchmark can account this layer's CPU time apart from the codec's.
    public weak var cpuObserver: CodecObserver?

    private let signer: Identity
    private let salt: [UInt8]
    private let bootstrapSealer: PacketSealer
    /// HMAC state keyed once with the bootstrap mac key; copied per datagram.
    private let macTemplate: HMAC<SHA256>
    private let opener = PacketOpener<Channel>()
    private var budget: HandshakeBudget
    private var sessions: [RoomAddress: Session] = [:]
    /// Each session's sealer, by address (kept with `sessions` by `establish` and `forget`):
    /// reading `sessions[address]?.sealer` copies the whole session — a dozen retains and
    /// releases — for every datagram sent.
    private var sealers: [RoomAddress: PacketSealer] = [:]
    private var unconfirmed: [RoomAddress: Unconfirmed] = [:]
    private var initiations: [RoomAddress: Initiation] = [:]
    private var queued: [RoomAddress: [[UInt8]]] = [:]
    private var held: [RoomAddress: [[UInt8]]] = [:]
    private var bootstrapSenders: [[UInt8]] = []
    private var effects: [RoomEffect] = []
    private var delivered: [Delivered] = []
    /// The datagram being received already took its budget token.
    private var chargedThisDatagram = false
    /// The datagram being received was refused by the budget after it opened.
    private var throttledThisDatagram = false
    private let logger: Logger

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
    public func send(_ plain: [UInt8], to address: RoomAddress, now: Instant) -> [RoomEffect] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        sendOrQueue(plain, to: address, now: now)
        return effects
    }

    /// Seals a plain room datagram (discover, announce) under the bootstrap key for broadcast.
    public func broadcast(_ plain: [UInt8], now: Instant) -> [RoomEffect] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        guard let sealed = sealBootstrap(.broadcast, plain) else { return [] }
        return [.broadcast(bytes: sealed)]
    }

    // MARK: Receiving

    /// Opens one datagram: returns what is authentic and addressed to the node (in order) and
    /// what must be sent (handshake answers, queued datagrams now that a session exists).
    public func receive(_ bytes: [UInt8], from address: RoomAddress, now: Instant) -> (delivered: [Delivered], effects: [RoomEffect]) {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        delivered = []
        guard let headerLength = SecureWire.sealedHeaderLength(bytes) else {
            opener.record(.malformed("not a sealed Concord datagram"))
            return ([], [])
        }
        if bytes[1] == SecureWire.packetType, let kind = SecureWire.Kind(rawValue: bytes[3]), kind != .confirm {
            chargedThisDatagram = false
            throttledThisDatagram = false
            receiveBootstrap(bytes, kind: kind, from: address, now: now)
        } else {
            receivePair(bytes, headerLength: headerLength, from: address, now: now)
        }
        return (delivered, effects)
    }

    /// Retries handshakes, starts time-based rekeys, and drops idle sessions and unconfirmed keys.
    public func tick(now: Instant) -> [RoomEffect] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        for address in initiations.keys.sorted() {
            guard var initiation = initiations[address], now >= initiation.nextSendAt else { continue }
            if initiation.attemptsLeft <= 0 {
                endInitiation(address)
                statistics.handshakesTimedOut += 1
                statistics.queueDrops += queued.removeValue(forKey: address)?.count ?? 0
                held[address] = nil
                logger.debug("handshake timed out", metadata: ["peer": "\(address)"])
                continue
            }
            initiation.attemptsLeft -= 1
            initiation.nextSendAt = now.advanced(byMilliseconds: settings.handshakeRetryInterval)
            initiations[address] = initiation
            sendInitiation(to: address, now: now)
        }
        for address in unconfirmed.keys.sorted() {
            if let u = unconfirmed[address], now.milliseconds(since: u.createdAt) >= settings.unconfirmedLifetime {
                dropUnconfirmed(address)
            }
        }
        for address in sessions.keys.sorted() {
            guard let session = sessions[address] else { continue }
            if now.milliseconds(since: session.lastOpenedAt) >= settings.idleSessionLifetime {
                forget(address)
                continue
            }
            if now.milliseconds(since: session.establishedAt) >= settings.rekeyInterval, initiations[address] == nil,
                utf8Less(clientID, session.clientID)
            {
                initiate(address, credit: nil, now: now)
            }
        }
        return effects
    }

    // MARK: Queries

    public func peer(at address: RoomAddress) -> PeerSecurity? {
        sessions[address].map {
            PeerSecurity(
                clientID: $0.clientID, fingerprint: $0.identity.fingerprint, establishedAt: $0.establishedAt,
                handshakeRTTMilliseconds: $0.rtt)
        }
    }

    /// Addresses with a pair session.
    public var sessionAddresses: [RoomAddress] { sessions.keys.sorted() }

    /// Handshake state held for addresses that have not proven anything yet: unconfirmed
    /// responder keys and initiations started on a heard broadcast (each ≤ `pendingHandshakeLimit`).
    public var pendingHandshakes: (unconfirmed: Int, heardInitiations: Int) {
        (unconfirmed.count, initiations.values.filter { $0.credit != nil }.count)
    }

    /// The caller dropped a delivered datagram that claimed a sender other than its session's.
    public func noteImpersonation(_ delivered: Delivered, claimed: String) {
        statistics.impersonations += 1
        logger.warning(
            "dropped a datagram claiming another sender",
            metadata: ["peer": "\(delivered.from)", "session": "\(delivered.clientID)", "claimed": "\(claimed)"])
    }

    /// Drops the session with `address` and erases its keys.
    public func forget(_ address: RoomAddress) {
        sessions[address] = nil
        sealers[address] = nil
        endInitiation(address)
        dropUnconfirmed(address)
        opener.remove(sender: .pair(address))
        statistics.queueDrops += queued.removeValue(forKey: address)?.count ?? 0
        held[address] = nil
    }

    /// A bootstrap datagram of kind `kind` (1 broadcast, 2 initiation, 3 response) around any
    /// `body`, sealed, padded and mac'd as this node seals its own: lets a fuzzer reach the
    /// code behind authentication. Not for the product (it would let a caller send anything).
    @_spi(Fuzzing) public func sealedBootstrapForFuzzing(kind: UInt8, body: [UInt8]) -> [UInt8]? {
        guard let kind = SecureWire.Kind(rawValue: kind), kind != .confirm else { return nil }
        return sealBootstrap(kind, body)
    }

    // MARK: Internals: sending

    private func sendOrQueue(_ plain: [UInt8], to address: RoomAddress, now: Instant) {
        if let sealer = sealers[address] {
            if let sealed = sealPair(plain, with: sealer) { effects.append(.send(bytes: sealed, to: address)) }
            return
        }
        var queue = queued[address] ?? []
        if queue.count >= settings.queueLimit {
            statistics.queueDrops += 1
        } else {
            queue.append(plain)
            queued[address] = queue
        }
        if initiations[address] == nil {
            initiate(address, credit: nil, now: now)
        } else {
            // The room itself sends there now: the address is no longer only a broadcast heard.
            initiations[address]?.credit = nil
        }
    }

    /// Starts a handshake with `address`: `credit` nil when this node wants the session,
    /// else the bytes of the broadcast heard from it (an unverified address).
    private func initiate(_ address: RoomAddress, credit: Int?, now: Instant) {
        let handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
        let offer = handshake.offer.serialize()
        initiations[address] = Initiation(
            handshake: handshake, offer: offer, hash: Array(SHA256.hash(data: offer)),
            attemptsLeft: settings.handshakeAttempts - 1,
            nextSendAt: now.advanced(byMilliseconds: settings.handshakeRetryInterval), lastSentAt: now, credit: credit)
        statistics.handshakesStarted += 1
        sendInitiation(to: address, now: now)
    }

    /// Sends (again) the initiation in flight to `address`, if its credit allows.
    private func sendInitiation(to address: RoomAddress, now: Instant) {
        guard let initiation = initiations[address], let sealed = sealBootstrap(.initiation, initiation.offer) else { return }
        if let credit = initiation.credit {
            guard credit >= sealed.count else {
                statistics.repliesWithheld += 1
                return
            }
            initiations[address]?.credit = credit - sealed.count
        }
        initiations[address]?.lastSentAt = now
        effects.append(.send(bytes: sealed, to: address))
    }

    private func endInitiation(_ address: RoomAddress) {
        initiations.removeValue(forKey: address)?.handshake.erase()
    }

    private func sealPair(_ plain: [UInt8], with sealer: PacketSealer) -> [UInt8]? {
        guard let headerLength = SecureWire.plainHeaderLength(plain) else {
            logger.error("refusing to seal a datagram of unknown layout")
            return nil
        }
        var header = Array(plain[0..<headerLength])
        header[2] |= 0x80
        return seal(header: header, body: Array(plain[headerLength...]), with: sealer)
    }

    private func sealBootstrap(_ kind: SecureWire.Kind, _ body: [UInt8]) -> [UInt8]? {
        guard let padded = SecureWire.padded(body), var sealed = seal(header: SecureWire.header(kind) + salt, body: padded, with: bootstrapSealer)
        else { return nil }
        sealed.append(contentsOf: mac(sealed[...]))
        statistics.sealOverheadBytes += SecureWire.macLength
        return sealed
    }

    private func seal(header: [UInt8], body: [UInt8], with sealer: PacketSealer) -> [UInt8]? {
        do {
            let sealed = try sealer.seal(header: header, body: body)
            statistics.sealedPackets += 1
            statistics.sealOverheadBytes += SealedFormat.overhead
            return sealed
        } catch {
            logger.error("sealing failed", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    private func mac(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var hmac = macTemplate
        hmac.update(data: bytes)
        return hmac.finalize().withUnsafeBytes { Array($0.prefix(SecureWire.macLength)) }
    }

    /// Constant-time comparison of the datagram's mac with the one it should carry.
    private func macIsValid(_ bytes: [UInt8]) -> Bool {
        let end = bytes.count - SecureWire.macLength
        let expected = mac(bytes[0..<end])
        var difference: UInt8 = 0
        for i in 0..<SecureWire.macLength { difference |= expected[i] ^ bytes[end + i] }
        return difference == 0
    }

    // MARK: Internals: receiving

    private func receivePair(_ bytes: [UInt8], headerLength: Int, from address: RoomAddress, now: Instant) {
        let opened: (header: [UInt8], body: [UInt8])
        do {
            opened = try opener.openUncounted(bytes, headerLength: headerLength, sender: .pair(address))
            sessions[address]?.lastOpenedAt = now
            if sessions[address]?.peerSpoke == false { sessions[address]?.peerSpoke = true }
        } catch {
            guard unconfirmed[address] != nil,
                let result = try? opener.openUncounted(bytes, headerLength: headerLength, sender: .pending(address))
            else {
                opener.record(classify(error, bytes, headerLength: headerLength, from: address))
                return
            }
            confirm(address, now: now)
            opened = result
        }
        opener.record(nil)
        // Only the two fields needed: copying the whole session per packet costs a dozen retains.
        guard bytes[1] != SecureWire.packetType,  // a confirm: its work is done
            let clientID = sessions[address]?.clientID, let identity = sessions[address]?.identity
        else { return }
        var plain = opened.header
        plain[2] &= ~0x80
        plain.append(contentsOf: opened.body)
        delivered.append(Delivered(bytes: plain, from: address, clientID: clientID, identity: identity))
    }

    /// A pair datagram for our room from an address we hold no keys for is a peer's traffic
    /// from before this run (we restarted, or dropped the session): `stale`, not `wrongRoom`.
    /// So is one that fails under a session we just made while the peer has not yet said a
    /// word under it: the peer is still sending under the session it is replacing (it learns
    /// of the new one a round trip later).
    private func classify(_ error: SecurityError, _ bytes: [UInt8], headerLength: Int, from address: RoomAddress) -> SecurityError {
        if error == .forged, sessions[address]?.peerSpoke == false { return .stale }
        guard error == .wrongRoom || error == .unknownKey, sessions[address] == nil, unconfirmed[address] == nil,
            bytes.count >= headerLength + 2
        else { return error }
        let tag = UInt16(bytes[headerLength]) << 8 | UInt16(bytes[headerLength + 1])
        return tag == roomKey.roomTag ? .stale : error
    }

    /// One token of handshake work for the datagram being received (at most one per datagram).
    private func affordWork(from address: RoomAddress, now: Instant) -> Bool {
        if chargedThisDatagram { return true }
        switch budget.take(from: address, now: now) {
        case .granted:
            chargedThisDatagram = true
            statistics.handshakeWork += 1
            return true
        case let verdict:
            throttledThisDatagram = true
            logger.trace("handshake work refused", metadata: ["peer": "\(address)", "reason": "\(verdict)"])
            return false
        }
    }

    private func receiveBootstrap(_ bytes: [UInt8], kind: SecureWire.Kind, from address: RoomAddress, now: Instant) {
        // Cheapest checks first: the room tag (another room's traffic is not a forgery), then
        // the room mac (one HMAC). Nothing before them derives or stores anything.
        let tagAt = SecureWire.bootstrapHeaderLength
        guard UInt16(bytes[tagAt]) << 8 | UInt16(bytes[tagAt + 1]) == roomKey.roomTag else {
            opener.record(.wrongRoom)
            return
        }
        guard macIsValid(bytes) else {
            opener.record(.forged)
            return
        }
        let senderSalt = Array(bytes[4..<SecureWire.bootstrapHeaderLength])
        guard senderSalt != salt else {  // our own broadcast, looped back
            opener.record(nil)
            return
        }
        let channel = Channel.bootstrap(senderSalt)
        let isNew = !opener.hasKey(for: channel)
        if isNew {
            guard affordWork(from: address, now: now) else {
                opener.record(.throttled)
                return
            }
            opener.install(roomKey.bootstrapKey(sessionSalt: senderSalt), for: channel)
            statistics.bootstrapKeysDerived += 1
        }
        let plaintext: [UInt8]
        do {
            plaintext = try opener.openUncounted(
                Array(bytes[0..<(bytes.count - SecureWire.macLength)]), headerLength: SecureWire.bootstrapHeaderLength,
                sender: channel
            ).body
        } catch {
            if isNew { opener.remove(sender: channel) }  // forgeries must not fill the table
            opener.record(error)
            return
        }
        if isNew { rememberBootstrapSender(senderSalt) }
        if let body = SecureWire.unpadded(plaintext) {
            switch kind {
            case .broadcast:
                receiveBroadcast(body, size: bytes.count, from: address, now: now)
            case .initiation:
                receiveInitiation(body, from: address, now: now)
            case .response:
                if body.count > 32 {
                    receiveResponse(answering: Array(body[0..<32]), offer: Array(body[32...]), from: address, now: now)
                } else {
                    statistics.handshakesRejected += 1
                }
            case .confirm:
                break
            }
        } else {
            statistics.handshakesRejected += 1
        }
        opener.record(throttledThisDatagram ? .throttled : nil)
    }

    private func rememberBootstrapSender(_ senderSalt: [UInt8]) {
        bootstrapSenders.append(senderSalt)
        if bootstrapSenders.count > settings.bootstrapSenderLimit {
            opener.remove(sender: .bootstrap(bootstrapSenders.removeFirst()))
        }
    }

    private func receiveBroadcast(_ body: [UInt8], size: Int, from address: RoomAddress, now: Instant) {
        if let session = sessions[address] {
            delivered.append(Delivered(bytes: body, from: address, clientID: session.clientID, identity: session.identity))
            return
        }
        if let credit = initiations[address]?.credit {
            initiations[address]?.credit = credit + size
        } else if initiations[address] == nil {
            // An unverified address: one initiation, paid by this broadcast (never larger).
            guard pendingHandshakes.heardInitiations < settings.pendingHandshakeLimit else {
                statistics.pendingEvicted += 1
                return
            }
            guard affordWork(from: address, now: now) else { return }
            initiate(address, credit: size, now: now)
        }
        var list = held[address] ?? []
        if list.count < settings.heldBroadcastLimit { list.append(body) }
        held[address] = list
    }

    /// Parses and checks a peer's offer; nil (and counted) if it must be ignored.
    private func verifiedOffer(_ bytes: [UInt8]) -> (HandshakeOffer, String)? {
        guard let offer = try? HandshakeOffer.parse(bytes), offer.roomTag == roomKey.roomTag,
            let id = String(validating: offer.sender, as: UTF8.self), !id.isEmpty,
            id.utf8.count <= RoomMessage.maxIdentifierBytes, id != clientID
        else {
            statistics.handshakesRejected += 1
            return nil
        }
        return (offer, id)
    }

    private func receiveInitiation(_ bytes: [UInt8], from address: RoomAddress, now: Instant) {
        // A retransmission of the offer we already answered: answer again (at most once per
        // half retry interval), the answer may have been lost. One reply per datagram, never
        // larger: no budget needed.
        if let u = unconfirmed[address], u.peerOffer == bytes {
            if now.milliseconds(since: u.respondedAt) < settings.handshakeRetryInterval / 2 { return }
            unconfirmed[address]?.respondedAt = now
            respond(answering: bytes, with: u.ownOffer, to: address)
            return
        }
        if let session = sessions[address], session.peerOffer == bytes {
            if let last = session.lastResponseAt, now.milliseconds(since: last) < settings.handshakeRetryInterval / 2 { return }
            sessions[address]?.lastResponseAt = now
            respond(answering: bytes, with: session.ownOffer, to: address)
            return
        }
        guard let (offer, id) = verifiedOffer(bytes), affordWork(from: address, now: now) else { return }
        // Our own initiation in flight: derive with it (both sides use each one's offer), but
        // keep its ephemeral key until the peer's response shows which offer it really holds.
        let keys: PairKeys
        let ownOffer: [UInt8]
        do {
            if let initiation = initiations[address] {
                ownOffer = initiation.offer
                keys = try initiation.handshake.derive(with: offer)
            } else {
                let handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
                ownOffer = handshake.offer.serialize()
                keys = try handshake.complete(with: offer)
            }
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        if unconfirmed[address] == nil, unconfirmed.count >= settings.pendingHandshakeLimit,
            let oldest = unconfirmed.min(by: { ($0.value.createdAt, $0.key) < ($1.value.createdAt, $1.key) })?.key
        {
            dropUnconfirmed(oldest)
            statistics.pendingEvicted += 1
        }
        opener.remove(sender: .pending(address))
        opener.install(keys.receiving, for: .pending(address))
        unconfirmed[address] = Unconfirmed(
            clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: ownOffer,
            ownOfferHash: Array(SHA256.hash(data: ownOffer)),
            sealer: PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets), createdAt: now,
            respondedAt: now)
        respond(answering: bytes, with: ownOffer, to: address)
    }

    private func receiveResponse(answering hash: [UInt8], offer bytes: [UInt8], from address: RoomAddress, now: Instant) {
        guard let initiation = initiations[address], initiation.hash == hash else {
            if sessions[address]?.peerOffer == bytes { return }  // a duplicate of the one that completed
            statistics.staleResponses += 1
            return
        }
        let rtt = now.milliseconds(since: initiation.lastSentAt)
        // Simultaneous initiations: we already derived with this very offer; its response to
        // ours proves the peer received our offer.
        if let u = unconfirmed[address], u.ownOfferHash == hash, u.peerOffer == bytes {
            confirm(address, now: now, rtt: rtt)
            return
        }
        guard let (offer, id) = verifiedOffer(bytes), affordWork(from: address, now: now) else { return }
        let keys: PairKeys
        do {
            keys = try initiation.handshake.complete(with: offer)
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake response rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        endInitiation(address)
        dropUnconfirmed(address)  // superseded by this completed handshake
        checkIdentity(id, offer.identity, address: address)
        establish(
            Session(
                clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: initiation.offer,
                sealer: PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets),
                establishedAt: now, lastOpenedAt: now, lastResponseAt: nil, rtt: rtt, peerSpoke: false),
            at: address)
        opener.install(keys.receiving, for: .pair(address))  // the old keys stay as previous for in-flight packets
        sendConfirm(to: address)
        flush(address)
    }

    private func establish(_ session: Session, at address: RoomAddress) {
        if sessions[address] != nil { statistics.sessionsReplaced += 1 }
        sessions[address] = session
        sealers[address] = session.sealer
        statistics.handshakesCompleted += 1
        logger.debug("pair session established", metadata: ["peer": "\(address)", "client": "\(session.clientID)"])
    }

    /// The peer proved it holds our offer (a packet under the unconfirmed keys, or its response
    /// to our crossing offer): the unconfirmed keys become the session. The responder's RTT runs
    /// from its last response to this proof.
    private func confirm(_ address: RoomAddress, now: Instant, rtt: Double? = nil) {
        guard let u = unconfirmed.removeValue(forKey: address) else { return }
        opener.promote(from: .pending(address), to: .pair(address))
        endInitiation(address)
        checkIdentity(u.clientID, u.identity, address: address)
        establish(
            Session(
                clientID: u.clientID, identity: u.identity, peerOffer: u.peerOffer, ownOffer: u.ownOffer, sealer: u.sealer,
                establishedAt: u.createdAt, lastOpenedAt: now, lastResponseAt: u.respondedAt,
                rtt: rtt ?? now.milliseconds(since: u.respondedAt), peerSpoke: rtt == nil),
            at: address)
        flush(address)
    }

    private func dropUnconfirmed(_ address: RoomAddress) {
        guard unconfirmed.removeValue(forKey: address) != nil else { return }
        opener.remove(sender: .pending(address))
    }

    private func respond(answering offer: [UInt8], with own: [UInt8], to address: RoomAddress) {
        if let sealed = sealBootstrap(.response, Array(SHA256.hash(data: offer)) + own) {
            effects.append(.send(bytes: sealed, to: address))
        }
    }

    private func sendConfirm(to address: RoomAddress) {
        guard let session = sessions[address],
            let sealed = seal(header: SecureWire.header(.confirm), body: [], with: session.sealer)
        else { return }
        effects.append(.send(bytes: sealed, to: address))
    }

    /// A session exists: send what waited for it and deliver the broadcasts held for it.
    private func flush(_ address: RoomAddress) {
        guard let session = sessions[address] else { return }
        for plain in queued.removeValue(forKey: address) ?? [] {
            if let sealed = sealPair(plain, with: session.sealer) { effects.append(.send(bytes: sealed, to: address)) }
        }
        for plain in held.removeValue(forKey: address) ?? [] {
            delivered.append(Delivered(bytes: plain, from: address, clientID: session.clientID, identity: session.identity))
        }
    }

    private func checkIdentity(_ id: String, _ key: PublicIdentity, address: RoomAddress) {
        if case let .changed(previous, new) = knownKeys.check(clientID: id, key: key) {
            statistics.keyChanges += 1
            keyChanges.append(KeyChange(clientID: id, previousFingerprint: previous, newFingerprint: new, address: address))
            logger.warning(
                "a known client presents a different identity key",
                metadata: ["client": "\(id)", "was": "\(previous)", "now": "\(new)"])
        }
    }
}
