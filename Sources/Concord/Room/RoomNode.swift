import Logging
import SeededRandom

/// Why a room call was refused (programmer or user input, not network input).
public enum RoomError: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidIdentifier(field: String, reason: String)
    case alreadyJoined
    case notInRoom
    case textTooLong(bytes: Int)
    /// Too many messages wait for acknowledgements (`RoomSettings.outboxLimit`).
    case outboxFull

    public var description: String {
        switch self {
        case let .invalidIdentifier(field, reason): return "invalid \(field): \(reason)"
        case .alreadyJoined: return "this node has already joined a room"
        case .notInRoom: return "not a member of a room"
        case let .textTooLong(n): return "text is \(n) bytes; at most \(RoomMessage.maxTextBytes)"
        case .outboxFull: return "too many unacknowledged messages"
        }
    }
}

/// One client in one room: the serverless room protocol as a state machine.
///
/// The driver calls `join` once, then hands every room datagram to `receive`, calls `tick` at
/// least every `RoomSettings.tickInterval`, and performs the returned effects (send, broadcast,
/// events) in order. Nothing here reads a clock, sleeps, spawns tasks or takes locks; the only
/// randomness is a SplitMix64 seeded at `init`, so a run is reproducible.
///
/// The original RoomManager API maps as: `join_room(room_id, client_id, address)` →
/// `join(roomID:clientID:displayName:address:now:)` (also spelled `joinRoom`),
/// `get_peers(room_id)` → `peers()`, `leave_room` → `leave(now:)`, sending a chat line →
/// `sendText(_:now:)`. See `docs/Rooms.md` for the protocol.
public final class RoomNode {
    public enum Phase: Equatable, Sendable {
        case idle
        /// Broadcasting discovery; creates the room at `discoveryWait` if nobody answers.
        case discovering
        case member
        case left
    }

    /// Counters for the bench (control bytes per second per peer, etc.) and for diagnosis.
    public struct Statistics: Sendable, Equatable, Codable {
        public var controlDatagramsSent = 0
        /// Room-control bytes (packet type 2) sent, broadcasts counted once.
        public var controlBytesSent = 0
        public var textDatagramsSent = 0
        public var textBytesSent = 0
        public var broadcastsSent = 0
        public var datagramsReceived = 0
        public var bytesReceived = 0
        /// Datagrams that did not parse (counted and dropped).
        public var malformedReceived = 0
        /// Well-formed datagrams for another room id.
        public var otherRoomReceived = 0
        public var suspicionsRaised = 0
        public var deathsDeclared = 0
        /// Times this node raised its incarnation to refute a suspicion, a death or an older life.
        public var refutations = 0
        /// Push-pull exchanges this node started after a digest mismatch or on meeting a member
        /// of another room.
        public var syncsStarted = 0
        public var textRetransmissions = 0
        /// Calls that came `RoomSettings.pauseThreshold` or more after the previous one: this
        /// node's own pauses, absorbed by granting every member a fresh grace period.
        public var pausesAbsorbed = 0
        /// Deaths reported by others of a member this node had heard directly within
        /// `suspectAfter`: kept in the view until the member refutes (SWIM's fresh-evidence rule).
        public var deathsDisbelieved = 0
        /// History requests sent (joining, to members entering the view, after being declared dead),
        /// retries included.
        public var historyRequestsSent = 0
    }

    private struct Local {
        var joinedAt: Instant
        /// Latest evidence of life: direct, or reported by someone who heard it directly.
        var lastHeard: Instant
        /// Latest datagram from the member itself (what this node reports in gossip).
        var lastDirect: Instant?
        /// The incarnation the member spoke as in that datagram.
        var directIncarnation: UInt32 = 0
        var tombstonedAt: Instant?
        var lastSyncAt: Instant?
        var lastCorrectionAt: Instant?
        /// When this node last started a history exchange with the member (asked it).
        var lastHistoryAskAt: Instant?
        /// Someone reported the member dead while this node was hearing it directly: its record
        /// is dead (the lattice is untouched) but this node keeps it in its view until it refutes
        /// or falls silent for `suspectAfter`.
        var disbelievedDeath = false
    }

    /// Fetching text history from one member (see `startHistoryFetch`).
    private struct HistoryFetch {
        var target: String
        var attemptsLeft: Int
        /// When to send the next request (the first one waits its turn if `maxHistoryFetches`
        /// are under way).
        var nextAt: Instant
        /// A joiner's fetch: a retry may ask another member (the first may have failed).
        var anyMemberOnRetry: Bool
        var chunkCount: UInt8?
        var chunks: Set<UInt8> = []
    }

    private struct Reported: Equatable {
        var status: MemberStatus
        var incarnation: UInt32
        var address: RoomAddress
    }

    public let settings: RoomSettings
    public private(set) var phase: Phase = .idle
    public private(set) var roomID = ""
    public private(set) var clientID = ""
    public private(set) var displayName = ""
    public private(set) var address = RoomAddress.ipv4(0, port: 0)
    public private(set) var incarnation: UInt32 = 0
    public private(set) var membership = Membership()
    public private(set) var statistics = Statistics()
    /// When `join` was called and when this node became a member (created or joined).
    public private(set) var joinStartedAt: Instant?
    public private(set) var memberSince: Instant?
    /// Called with every event as it is produced, besides being returned as an effect: a hook
    /// for the bench's metrics that does not need to filter effect arrays.
    public var onEvent: ((RoomEvent) -> Void)?

    private var heartbeat: UInt32 = 0
    private var rng: SplitMix64
    private let logger: Logger
    private var text: RoomText
    private var local: [String: Local] = [:]
    private var reportedView: [String] = []
    private var reported: [String: Reported] = [:]
    /// `membership.structureVersion` and `disbeliefVersion` when events were last reported
    /// (nil: report now).
    private var reportedVersion: UInt64?
    private var reportedDisbeliefVersion: UInt64?
    /// Bumped whenever a member starts or stops being kept in the view against its dead record.
    private var disbeliefVersion: UInt64 = 0
    private var disbelievedCount = 0
    private var effects: [RoomEffect] = []
    /// The `now` of the latest call, to notice this node's own pauses.
    private var lastCallAt: Instant?

    private var discoveryDeadline = Instant.zero
    private var nextDiscoverAt = Instant.zero
    private var nextHeartbeatAt = Instant.zero
    private var nextGossipAt = Instant.zero
    private var nextAnnounceAt = Instant.zero
    /// The current announce period: `announceInterval` after a view change, doubling each round
    /// up to `announceIntervalMax` while the view stays the same.
    private var announcePeriod: Double = 0
    /// When this node last announced in answer to a restarted member's discovery.
    private var lastAnswerAnnounceAt: Instant?
    private var lastSyncAt: Instant?
    private var leftRepliesAt: [String: Instant] = [:]
    /// History being fetched from members, in the order they were asked for; at most
    /// `maxHistoryFetches` under way at once, the others queued.
    private var historyFetches: [HistoryFetch] = []
    private static let maxHistoryFetches = 4
    /// Members that entered our list while we were still discovering: other discoverers, or —
    /// when their discovery reached us late — members of rooms created meanwhile.
    private var discoveredPeers: Set<String> = []
    /// Set while handling a message that told us the room had declared us dead.
    private var learnedOfOwnDeath = false
    /// The highest incarnation of ours we have seen declared dead (each is acted on once).
    private var noticedDeathIncarnation: UInt32?
    /// Members that entered our view while handling the current message, with how long to wait
    /// before asking them for history.
    private var newcomers: [(id: String, wait: Double)] = []

    /// - Parameter seed: seeds the node's only random generator (gossip targets, announce and
    ///   welcome draws). Give every node its own seed.
    public init(settings: RoomSettings = .init(), seed: UInt64, logger: Logger = Logger(label: "concord.room")) {
        self.settings = settings
        self.rng = SplitMix64(seed: seed)
        self.logger = logger
        self.text = RoomText(historyLimit: settings.historyLimit)
    }

    // MARK: Public API

    /// Joins `roomID` as `clientID`, reachable at `address`: broadcasts discovery for
    /// `RoomSettings.discoveryWait`; if no member answers, this node creates the room.
    ///
    /// - Parameter incarnation: where this client's incarnation starts. A client restarting after a
    ///   crash may pass 0: if the room remembers a higher one, the node raises its own above it.
    public func join(
        roomID: String, clientID: String, displayName: String = "", address: RoomAddress, incarnation: UInt32 = 0,
        now: Instant
    ) throws(RoomError) -> [RoomEffect] {
        guard phase == .idle else { throw .alreadyJoined }
        try Self.validate(roomID, "room id", allowEmpty: false)
        try Self.validate(clientID, "client id", allowEmpty: false)
        try Self.validate(displayName, "display name", allowEmpty: true)
        self.roomID = roomID
        self.clientID = clientID
        self.displayName = displayName
        self.address = address
        self.incarnation = incarnation
        effects = []
        lastCallAt = now
        text.selfID = clientID
        membership.set(selfRecord)
        local[clientID] = Local(joinedAt: now, lastHeard: now, lastDirect: now)
        phase = .discovering
        joinStartedAt = now
        discoveryDeadline = now.advanced(byMilliseconds: settings.discoveryWait)
        nextDiscoverAt = now
        logger.debug("joining", metadata: ["room": "\(roomID)", "client": "\(clientID)"])
        step(now: now)
        return finish(now: now)
    }

    /// The original `join_room`.
    public func joinRoom(
        _ roomID: String, clientID: String, displayName: String = "", address: RoomAddress, now: Instant
    ) throws(RoomError) -> [RoomEffect] {
        try join(roomID: roomID, clientID: clientID, displayName: displayName, address: address, now: now)
    }

    /// Leaves gracefully: every member gets `leaveCopies` copies of a leave and drops this node
    /// from its view on the first. Afterwards the node only answers stragglers with its leave.
    public func leave(now: Instant) -> [RoomEffect] {
        effects = []
        guard phase == .member || phase == .discovering else { return [] }
        let wasMember = phase == .member
        var record = selfRecord
        record.status = .left
        let targets = viewRecords(excludingSelf: true)
        membership.set(record)
        phase = .left
        if wasMember {
            for r in targets {
                for _ in 0..<max(1, settings.leaveCopies) { send(.leave(record), to: r.address) }
            }
        }
        reportedView = []
        reported = [:]
        emit(.leftRoom(roomID: roomID))
        logger.debug("left", metadata: ["room": "\(roomID)"])
        return effects
    }

    /// Takes one datagram of packet type 2 or 3 that arrived from `from`.
    public func receive(bytes: [UInt8], from: RoomAddress, now: Instant) -> [RoomEffect] {
        effects = []
        absorbPause(now: now)
        statistics.datagramsReceived += 1
        statistics.bytesReceived += bytes.count
        let message: RoomMessage
        do {
            message = try RoomMessage.parse(bytes)
        } catch {
            statistics.malformedReceived += 1
            logger.trace("malformed room datagram dropped", metadata: ["reason": "\(error)"])
            return []
        }
        guard phase != .idle else { return [] }
        guard message.roomID == roomID else {
            statistics.otherRoomReceived += 1
            return []
        }
        guard message.senderID != clientID else { return [] }  // our own broadcast looped back
        if phase == .left {
            answerAfterLeaving(message, from: from, now: now)
            return effects
        }
        handle(message, from: from, now: now)
        return finish(now: now)
    }

    /// Runs the timers: discovery, heartbeats, failure detection, gossip, announcements,
    /// tombstone expiry, text retransmission and history requests.
    public func tick(now: Instant) -> [RoomEffect] {
        effects = []
        absorbPause(now: now)
        guard phase == .discovering || phase == .member else { return [] }
        step(now: now)
        return finish(now: now)
    }

    /// Sends `text` to every current member, reliably and in order.
    public func sendText(_ message: String, now: Instant) throws(RoomError) -> [RoomEffect] {
        guard phase == .member else { throw .notInRoom }
        let length = message.utf8.count
        guard length <= RoomMessage.maxTextBytes else { throw .textTooLong(bytes: length) }
        guard text.outbox.count < settings.outboxLimit else { throw .outboxFull }
        effects = []
        absorbPause(now: now)
        let targets = viewRecords(excludingSelf: true)
        for (id, body) in text.send(message, now: now, recipients: targets.map(\.clientID)) {
            if let r = membership[id] { send(body, to: r.address) }
        }
        return finish(now: now)
    }

    /// The other members in this node's view (the original `get_peers`), sorted by client id.
    public func peers() -> [RoomPeer] {
        guard phase == .member else { return [] }
        return viewRecords(excludingSelf: true).map { peer(for: $0) }
    }

    /// Client ids in this node's view, itself included, sorted by UTF-8 bytes; empty unless a member.
    /// The view is the alive and suspect records plus members whose death this node disbelieves
    /// (it hears them directly; see `docs/Rooms.md`).
    public var view: [String] { phase == .member ? currentView : [] }

    /// The digest of the member list's view (alive and suspect records): equal digests ⇔ equal
    /// records up to heartbeats. A disbelieved death is a local judgement and not part of it.
    public var viewDigest: UInt64 { membership.digest }

    /// The history this node would hand a late joiner, in the stable order (sent-at, origin,
    /// stream, sequence).
    public var history: [RoomMessage.HistoryItem] { text.historyItems }

    /// True while this node is fetching text history from a member (after joining an existing
    /// room, meeting another room of the same id, or learning that it had been declared dead).
    public var isCollectingHistory: Bool { !historyFetches.isEmpty }

    /// Messages this node sent that some member has not acknowledged yet.
    public var unacknowledgedTextCount: Int { text.outbox.count }

    // MARK: Message handling

    private func handle(_ message: RoomMessage, from: RoomAddress, now: Instant) {
        let sender = message.senderID
        // Whether the sender was in our view before this message: one that was not and speaks as a
        // member is from another room of this id (or one we had dropped), see below.
        let wasInView = membership[sender].map(isInView) ?? false
        let wasMember = phase == .member
        var answeredWithList = false
        learnedOfOwnDeath = false
        newcomers = []
        switch message.body {
        case .discover(let record):
            // A member of our view (its record has heartbeat ≥ 1, so it has been a member) that
            // discovers again has restarted; a joiner's repeated discover has heartbeat 0 throughout.
            let restarted = wasInView && (membership[sender]?.heartbeat ?? 0) >= 1
            merge(record, heardAgo: 0, now: now)
            if phase == .member, restarted, isAnnouncer(excluding: sender) {
                // A member we hold is discovering: it restarted. Its answers may not reach it
                // (the sealed transport still holds the previous life's session for its
                // address), but a broadcast does and makes it handshake afresh: announce now,
                // as the room's announcer would, at most once per `announceInterval`.
                if lastAnswerAnnounceAt.map({ now.milliseconds(since: $0) >= settings.announceInterval }) ?? true {
                    lastAnswerAnnounceAt = now
                    announce()
                }
            }
            if phase == .member {
                let members = Double(max(1, membership.view.count - 1))
                if rng.unit() < min(1, settings.welcomeTarget / members) {
                    sendList(to: from, flags: [.welcome], now: now)
                }
            }
        case let .heartbeat(record, digest):
            merge(record, heardAgo: 0, now: now)
            if phase == .discovering {
                becomeMember(created: false, source: sender, now: now)
                sync(with: sender, at: from, now: now, urgency: .forced)
                answeredWithList = true
            } else if digest != membership.digest {
                answeredWithList = sync(with: sender, at: from, now: now, urgency: wasInView ? .routine : .newcomer)
            }
        case let .gossip(flags, entries):
            for e in entries {
                merge(e.record, heardAgo: e.heardMillisecondsAgo.map(Double.init), now: now)
            }
            if phase == .discovering { becomeMember(created: false, source: sender, now: now) }
            if flags.contains(.replyRequested) {
                sendList(to: from, flags: [], now: now)
                answeredWithList = true
            }
        case .leave(let record):
            merge(record, heardAgo: nil, now: now)
        case let .announce(record, _, digest):
            merge(record, heardAgo: 0, now: now)
            if phase == .discovering {
                // Ask the announcer for its list; its answer makes us a member.
                send(.gossip([.replyRequested], [.init(record: selfRecord, heardMillisecondsAgo: 0)]), to: from)
                answeredWithList = true
            } else if digest != membership.digest {
                answeredWithList = sync(with: sender, at: from, now: now, urgency: wasInView ? .routine : .newcomer)
            }
        case let .text(stream, sequence, base, sentAt, body):
            guard phase == .member, let r = membership[sender], isInView(r) else { break }
            let (delivered, ack) = text.receive(
                origin: sender, stream: stream, sequence: sequence, base: base, sentAt: sentAt, text: body, now: now)
            for m in delivered { emit(.messageReceived(m)) }
            if let ack { send(ack, to: from) }
        case let .textAck(stream, cumulative):
            text.receiveAck(from: sender, stream: stream, cumulative: cumulative)
        case .historyRequest(let have):
            // Only members are answered, at their recorded address: an answer is larger than a
            // request, so it must not go to whatever source a datagram claims.
            guard phase == .member, let r = membership[sender], isInView(r) else { break }
            sendHistory(to: r.address, excluding: Set(have))
        case let .history(chunk, count, items):
            guard phase == .member else { break }
            for m in text.receiveHistory(items, now: now) { emit(.messageReceived(m)) }
            if let i = historyFetches.firstIndex(where: { $0.target == sender }) {
                if historyFetches[i].chunkCount != count {
                    historyFetches[i].chunkCount = count
                    historyFetches[i].chunks = []
                }
                historyFetches[i].chunks.insert(chunk)
                if historyFetches[i].chunks.count == Int(count) {
                    historyFetches.remove(at: i)
                    retryHistoryFetches(now: now)  // a queued fetch may start now
                }
            }
        }
        noteDirect(from: sender, incarnation: message.senderIncarnation, now: now)
        if case .leave = message.body { return }
        correctIfStale(sender: sender, incarnation: message.senderIncarnation, from: from, now: now)
        if wasMember, phase == .member, !wasInView, !answeredWithList, let r = membership[sender], isInView(r) {
            switch message.body {
            case .heartbeat, .gossip, .announce:
                // A member of another room (or one we had dropped) speaking to us: exchange lists
                // at once rather than at the next announce round.
                sync(with: sender, at: from, now: now, urgency: .newcomer)
            default:
                break
            }
        }
        // Texts sent while apart: ask every member that enters our view for what we lack.
        for n in newcomers { startHistoryFetch(from: n.id, anyMemberOnRetry: false, after: n.wait, now: now) }
        newcomers = []
        if learnedOfOwnDeath, phase == .member {
            // While we were dead in others' views their texts were not owed to us: fetch them.
            learnedOfOwnDeath = false
            text.markRebasePossible()
            if let r = membership[sender], isInView(r) {
                startHistoryFetch(from: sender, anyMemberOnRetry: true, now: now)
            } else if let other = viewRecords(excludingSelf: true).first {
                startHistoryFetch(from: other.clientID, anyMemberOnRetry: true, now: now)
            }
        }
    }

    /// A datagram from the member itself is the best evidence that it lives.
    private func noteDirect(from id: String, incarnation inc: UInt32, now: Instant) {
        guard let r = membership[id], inc >= r.incarnation, var l = local[id] else { return }
        l.lastDirect = now
        l.directIncarnation = inc
        if now > l.lastHeard { l.lastHeard = now }
        local[id] = l
    }

    /// The sender speaks as an incarnation we consider dead, left or superseded: tell it what we
    /// know about it, so it can refute (a false death, or a restart after a crash).
    private func correctIfStale(sender: String, incarnation inc: UInt32, from: RoomAddress, now: Instant) {
        guard phase == .member, let r = membership[sender] else { return }
        let stale = r.incarnation > inc || (r.incarnation == inc && r.status != .alive)
        guard stale else { return }
        if let last = local[sender]?.lastCorrectionAt, now.milliseconds(since: last) < settings.heartbeatInterval {
            return
        }
        local[sender]?.lastCorrectionAt = now
        send(.gossip([], [.init(record: r, heardMillisecondsAgo: nil)]), to: from)
    }

    /// After `leave`: answer a member that still talks to us with our leave, at most once a second.
    private func answerAfterLeaving(_ message: RoomMessage, from: RoomAddress, now: Instant) {
        switch message.body {
        case .heartbeat, .gossip, .text:
            if let last = leftRepliesAt[message.senderID], now.milliseconds(since: last) < 1000 { return }
            leftRepliesAt[message.senderID] = now
            if let me = membership[clientID] { send(.leave(me), to: from) }
        default:
            break
        }
    }

    // MARK: Merging

    /// Merges one record into the list and keeps the local bookkeeping (evidence, tombstone
    /// times, text recipients) in step. `heardAgo`: the reporter's direct evidence, if any.
    private func merge(_ record: MemberRecord, heardAgo: Double?, now: Instant) {
        if record.clientID == clientID {
            considerAboutSelf(record, now: now)
            return
        }
        let id = record.clientID
        let old = membership[id]
        // Do not learn of the death of a stranger: tombstones exist to stop an alive record we
        // hold; one we never held would only be gossiped back and forth after others forgot it.
        if old == nil, !record.status.isInView { return }
        let wasInView = old.map(isInView) ?? false
        let evidence = heardAgo.map { now.advanced(byMilliseconds: -$0) }
        let outcome = membership.merge(record)
        guard let new = membership[id] else { return }
        switch outcome {
        case .unchanged:
            break
        case .inserted, .replaced:
            if new.status.isInView {
                setDisbelief(id, false)  // refuted: the record itself is back in the view
                if !wasInView {
                    local[id] = Local(joinedAt: now, lastHeard: evidence ?? now, lastDirect: nil)
                    text.memberEntered(id)
                    // It may hold texts we never got: sent in another room of this id (a merge),
                    // or while we had dropped it. A record with heartbeat 0 is a discover's: its
                    // sender is joining (nothing to give, and it cannot answer before it is a
                    // member) or, its discovery having reached us late, already a member of a
                    // room of its own — so it is asked once a discovery wait has passed.
                    switch phase {
                    case .member: newcomers.append((id, new.heartbeat == 0 ? settings.discoveryWait : 0))
                    case .discovering: discoveredPeers.insert(id)
                    case .idle, .left: break
                    }
                }
            } else if wasInView, new.status == .dead, hearsDirectly(id, asOf: new.incarnation, now: now) {
                // SWIM's rule: a third party's death report does not outweigh our own fresh
                // evidence. The record stays dead (the merge is untouched and gossips it on, so
                // the member learns of it and refutes); only our view keeps the member meanwhile.
                if local[id]?.disbelievedDeath != true { statistics.deathsDisbelieved += 1 }
                setDisbelief(id, true)
                logger.debug("death report disbelieved", metadata: ["member": "\(id)"])
            } else {
                setDisbelief(id, false)
                if wasInView { text.memberExited(id) }
                if old == nil || wasInView || local[id]?.tombstonedAt == nil {
                    if local[id] == nil { local[id] = Local(joinedAt: now, lastHeard: now) }
                    local[id]?.tombstonedAt = now
                }
            }
        }
        if let evidence, new.status.isInView, new.incarnation == record.incarnation, var l = local[id],
            evidence > l.lastHeard
        {
            l.lastHeard = min(evidence, now)
            local[id] = l
        }
    }

    /// This node heard `id` itself, as incarnation `incarnation` or later, within `suspectAfter`:
    /// newer evidence than any death report of that incarnation can account for (a death takes
    /// `deadAfter` without evidence at its reporter).
    private func hearsDirectly(_ id: String, asOf incarnation: UInt32, now: Instant) -> Bool {
        guard let l = local[id], let direct = l.lastDirect else { return false }
        return l.directIncarnation >= incarnation && now.milliseconds(since: direct) < settings.suspectAfter
    }

    private func setDisbelief(_ id: String, _ on: Bool) {
        guard let was = local[id]?.disbelievedDeath, was != on else { return }
        local[id]?.disbelievedDeath = on
        disbelievedCount += on ? 1 : -1
        disbeliefVersion &+= 1
    }

    /// Someone holds a record of this client that beats ours (a suspicion, a death, or a record
    /// of a previous life with a higher incarnation): refute by raising the incarnation, and
    /// heartbeat at the next tick so the refutation spreads at once.
    private func considerAboutSelf(_ record: MemberRecord, now: Instant) {
        guard phase == .discovering || phase == .member else { return }
        // A death of this life — even one our refutation of an earlier suspicion already beats —
        // means we were out of some views: texts sent meanwhile were not owed to us.
        if phase == .member, record.status == .dead, record.incarnation >= text.stream,
            noticedDeathIncarnation.map({ record.incarnation > $0 }) ?? true
        {
            noticedDeathIncarnation = record.incarnation
            learnedOfOwnDeath = true
        }
        let mine = selfRecord
        guard MemberRecord.mergeOrder(mine, record) else { return }
        incarnation = max(incarnation, record.incarnation) &+ 1
        statistics.refutations += 1
        membership.set(selfRecord)
        if phase == .member { nextHeartbeatAt = min(nextHeartbeatAt, now) }
        logger.debug("refuted", metadata: ["incarnation": "\(incarnation)", "was": "\(record)"])
    }

    /// Called first on every entry point. A call long after the previous one means this node
    /// itself was away (stopped, asleep): its peers' silence is its own absence, and its socket
    /// may still hold their datagrams. So it grants every member a fresh grace period (as if it
    /// had just heard them) instead of suspecting or declaring anyone dead; the backlog and the
    /// next heartbeats are judged from here on. A joiner likewise gets time to read welcomes
    /// before it creates a room of its own.
    private func absorbPause(now: Instant) {
        defer { if lastCallAt.map({ now > $0 }) ?? true { lastCallAt = now } }
        guard let last = lastCallAt, now.milliseconds(since: last) > settings.pauseThreshold else { return }
        switch phase {
        case .member:
            statistics.pausesAbsorbed += 1
            for id in local.keys where id != clientID {
                if let r = membership[id], isInView(r), let l = local[id], l.lastHeard < now { local[id]?.lastHeard = now }
            }
            logger.debug("pause absorbed", metadata: ["gap ms": "\(now.milliseconds(since: last))"])
        case .discovering:
            statistics.pausesAbsorbed += 1
            discoveryDeadline = max(discoveryDeadline, now.advanced(byMilliseconds: settings.discoveryInterval))
        case .idle, .left:
            break
        }
    }

    // MARK: Timers

    private func step(now: Instant) {
        if phase == .discovering {
            if now >= discoveryDeadline {
                becomeMember(created: true, source: nil, now: now)
            } else {
                if now >= nextDiscoverAt {
                    broadcast(.discover(selfRecord))
                    nextDiscoverAt = now.advanced(byMilliseconds: settings.discoveryInterval)
                }
                return
            }
        }
        guard phase == .member else { return }

        if now >= nextHeartbeatAt {
            heartbeat &+= 1
            membership.set(selfRecord)
            let digest = membership.digest
            for r in viewRecords(excludingSelf: true) { send(.heartbeat(selfRecord, digest: digest), to: r.address) }
            nextHeartbeatAt = nextHeartbeatAt.advanced(byMilliseconds: settings.heartbeatInterval)
            if nextHeartbeatAt <= now { nextHeartbeatAt = now.advanced(byMilliseconds: settings.heartbeatInterval) }
        }

        detectFailures(now: now)

        if now >= nextGossipAt {
            let others = viewRecords(excludingSelf: true)
            for r in rng.sample(others, settings.gossipFanout) { sendList(to: r.address, flags: [], now: now) }
            let dead = membership.sortedRecords.filter { $0.status == .dead }
            if !dead.isEmpty, rng.unit() < settings.reconnectProbability {
                let r = dead[Int(rng.next() % UInt64(dead.count))]
                sendList(to: r.address, flags: [.replyRequested], now: now)
            }
            nextGossipAt = nextGossipAt.advanced(byMilliseconds: settings.gossipInterval)
            if nextGossipAt <= now { nextGossipAt = now.advanced(byMilliseconds: settings.gossipInterval) }
        }

        if now >= nextAnnounceAt {
            if isAnnouncer { announce() }
            announcePeriod = min(max(settings.announceInterval, settings.announceIntervalMax), announcePeriod * 2)
            nextAnnounceAt = nextAnnounceAt.advanced(byMilliseconds: announcePeriod)
            if nextAnnounceAt <= now { nextAnnounceAt = now.advanced(byMilliseconds: announcePeriod) }
        }

        let tombstones = local.filter { $0.value.tombstonedAt != nil }
        for (id, l) in tombstones.sorted(by: { utf8Less($0.key, $1.key) }) {
            guard let t = l.tombstonedAt, now.milliseconds(since: t) >= settings.tombstoneLifetime,
                let r = membership[id], !isInView(r)
            else { continue }
            membership.remove(id)
            local[id] = nil
            text.forget(origin: id)
        }

        for (id, body) in text.retransmit(now: now, interval: settings.textRetransmitInterval) {
            guard let r = membership[id], isInView(r) else { continue }
            statistics.textRetransmissions += 1
            send(body, to: r.address)
        }

        retryHistoryFetches(now: now)
    }

    /// No evidence for `suspectAfter`: suspect (gossiped, so the member can refute). None for
    /// `deadAfter`: declare dead (a tombstone at the same incarnation, which beats alive).
    private func detectFailures(now: Instant) {
        for r in viewRecords(excludingSelf: true) {
            guard let l = local[r.clientID] else { continue }
            if l.disbelievedDeath {
                // Kept against its dead record while we hear it; once silent for `suspectAfter`
                // the record's verdict stands (before our own detector would have declared it).
                guard !hearsDirectly(r.clientID, asOf: r.incarnation, now: now) else { continue }
                setDisbelief(r.clientID, false)
                text.memberExited(r.clientID)
                local[r.clientID]?.tombstonedAt = now
                logger.debug("disbelieved member fell silent", metadata: ["member": "\(r.clientID)"])
                continue
            }
            let silence = now.milliseconds(since: l.lastHeard)
            var degraded = r
            if silence >= settings.deadAfter {
                degraded.status = .dead
                statistics.deathsDeclared += 1
                text.memberExited(r.clientID)
                local[r.clientID]?.tombstonedAt = now
                logger.debug("member declared dead", metadata: ["member": "\(r.clientID)", "silence ms": "\(silence)"])
            } else if silence >= settings.suspectAfter, r.status == .alive {
                degraded.status = .suspect
                statistics.suspicionsRaised += 1
            } else {
                continue
            }
            membership.set(degraded)  // same incarnation, higher status: merge-monotone
        }
    }

    private func becomeMember(created: Bool, source: String?, now: Instant) {
        guard phase == .discovering else { return }
        phase = .member
        memberSince = now
        // A member's record always has heartbeat ≥ 1, so a restarted client (heartbeat 0 while it
        // discovers) always sees its previous life's record beat its own and raises its
        // incarnation — which also gives its text a new stream.
        heartbeat &+= 1
        membership.set(selfRecord)
        text.stream = incarnation
        emit(created ? .roomCreated(roomID: roomID) : .roomJoined(roomID: roomID))
        logger.debug(created ? "room created" : "room joined", metadata: ["room": "\(roomID)"])
        // Heartbeat at once: everyone learns of the new member (and of its heartbeat ≥ 1) now.
        let digest = membership.digest
        for r in viewRecords(excludingSelf: true) { send(.heartbeat(selfRecord, digest: digest), to: r.address) }
        nextHeartbeatAt = now.advanced(byMilliseconds: settings.heartbeatInterval)
        nextGossipAt = now.advanced(byMilliseconds: rng.unit() * settings.gossipInterval)
        announcePeriod = settings.announceInterval
        nextAnnounceAt = now.advanced(byMilliseconds: settings.announceInterval * (0.5 + rng.unit()))
        for r in viewRecords(excludingSelf: true) { text.memberEntered(r.clientID) }
        if created {
            // Nobody answered the discovery, but rooms of this id may exist whose members'
            // discovery or answers did not arrive (a fresh network delays broadcasts): tell them
            // now rather than at the first announce round.
            if isAnnouncer { announce() }
        } else if let source {
            startHistoryFetch(from: source, anyMemberOnRetry: true, now: now)
        }
        // Peers we know from their discovery may be members of rooms created meanwhile (their
        // discovery reached us late): ask them too. Simultaneous creators have nothing to give
        // and answer with an empty chunk.
        for id in discoveredPeers.sorted(by: utf8Less) where id != source {
            startHistoryFetch(from: id, anyMemberOnRetry: false, after: settings.tickInterval, now: now)
        }
        discoveredPeers = []
    }

    /// The room's announcer is the member with the smallest client id in its own view: one
    /// announcement per room per announce period (2 s after a view change, doubling to 8 s),
    /// whatever the room's size; views that disagree for a moment may give two.
    private var isAnnouncer: Bool { currentView.first == clientID }

    private func isAnnouncer(excluding id: String) -> Bool { currentView.first { $0 != id } == clientID }

    /// The view changed (a merge, a join, a death, a partition): rooms of this id may have split
    /// or may still be apart, so announcements go back to their fastest period.
    private func restartAnnouncements(now: Instant) {
        guard announcePeriod > settings.announceInterval else { return }
        announcePeriod = settings.announceInterval
        let next = now.advanced(byMilliseconds: settings.announceInterval * (0.5 + rng.unit()))
        if next < nextAnnounceAt { nextAnnounceAt = next }
    }

    private func announce() {
        let n = currentView.count
        broadcast(.announce(selfRecord, memberCount: UInt16(min(n, Int(UInt16.max))), digest: membership.digest))
    }

    /// Asks member `id` for the history messages this node lacks (the request lists what it
    /// holds), from `after` milliseconds on, retrying every `historyRetryInterval` up to
    /// `historyAttempts` times until every chunk of an answer arrived. Not again with the same
    /// member within `historyExchangeCooldown`. At most `maxHistoryFetches` are under way; the
    /// others wait their turn, so each request names what the earlier answers brought and a
    /// merge of large rooms costs one full answer per few members, not one per pair.
    private func startHistoryFetch(from id: String, anyMemberOnRetry: Bool, after wait: Double = 0, now: Instant) {
        guard phase == .member, settings.historyAttempts > 0, settings.historyLimit > 0, id != clientID,
            local[id] != nil, !historyFetches.contains(where: { $0.target == id })
        else { return }
        if let last = local[id]?.lastHistoryAskAt, now.milliseconds(since: last) < settings.historyExchangeCooldown {
            return
        }
        historyFetches.append(
            HistoryFetch(
                target: id, attemptsLeft: settings.historyAttempts, nextAt: now.advanced(byMilliseconds: wait),
                anyMemberOnRetry: anyMemberOnRetry))
        if wait <= 0 { retryHistoryFetches(now: now) }
    }

    private func retryHistoryFetches(now: Instant) {
        var kept: [HistoryFetch] = []
        var underWay = historyFetches.filter { $0.attemptsLeft < settings.historyAttempts }.count
        for var f in historyFetches {
            let started = f.attemptsLeft < settings.historyAttempts
            guard now >= f.nextAt, started || underWay < Self.maxHistoryFetches else {
                kept.append(f)
                continue
            }
            guard f.attemptsLeft > 0 else {
                underWay -= 1
                continue
            }
            if started, f.anyMemberOnRetry {
                // Later attempts ask someone else: the first source may have failed.
                let others = viewRecords(excludingSelf: true)
                if !others.isEmpty {
                    let pick = others[Int(rng.next() % UInt64(others.count))].clientID
                    if pick != f.target, !historyFetches.contains(where: { $0.target == pick }) {
                        f.target = pick
                        f.chunkCount = nil
                        f.chunks = []
                    }
                }
            }
            guard let r = membership[f.target], isInView(r) else {
                if started { underWay -= 1 }
                continue
            }
            if !started { underWay += 1 }
            f.attemptsLeft -= 1
            f.nextAt = now.advanced(byMilliseconds: settings.historyRetryInterval)
            local[f.target]?.lastHistoryAskAt = now
            statistics.historyRequestsSent += 1
            send(.historyRequest(have: text.historySummary(limit: RoomMessage.maxHistorySummary)), to: r.address)
            kept.append(f)
        }
        historyFetches = kept
    }

    private enum SyncUrgency {
        /// A digest mismatch with a member: rate-limited per peer and overall.
        case routine
        /// A member we did not hold (another room of this id): rate-limited per peer only, so
        /// several rooms meeting at once all merge now.
        case newcomer
        /// Just joined through this member.
        case forced
    }

    /// Push-pull: send our whole list and ask for theirs. Returns whether it was sent.
    @discardableResult
    private func sync(with id: String, at address: RoomAddress, now: Instant, urgency: SyncUrgency) -> Bool {
        if urgency != .forced {
            if let last = local[id]?.lastSyncAt, now.milliseconds(since: last) < settings.syncIntervalPerPeer { return false }
        }
        if urgency == .routine, let last = lastSyncAt, now.milliseconds(since: last) < settings.syncInterval { return false }
        lastSyncAt = now
        local[id]?.lastSyncAt = now
        statistics.syncsStarted += 1
        sendList(to: address, flags: [.replyRequested], now: now)
        return true
    }

    // MARK: Output

    private var selfRecord: MemberRecord {
        MemberRecord(
            clientID: clientID, incarnation: incarnation, heartbeat: heartbeat, status: .alive,
            displayName: displayName, address: address)
    }

    /// In this node's view: an alive or suspect record, or a member whose death it disbelieves.
    private func isInView(_ r: MemberRecord) -> Bool {
        r.status.isInView || (disbelievedCount > 0 && local[r.clientID]?.disbelievedDeath == true)
    }

    private var currentView: [String] {
        disbelievedCount == 0 ? membership.view : membership.sortedRecords.filter(isInView).map(\.clientID)
    }

    private func viewRecords(excludingSelf: Bool) -> [MemberRecord] {
        membership.sortedRecords.filter { isInView($0) && !(excludingSelf && $0.clientID == clientID) }
    }

    private func peer(for r: MemberRecord) -> RoomPeer {
        let l = local[r.clientID]
        // A member kept against a death report shows as suspect: someone stopped hearing it.
        let status: MemberStatus = r.status.isInView ? r.status : .suspect
        return RoomPeer(
            clientID: r.clientID, displayName: r.displayName, address: r.address, incarnation: r.incarnation,
            joinedAt: l?.joinedAt ?? .zero, lastHeard: l?.lastHeard ?? .zero, status: status)
    }

    private func encode(_ body: RoomMessage.Body) -> [UInt8] {
        RoomMessage(roomID: roomID, senderID: clientID, senderIncarnation: incarnation, body: body).serialize()
    }

    private func count(_ bytes: [UInt8]) {
        if bytes[1] == RoomMessage.textPacketType {
            statistics.textDatagramsSent += 1
            statistics.textBytesSent += bytes.count
        } else {
            statistics.controlDatagramsSent += 1
            statistics.controlBytesSent += bytes.count
        }
    }

    private func send(_ body: RoomMessage.Body, to address: RoomAddress) {
        let bytes = encode(body)
        count(bytes)
        effects.append(.send(bytes: bytes, to: address))
    }

    private func broadcast(_ body: RoomMessage.Body) {
        let bytes = encode(body)
        count(bytes)
        statistics.broadcastsSent += 1
        effects.append(.broadcast(bytes: bytes))
    }

    /// Our whole list (tombstones included) in as many gossip datagrams as it takes to stay within
    /// `RoomMessage.maxDatagramBytes`. Each record carries how long ago we heard it directly.
    private func sendList(to address: RoomAddress, flags: RoomMessage.GossipFlags, now: Instant) {
        let budget = RoomMessage.maxDatagramBytes - RoomMessage.headerLength(roomID: roomID, senderID: clientID) - 2
        var chunk: [RoomMessage.GossipEntry] = []
        var used = 0
        for r in membership.sortedRecords {
            var heard: UInt16?
            if r.clientID == clientID {
                heard = 0
            } else if r.status.isInView, let direct = local[r.clientID]?.lastDirect {
                let ms = now.milliseconds(since: direct).rounded(.up)
                heard = ms < 65535 ? UInt16(max(0, ms)) : nil
            }
            let size = RoomMessage.wireLength(of: r) + 2
            if !chunk.isEmpty, used + size > budget || chunk.count == 255 {
                send(.gossip(flags, chunk), to: address)
                chunk = []
                used = 0
            }
            chunk.append(.init(record: r, heardMillisecondsAgo: heard))
            used += size
        }
        if !chunk.isEmpty { send(.gossip(flags, chunk), to: address) }
    }

    /// The history items the asker does not hold, in chunks; always at least one chunk (possibly
    /// empty), so the asker knows the answer is complete.
    private func sendHistory(to address: RoomAddress, excluding held: Set<UInt64>) {
        let items = text.historyItems.filter {
            !held.contains(RoomText.fingerprint(origin: $0.origin, stream: $0.stream, sequence: $0.sequence))
        }
        let budget = RoomMessage.maxDatagramBytes - RoomMessage.headerLength(roomID: roomID, senderID: clientID) - 3
        var chunks: [[RoomMessage.HistoryItem]] = [[]]
        var used = 0
        for item in items {
            let size = RoomMessage.wireLength(of: item)
            if !chunks[chunks.count - 1].isEmpty, used + size > budget || chunks[chunks.count - 1].count == 255 {
                chunks.append([])
                used = 0
            }
            chunks[chunks.count - 1].append(item)
            used += size
        }
        let total = UInt8(min(chunks.count, 255))
        for (i, c) in chunks.prefix(255).enumerated() { send(.history(chunk: UInt8(i), of: total, c), to: address) }
    }

    private func emit(_ event: RoomEvent) {
        effects.append(.event(event))
        onEvent?(event)
    }

    /// Emits peer and view events for whatever changed since the last report.
    private func finish(now: Instant) -> [RoomEffect] {
        guard phase == .member,
            reportedVersion != membership.structureVersion || reportedDisbeliefVersion != disbeliefVersion
        else { return effects }
        reportedVersion = membership.structureVersion
        reportedDisbeliefVersion = disbeliefVersion
        let current = currentView
        let records = viewRecords(excludingSelf: true)
        var seen: Set<String> = []
        for r in records {
            seen.insert(r.clientID)
            let shown = peer(for: r)
            let rep = Reported(status: shown.status, incarnation: r.incarnation, address: r.address)
            if let before = reported[r.clientID] {
                if before != rep { emit(.peerUpdated(shown)) }
            } else {
                emit(.peerJoined(shown))
            }
            reported[r.clientID] = rep
        }
        for id in reported.keys.sorted(by: utf8Less) where !seen.contains(id) {
            reported[id] = nil
            let reason: LeaveReason
            switch membership[id]?.status {
            case .left: reason = .left
            case .dead: reason = .failed
            default: reason = .forgotten
            }
            emit(.peerLeft(clientID: id, reason: reason))
        }
        if current != reportedView {
            reportedView = current
            restartAnnouncements(now: now)
            emit(.viewChanged(view: current, digest: membership.digest))
        }
        return effects
    }

    private static func validate(_ s: String, _ field: String, allowEmpty: Bool) throws(RoomError) {
        let n = s.utf8.count
        guard n <= RoomMessage.maxIdentifierBytes, allowEmpty || n > 0 else {
            throw .invalidIdentifier(field: field, reason: "\(n) UTF-8 bytes; allowed \(allowEmpty ? 0 : 1)...\(RoomMessage.maxIdentifierBytes)")
        }
    }
}
