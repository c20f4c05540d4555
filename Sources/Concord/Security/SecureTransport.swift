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
/// a *response* (its own offer and the hash of the one it answers); both derive the keys
/// (`PairwiseHandshake.complete`). The initiator then sends a *confirm* under the new keys.
/// Initiations are retried every `handshakeRetryInterval` up to `handshakeAttempts` times;
/// simultaneous initiations complete with each side's one offer. A response answers only the
/// offer whose hash it names and never produces another message, so replays cannot start a
/// ping-pong. A responder that already had a working session keeps sending under it until a
/// packet arrives under the new one (a replayed initiation cannot cut a live session).
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
        /// Round-trip time of the handshake this node initiated, if it initiated one.
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
        var ownOfferHash: [UInt8]
        var sealer: PacketSealer
        var establishedAt: Instant
        var lastOpenedAt: Instant
        var lastResponseAt: Instant?
        var rtt: Double?
        /// A responder's newer session, not yet confirmed by a packet from the peer.
        var pending: PendingSession?
    }

    private struct PendingSession {
        var clientID: String
        var identity: PublicIdentity
        var peerOffer: [UInt8]
        var ownOffer: [UInt8]
        var ownOfferHash: [UInt8]
        var sealer: PacketSealer
        var createdAt: Instant
    }

    private struct Initiation {
        var handshake: PairwiseHandshake
        var offer: [UInt8]
        var hash: [UInt8]
        var attemptsLeft: Int
        var nextSendAt: Instant
        var lastSentAt: Instant
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
    private let opener = PacketOpener<Channel>()
    private var sessions: [RoomAddress: Session] = [:]
    private var initiations: [RoomAddress: Initiation] = [:]
    private var queued: [RoomAddress: [[UInt8]]] = [:]
    private var held: [RoomAddress: [[UInt8]]] = [:]
    private var bootstrapSenders: [[UInt8]] = []
    private var effects: [RoomEffect] = []
    private var delivered: [Delivered] = []
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
        if bytes[1] == SecureWire.packetType, bytes[3] != SecureWire.Kind.confirm.rawValue {
            receiveBootstrap(bytes, kind: SecureWire.Kind(rawValue: bytes[3])!, from: address, now: now)
        } else {
            receivePair(bytes, headerLength: headerLength, from: address, now: now)
        }
        return (delivered, effects)
    }

    /// Retries handshakes, starts time-based rekeys, and drops idle sessions.
    public func tick(now: Instant) -> [RoomEffect] {
        let token = cpuObserver?.codecWillRun()
        defer { if let token { cpuObserver?.codecDidRun(token) } }
        effects = []
        for address in initiations.keys.sorted() {
            guard var initiation = initiations[address], now >= initiation.nextSendAt else { continue }
            if initiation.attemptsLeft <= 0 {
                initiations[address] = nil
                statistics.handshakesTimedOut += 1
                statistics.queueDrops += queued.removeValue(forKey: address)?.count ?? 0
                held[address] = nil
                logger.debug("handshake timed out", metadata: ["peer": "\(address)"])
                continue
            }
            initiation.attemptsLeft -= 1
            initiation.nextSendAt = now.advanced(byMilliseconds: settings.handshakeRetryInterval)
            initiation.lastSentAt = now
            initiations[address] = initiation
            if let sealed = sealBootstrap(.initiation, initiation.offer) { effects.append(.send(bytes: sealed, to: address)) }
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
                initiate(address, now: now)
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
        initiations[address] = nil
        opener.remove(sender: .pair(address))
        opener.remove(sender: .pending(address))
        statistics.queueDrops += queued.removeValue(forKey: address)?.count ?? 0
        held[address] = nil
    }

    // MARK: Internals

    private func sendOrQueue(_ plain: [UInt8], to address: RoomAddress, now: Instant) {
        if let sealer = sessions[address]?.sealer {
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
        if initiations[address] == nil { initiate(address, now: now) }
    }

    private func initiate(_ address: RoomAddress, now: Instant) {
        let handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
        let offer = handshake.offer.serialize()
        initiations[address] = Initiation(
            handshake: handshake, offer: offer, hash: Array(SHA256.hash(data: offer)),
            attemptsLeft: settings.handshakeAttempts - 1,
            nextSendAt: now.advanced(byMilliseconds: settings.handshakeRetryInterval), lastSentAt: now)
        statistics.handshakesStarted += 1
        if let sealed = sealBootstrap(.initiation, offer) { effects.append(.send(bytes: sealed, to: address)) }
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
        seal(header: SecureWire.header(kind) + salt, body: body, with: bootstrapSealer)
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

    private func receivePair(_ bytes: [UInt8], headerLength: Int, from address: RoomAddress, now: Instant) {
        let opened: (header: [UInt8], body: [UInt8])
        do {
            opened = try opener.openUncounted(bytes, headerLength: headerLength, sender: .pair(address))
            sessions[address]?.lastOpenedAt = now
        } catch {
            guard sessions[address]?.pending != nil,
                let result = try? opener.openUncounted(bytes, headerLength: headerLength, sender: .pending(address))
            else {
                opener.record(error)
                return
            }
            promotePending(address, now: now)
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

    private func receiveBootstrap(_ bytes: [UInt8], kind: SecureWire.Kind, from address: RoomAddress, now: Instant) {
        let senderSalt = Array(bytes[4..<SecureWire.bootstrapHeaderLength])
        let channel = Channel.bootstrap(senderSalt)
        let isNew = !opener.hasKey(for: channel)
        if isNew { opener.install(roomKey.bootstrapKey(sessionSalt: senderSalt), for: channel) }
        let body: [UInt8]
        do {
            body = try opener.openUncounted(bytes, headerLength: SecureWire.bootstrapHeaderLength, sender: channel).body
        } catch {
            if isNew { opener.remove(sender: channel) }  // forgeries must not fill the table
            opener.record(error)
            return
        }
        opener.record(nil)
        if isNew { rememberBootstrapSender(senderSalt) }
        guard senderSalt != salt else { return }  // our own broadcast, looped back
        switch kind {
        case .broadcast:
            if let session = sessions[address] {
                delivered.append(Delivered(bytes: body, from: address, clientID: session.clientID, identity: session.identity))
            } else {
                var list = held[address] ?? []
                if list.count < settings.heldBroadcastLimit { list.append(body) }
                held[address] = list
                if initiations[address] == nil { initiate(address, now: now) }
            }
        case .initiation:
            receiveInitiation(body, from: address, now: now)
        case .response:
            guard body.count > 32 else {
                statistics.handshakesRejected += 1
                return
            }
            receiveResponse(answering: Array(body[0..<32]), offer: Array(body[32...]), from: address, now: now)
        case .confirm:
            break
        }
    }

    private func rememberBootstrapSender(_ senderSalt: [UInt8]) {
        bootstrapSenders.append(senderSalt)
        if bootstrapSenders.count > settings.bootstrapSenderLimit {
            opener.remove(sender: .bootstrap(bootstrapSenders.removeFirst()))
        }
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
        if let session = sessions[address] {
            // A retransmission of the offer we already answered: answer again (at most once per
            // retry interval), the answer may have been lost.
            let answered = session.peerOffer == bytes ? session.ownOffer : session.pending?.peerOffer == bytes ? session.pending?.ownOffer : nil
            if let answered {
                if let last = session.lastResponseAt, now.milliseconds(since: last) < settings.handshakeRetryInterval / 2 { return }
                sessions[address]?.lastResponseAt = now
                respond(answering: bytes, with: answered, to: address)
                return
            }
        }
        guard let (offer, id) = verifiedOffer(bytes) else { return }
        // Our own initiation in flight: complete with it (both sides use each one's offer).
        let handshake: PairwiseHandshake
        let ownOffer: [UInt8]
        let simultaneous: Bool
        if let initiation = initiations[address] {
            handshake = initiation.handshake
            ownOffer = initiation.offer
            simultaneous = true
        } else {
            handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
            ownOffer = handshake.offer.serialize()
            simultaneous = false
        }
        let keys: PairKeys
        do {
            keys = try handshake.complete(with: offer)
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        if simultaneous { initiations[address] = nil }
        checkIdentity(id, offer.identity, address: address)
        let sealer = PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets)
        let ownHash = Array(SHA256.hash(data: ownOffer))
        if sessions[address] != nil, !simultaneous {
            // A working session stays in use until the peer proves it holds the new keys.
            opener.remove(sender: .pending(address))
            opener.install(keys.receiving, for: .pending(address))
            sessions[address]?.pending = PendingSession(
                clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: ownOffer, ownOfferHash: ownHash,
                sealer: sealer, createdAt: now)
            sessions[address]?.lastResponseAt = now
        } else {
            establish(
                Session(
                    clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: ownOffer, ownOfferHash: ownHash,
                    sealer: sealer, establishedAt: now, lastOpenedAt: now, lastResponseAt: now, rtt: nil, pending: nil),
                receiving: keys.receiving, at: address, now: now)
        }
        respond(answering: bytes, with: ownOffer, to: address)
        if simultaneous { sendConfirm(to: address) }
        flush(address, now: now)
    }

    private func receiveResponse(answering hash: [UInt8], offer bytes: [UInt8], from address: RoomAddress, now: Instant) {
        guard let initiation = initiations[address], initiation.hash == hash else {
            if let session = sessions[address], session.ownOfferHash == hash, session.peerOffer == bytes { return }  // duplicate
            statistics.staleResponses += 1
            return
        }
        guard let (offer, id) = verifiedOffer(bytes) else { return }
        let keys: PairKeys
        do {
            keys = try initiation.handshake.complete(with: offer)
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake response rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        initiations[address] = nil
        checkIdentity(id, offer.identity, address: address)
        establish(
            Session(
                clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: initiation.offer,
                ownOfferHash: initiation.hash,
                sealer: PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets),
                establishedAt: now, lastOpenedAt: now, lastResponseAt: nil,
                rtt: now.milliseconds(since: initiation.lastSentAt), pending: nil),
            receiving: keys.receiving, at: address, now: now)
        sendConfirm(to: address)
        flush(address, now: now)
    }

    private func establish(_ session: Session, receiving: TrafficKey, at address: RoomAddress, now: Instant) {
        if sessions[address] != nil { statistics.sessionsReplaced += 1 }
        opener.remove(sender: .pending(address))
        opener.install(receiving, for: .pair(address))  // the old keys stay as previous for in-flight packets
        sessions[address] = session
        statistics.handshakesCompleted += 1
        logger.debug("pair session established", metadata: ["peer": "\(address)", "client": "\(session.clientID)"])
    }

    private func promotePending(_ address: RoomAddress, now: Instant) {
        guard let old = sessions[address], let p = old.pending else { return }
        opener.promote(from: .pending(address), to: .pair(address))
        sessions[address] = Session(
            clientID: p.clientID, identity: p.identity, peerOffer: p.peerOffer, ownOffer: p.ownOffer,
            ownOfferHash: p.ownOfferHash, sealer: p.sealer, establishedAt: p.createdAt, lastOpenedAt: now,
            lastResponseAt: old.lastResponseAt, rtt: old.rtt, pending: nil)
        statistics.sessionsReplaced += 1
        statistics.handshakesCompleted += 1
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
    private func flush(_ address: RoomAddress, now: Instant) {
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
