import Logging
import SeededRandom

/// One client in one room: the serverless room protocol as a state machine.
///
/// The driver calls `join` once, then hands every room datagram to `receive`, calls `tick` at
/// least every `RoomSettings.tickInterval`, and performs the returned effects (send, broadcast,
/// events) in order. Nothing here reads a clock, sleeps, spawns tasks or takes locks; the only
/// randomness is a SplitMix64 seeded at `init`, so a run is reproducible.
///
/// The original RoomManager API maps as: `join_room(room_id, client_id, address)` →
/// `join(roomID:clientID:displayName:address:now:)`,
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

    /// What merging a message's records found out, acted on once the whole message is handled.
    private struct MergeFindings {
        /// Members that entered the view, with how long to wait before asking them for history.
        var newcomers: [(id: String, wait: Double)] = []
        /// The room had declared this life of this node dead.
        var ownDeath = false
    }

    public let settings: RoomSettings
    /// The phase, with the variables that mean something in it only.
    private var state = State.idle
    public var phase: Phase { state.phase }
    private var roomID = ""
    public private(set) var clientID = ""
    private var displayName = ""
    private var address = RoomAddress.ipv4(0, port: 0)
    private(set) var incarnation: UInt32 = 0
    private(set) var membership = Membership()
    public private(set) var statistics = Statistics()
    /// When `join` was called and when this node became a member (created or joined).
    public private(set) var joinStartedAt: Instant?
    public private(set) var memberSince: Instant?

    private var heartbeat: UInt32 = 0
    private var rng: SplitMix64
    private let logger: Logger
    private var text: RoomText
    private var local: [String: Local] = [:]
    /// Bumped whenever a member starts or stops being kept in the view against its dead record.
    private var disbeliefVersion: UInt64 = 0
    private var disbelievedCount = 0
    private var effects: [RoomEffect] = []
    /// The `now` of the latest call, to notice this node's own pauses.
    private var lastCallAt: Instant?

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
    /// The incarnation starts at 0. A client restarting after a crash thus starts below its
    /// previous life, which the room remembers: the node then raises its own above it.
    public func join(
        roomID: String, clientID: String, displayName: String = "", address: RoomAddress, now: Instant
    ) throws(RoomError) -> [RoomEffect] {
        guard phase == .idle else { throw .alreadyJoined }
        try Self.validate(roomID, .roomID)
        try Self.validate(clientID, .clientID)
        try Self.validate(displayName, .displayName)
        self.roomID = roomID
        self.clientID = clientID
        self.displayName = displayName
        self.address = address
        effects = []
        lastCallAt = now
        text.selfID = clientID
        membership.set(selfRecord)
        local[clientID] = Local(joinedAt: now, lastHeard: now, lastDirect: now)
        state = .discovering(Discovery(deadline: now.advanced(byMilliseconds: settings.discoveryWait), nextBroadcastAt: now))
        joinStartedAt = now
        logger.debug("joining", metadata: ["room": "\(roomID)", "client": "\(clientID)"])
        step(now: now)
        return finish(now: now)
    }

    /// Leaves gracefully: every member gets `leaveCopies` copies of a leave and drops this node
    /// from its view on the first. Afterwards the node only answers stragglers with its leave.
    public func leave(now: Instant) -> [RoomEffect] {
        effects = []
        let wasMember: Bool
        switch state {
        case .discovering: wasMember = false
        case .member: wasMember = true
        case .idle, .left: return []
        }
        var record = selfRecord
        record.status = .left
        let targets = viewRecords(excludingSelf: true)
        membership.set(record)
        state = .left(repliesAt: [:])
        if wasMember {
            for r in targets {
                for _ in 0..<max(1, settings.leaveCopies) { send(.leave(record), to: r.address) }
            }
        }
        emit(.leftRoom(roomID: roomID))
        logger.debug("left", metadata: ["room": "\(roomID)"])
        return effects
    }

    /// Takes one datagram of packet type 2 or 3 that arrived from `from`.
    public func receive(bytes: [UInt8], from: RoomAddress, now: Instant) -> [RoomEffect] {
        receive(Result { () throws(WireError) in try RoomMessage.parse(bytes) }, size: bytes.count, from: from, now: now)
    }

    /// A datagram of `size` bytes that the caller has already parsed (or failed to): a client
    /// that must read the sender before it lets a datagram in parses it once, here.
    public func receive(_ parsed: Result<RoomMessage, WireError>, size: Int, from: RoomAddress, now: Instant) -> [RoomEffect] {
        effects = []
        absorbPause(now: now)
        statistics.datagramsReceived += 1
        statistics.bytesReceived += size
        let message: RoomMessage
        switch parsed {
        case .success(let parsed): message = parsed
        case .failure(let error):
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

    /// The history this node would hand a late joiner, in the stable order (sent-at, origin,
    /// stream, sequence).
    var history: [RoomMessage.HistoryItem] { text.historyItems }

    /// True while this member is fetching text history from a member (after joining an existing
    /// room, meeting another room of the same id, or learning that it had been declared dead).
    var isCollectingHistory: Bool {
        guard case .member(let m) = state else { return false }
        return !m.history.isEmpty
    }

    /// Messages this node sent that some member has not acknowledged yet.
    var unacknowledgedTextCount: Int { text.outbox.count }

    // MARK: Message handling

    private func handle(_ message: RoomMessage, from: RoomAddress, now: Instant) {
        let sender = message.senderID
        // Whether the sender was in our view before this message: one that was not and speaks as a
        // member is from another room of this id (or one we had dropped), see below.
        let wasInView = membership[sender].map(isInView) ?? false
        let wasMember = phase == .member
        var answeredWithList = false
        var findings = MergeFindings()
        switch message.body {
        case .discover(let record):
            // A member of our view (its record has heartbeat ≥ 1, so it has been a member) that
            // discovers again has restarted; a joiner's repeated discover has heartbeat 0 throughout.
            let restarted = wasInView && (membership[sender]?.heartbeat ?? 0) >= 1
            merge(record, heardAgo: 0, now: now, findings: &findings)
            // A member we hold is discovering: it restarted. Its answers may not reach it (the
            // sealed transport still holds the previous life's session for its address), but a
            // broadcast does and makes it handshake afresh: announce now, as the room's announcer
            // would, at most once per `announceInterval`.
            if case .member(var m) = state, restarted, isAnnouncer(excluding: sender),
                m.lastAnswerAnnounceAt.map({ now.milliseconds(since: $0) >= settings.announceInterval }) ?? true
            {
                m.lastAnswerAnnounceAt = now
                state = .member(m)
                announce()
            }
            if phase == .member {
                let members = Double(max(1, membership.view.count - 1))
                if rng.unit() < min(1, settings.welcomeTarget / members) {
                    sendList(to: from, flags: [.welcome], now: now)
                }
            }
        case let .heartbeat(record, digest):
            merge(record, heardAgo: 0, now: now, findings: &findings)
            if phase == .discovering {
                becomeMember(created: false, source: sender, now: now)
                sync(with: sender, at: from, now: now, urgency: .forced)
                answeredWithList = true
            } else if digest != membership.digest {
                answeredWithList = sync(with: sender, at: from, now: now, urgency: wasInView ? .routine : .newcomer)
            }
        case let .gossip(flags, entries):
            for e in entries {
                merge(e.record, heardAgo: e.heardMillisecondsAgo.map(Double.init), now: now, findings: &findings)
            }
            if phase == .discovering { becomeMember(created: false, source: sender, now: now) }
            if flags.contains(.replyRequested) {
                sendList(to: from, flags: [], now: now)
                answeredWithList = true
            }
        case .leave(let record):
            merge(record, heardAgo: nil, now: now, findings: &findings)
        case let .announce(record, _, digest):
            merge(record, heardAgo: 0, now: now, findings: &findings)
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
            if updateMember({ $0.history.receiveChunk(chunk, of: count, from: sender) }) == true {
                requestDueHistory(now: now)  // a queued fetch may start now
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
        for n in findings.newcomers { startHistoryFetch(from: n.id, anyMemberOnRetry: false, after: n.wait, now: now) }
        if findings.ownDeath, phase == .member {
            // While we were dead in others' views their texts were not owed to us: fetch them.
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
        guard case .left(var repliesAt) = state else { return }
        switch message.body {
        case .heartbeat, .gossip, .text:
            if let last = repliesAt[message.senderID], now.milliseconds(since: last) < 1000 { return }
            repliesAt[message.senderID] = now
            state = .left(repliesAt: repliesAt)
            if let me = membership[clientID] { send(.leave(me), to: from) }
        default:
            break
        }
    }

    // MARK: Merging

    /// Merges one record into the list and keeps the local bookkeeping (evidence, tombstone
    /// times, text recipients) in step. `heardAgo`: the reporter's direct evidence, if any.
    private func merge(_ record: MemberRecord, heardAgo: Double?, now: Instant, findings: inout MergeFindings) {
        if record.clientID == clientID {
            considerAboutSelf(record, now: now, findings: &findings)
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
                    switch state {
                    case .member:
                        findings.newcomers.append((id, new.heartbeat == 0 ? settings.discoveryWait : 0))
                    case .discovering(var discovery):
                        discovery.peers.insert(id)
                        state = .discovering(discovery)
                    case .idle, .left:
                        break
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
    private func considerAboutSelf(_ record: MemberRecord, now: Instant, findings: inout MergeFindings) {
        guard phase == .discovering || phase == .member else { return }
        // A death of this life — even one our refutation of an earlier suspicion already beats —
        // means we were out of some views: texts sent meanwhile were not owed to us.
        if case .member(var m) = state, record.status == .dead, record.incarnation >= text.stream,
            m.noticedDeathIncarnation.map({ record.incarnation > $0 }) ?? true
        {
            m.noticedDeathIncarnation = record.incarnation
            state = .member(m)
            findings.ownDeath = true
        }
        let mine = selfRecord
        guard MemberRecord.mergeOrder(mine, record) else { return }
        incarnation = max(incarnation, record.incarnation) &+ 1
        statistics.refutations += 1
        membership.set(selfRecord)
        updateMember { $0.nextHeartbeatAt = min($0.nextHeartbeatAt, now) }
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
        switch state {
        case .member:
            statistics.pausesAbsorbed += 1
            for id in local.keys where id != clientID {
                if let r = membership[id], isInView(r), let l = local[id], l.lastHeard < now { local[id]?.lastHeard = now }
            }
            logger.debug("pause absorbed", metadata: ["gap ms": "\(now.milliseconds(since: last))"])
        case .discovering(var discovery):
            statistics.pausesAbsorbed += 1
            discovery.deadline = max(discovery.deadline, now.advanced(byMilliseconds: settings.discoveryInterval))
            state = .discovering(discovery)
        case .idle, .left:
            break
        }
    }

    // MARK: Timers

    private func step(now: Instant) {
        if case .discovering(var discovery) = state {
            guard now >= discovery.deadline else {
                if now >= discovery.nextBroadcastAt {
                    broadcast(.discover(selfRecord))
                    discovery.nextBroadcastAt = now.advanced(byMilliseconds: settings.discoveryInterval)
                    state = .discovering(discovery)
                }
                return
            }
            becomeMember(created: true, source: nil, now: now)
        }
        // This tick's copy of the member state: nothing called until it is stored back below
        // reaches the member state otherwise.
        guard case .member(var m) = state else { return }

        if now >= m.nextHeartbeatAt {
            heartbeat &+= 1
            membership.set(selfRecord)
            let digest = membership.digest
            for r in viewRecords(excludingSelf: true) { send(.heartbeat(selfRecord, digest: digest), to: r.address) }
            m.nextHeartbeatAt = Member.following(m.nextHeartbeatAt, period: settings.heartbeatInterval, now: now)
        }

        detectFailures(now: now)

        if now >= m.nextGossipAt {
            let others = viewRecords(excludingSelf: true)
            for r in rng.sample(others, settings.gossipFanout) { sendList(to: r.address, flags: [], now: now) }
            let dead = membership.sortedRecords.filter { $0.status == .dead }
            if !dead.isEmpty, rng.unit() < settings.reconnectProbability {
                let r = dead[Int(rng.next() % UInt64(dead.count))]
                sendList(to: r.address, flags: [.replyRequested], now: now)
            }
            m.nextGossipAt = Member.following(m.nextGossipAt, period: settings.gossipInterval, now: now)
        }

        if now >= m.nextAnnounceAt {
            if isAnnouncer { announce() }
            m.scheduleNextAnnounce(now: now, settings: settings)
        }
        state = .member(m)

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

        requestDueHistory(now: now)
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
        guard case .discovering(let discovery) = state else { return }
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
        state = .member(Member(now: now, settings: settings, rng: &rng))
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
        for id in discovery.peers.sorted(by: utf8Less) where id != source {
            startHistoryFetch(from: id, anyMemberOnRetry: false, after: settings.tickInterval, now: now)
        }
    }

    /// The room's announcer is the member with the smallest client id in its own view: one
    /// announcement per room per announce period (2 s after a view change, doubling to 8 s),
    /// whatever the room's size; views that disagree for a moment may give two.
    private var isAnnouncer: Bool { currentView.first == clientID }

    private func isAnnouncer(excluding id: String) -> Bool { currentView.first { $0 != id } == clientID }

    private func announce() {
        let n = currentView.count
        broadcast(.announce(selfRecord, memberCount: UInt16(min(n, Int(UInt16.max))), digest: membership.digest))
    }

    /// Asks member `id` for the history messages this node lacks (the request lists what it
    /// holds), from `after` milliseconds on; see `HistoryTransfer` for retries and queueing.
    private func startHistoryFetch(from id: String, anyMemberOnRetry: Bool, after wait: Double = 0, now: Instant) {
        guard settings.historyAttempts > 0, settings.historyLimit > 0, id != clientID, let l = local[id] else { return }
        let queued = updateMember {
            $0.history.enqueue(
                from: id, anyMemberOnRetry: anyMemberOnRetry, at: now.advanced(byMilliseconds: wait),
                lastAsked: l.lastHistoryAskAt, now: now)
        }
        if queued == true, wait <= 0 { requestDueHistory(now: now) }
    }

    private func requestDueHistory(now: Instant) {
        let due = updateMember {
            $0.history.dueRequests(
                now: now, members: { viewRecords(excludingSelf: true).map(\.clientID) },
                isInView: { membership[$0].map(isInView) ?? false }, rng: &rng)
        }
        guard let due, !due.isEmpty else { return }
        let have = text.historySummary(limit: RoomMessage.maxHistorySummary)
        for id in due {
            guard let r = membership[id] else { continue }
            local[id]?.lastHistoryAskAt = now
            statistics.historyRequestsSent += 1
            send(.historyRequest(have: have), to: r.address)
        }
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
        guard case .member(var m) = state else { return false }
        if urgency != .forced {
            if let last = local[id]?.lastSyncAt, now.milliseconds(since: last) < settings.syncIntervalPerPeer { return false }
        }
        if urgency == .routine, let last = m.lastSyncAt, now.milliseconds(since: last) < settings.syncInterval { return false }
        m.lastSyncAt = now
        state = .member(m)
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
        if PacketType(of: bytes) == .roomText {
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
    }

    /// Changes the member phase's state; nil, and nothing changed, in other phases. `change`
    /// works on a copy stored afterwards, so it must not reach the node's state otherwise.
    @discardableResult
    private func updateMember<T>(_ change: (inout Member) -> T) -> T? {
        guard case .member(var m) = state else { return nil }
        let result = change(&m)
        state = .member(m)
        return result
    }

    /// Emits peer and view events for whatever changed since the last report.
    private func finish(now: Instant) -> [RoomEffect] {
        let version = ViewChangeReporter.Version(structure: membership.structureVersion, disbelief: disbeliefVersion)
        guard case .member(var m) = state, !m.reporter.isCurrent(version) else { return effects }
        let report = m.reporter.report(
            version, view: currentView, digest: membership.digest, peers: peers(), status: { membership[$0]?.status })
        if report.viewChanged { m.restartAnnouncements(now: now, settings: settings, rng: &rng) }
        state = .member(m)
        for event in report.events { emit(event) }
        return effects
    }

    private static func validate(_ s: String, _ field: RoomError.IdentifierField) throws(RoomError) {
        let n = s.utf8.count
        guard field.allowedBytes.contains(n) else { throw .invalidIdentifier(field, bytes: n) }
    }
}
