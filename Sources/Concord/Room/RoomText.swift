/// Reliable room text for one node: an outbox with per-recipient acknowledgement, one inbound
/// stream per origin, and the recent history served to late joiners.
///
/// - Each node's messages form a *stream* (its incarnation when it joined; see
///   `RoomMessage.Body.text`) numbered 1, 2, 3, …
/// - A message is owed to the members in the sender's view when it is sent. It is sent to each
///   of them directly and re-sent every `textRetransmitInterval` until that member's cumulative
///   acknowledgement covers it, or the member leaves the view.
/// - A member that enters the sender's view is owed messages from the sender's next sequence on;
///   that sequence travels as `base` in every message, so the receiver knows where its part of
///   the stream starts (earlier messages reach it as history, not live).
/// - The receiver delivers in sequence order from `base`, buffers what arrives early, discards
///   what it already delivered (exactly once) and acknowledges cumulatively.
struct RoomText {
    struct Pending {
        var sequence: UInt32
        var sentAt: Instant
        var text: String
        /// Recipients that have not acknowledged yet, with when it was last sent to them.
        var waiting: [String: Instant]
    }

    struct Inbound {
        var stream: UInt32
        /// The first sequence the origin owes us live (its `base` for us).
        var base: UInt32
        /// Next sequence to deliver.
        var expected: UInt32
        var early: [UInt32: (sentAt: Instant, text: String)] = [:]
    }

    struct HistoryKey: Hashable {
        var origin: String
        var stream: UInt32
        var sequence: UInt32
    }

    var stream: UInt32 = 0
    var nextSequence: UInt32 = 1
    private(set) var outbox: [Pending] = []
    /// First sequence owed to each recipient (set when it entered the view).
    private var base: [String: UInt32] = [:]
    private(set) var inbound: [String: Inbound] = [:]
    private(set) var history: [RoomMessage.HistoryItem] = []
    /// Messages delivered from a history transfer, so a live copy is not delivered again.
    private var deliveredFromHistory: Set<HistoryKey> = []
    let historyLimit: Int
    /// Early messages buffered per origin, at most (beyond it the newest are dropped and re-sent).
    static let earlyLimit = 512

    init(historyLimit: Int) { self.historyLimit = historyLimit }

    // MARK: Membership

    mutating func memberEntered(_ id: String) {
        if base[id] == nil { base[id] = nextSequence }
    }

    mutating func memberExited(_ id: String) {
        base[id] = nil
        for i in outbox.indices { outbox[i].waiting[id] = nil }
        outbox.removeAll { $0.waiting.isEmpty }
    }

    /// The origin's record was forgotten (tombstone expired): a later life starts afresh.
    mutating func forget(origin: String) { inbound[origin] = nil }

    // MARK: Sending

    /// Queues a message to `recipients`; returns what to send now.
    mutating func send(_ text: String, now: Instant, recipients: [String]) -> [(to: String, body: RoomMessage.Body)] {
        let seq = nextSequence
        nextSequence &+= 1
        appendHistory(.init(origin: "", stream: stream, sequence: seq, sentAt: now, text: text))
        var waiting: [String: Instant] = [:]
        for r in recipients { waiting[r] = now }
        if !waiting.isEmpty { outbox.append(Pending(sequence: seq, sentAt: now, text: text, waiting: waiting)) }
        return recipients.map { ($0, body(seq: seq, sentAt: now, text: text, to: $0)) }
    }

    private func body(seq: UInt32, sentAt: Instant, text: String, to id: String) -> RoomMessage.Body {
        .text(stream: stream, sequence: seq, base: base[id] ?? 1, sentAt: sentAt, text: text)
    }

    mutating func receiveAck(from id: String, stream ackStream: UInt32, cumulative: UInt32) {
        guard ackStream == stream else { return }
        for i in outbox.indices where outbox[i].sequence <= cumulative { outbox[i].waiting[id] = nil }
        outbox.removeAll { $0.waiting.isEmpty }
    }

    /// Re-sends what is due.
    mutating func retransmit(now: Instant, interval: Double) -> [(to: String, body: RoomMessage.Body)] {
        var out: [(to: String, body: RoomMessage.Body)] = []
        for i in outbox.indices {
            for (id, last) in outbox[i].waiting.sorted(by: { utf8Less($0.key, $1.key) })
            where now.milliseconds(since: last) >= interval {
                outbox[i].waiting[id] = now
                out.append((id, body(seq: outbox[i].sequence, sentAt: outbox[i].sentAt, text: outbox[i].text, to: id)))
            }
        }
        return out
    }

    // MARK: Receiving

    /// Takes a text datagram from `origin`; returns the messages now deliverable, in order, and
    /// the acknowledgement to send back (`nil` for a stale stream).
    mutating func receive(
        origin: String, stream s: UInt32, sequence: UInt32, base b: UInt32, sentAt: Instant, text: String, now: Instant
    ) -> (delivered: [TextMessage], ack: RoomMessage.Body?) {
        var state = inbound[origin] ?? Inbound(stream: s, base: b, expected: b)
        if s < state.stream { return ([], nil) }  // an earlier life of this client
        if s > state.stream { state = Inbound(stream: s, base: b, expected: b) }
        if b > state.expected {
            // The origin re-based us (we left and re-entered its view): what lies before the base
            // is not owed to us live.
            state.expected = b
            state.base = b
            state.early = state.early.filter { $0.key >= b }
        }
        if sequence >= state.expected, state.early[sequence] == nil,
            state.early.count < Self.earlyLimit || sequence == state.expected
        {
            state.early[sequence] = (sentAt, text)
        }
        var delivered: [TextMessage] = []
        while let next = state.early.removeValue(forKey: state.expected) {
            let key = HistoryKey(origin: origin, stream: s, sequence: state.expected)
            if deliveredFromHistory.remove(key) == nil {
                delivered.append(
                    TextMessage(
                        origin: origin, stream: s, sequence: state.expected, sentAt: next.sentAt, receivedAt: now,
                        text: next.text, fromHistory: false))
                appendHistory(.init(origin: origin, stream: s, sequence: state.expected, sentAt: next.sentAt, text: next.text))
            }
            state.expected &+= 1
        }
        inbound[origin] = state
        return (delivered, .textAck(stream: s, cumulative: state.expected &- 1))
    }

    /// Takes history items; returns those not delivered before.
    mutating func receiveHistory(_ items: [RoomMessage.HistoryItem], selfID: String, now: Instant) -> [TextMessage] {
        var out: [TextMessage] = []
        for item in items where item.origin != selfID {
            let key = HistoryKey(origin: item.origin, stream: item.stream, sequence: item.sequence)
            if let s = inbound[item.origin],
                s.stream > item.stream || (s.stream == item.stream && (item.sequence < s.expected || item.sequence >= s.base))
            {
                // Delivered live already, owed to us live (from our base on), or an older life.
                continue
            }
            guard deliveredFromHistory.insert(key).inserted else { continue }
            out.append(
                TextMessage(
                    origin: item.origin, stream: item.stream, sequence: item.sequence, sentAt: item.sentAt,
                    receivedAt: now, text: item.text, fromHistory: true))
            appendHistory(item)
        }
        return out
    }

    /// History items with the origin filled in (own messages are stored with an empty origin).
    func historyItems(selfID: String) -> [RoomMessage.HistoryItem] {
        history.map { item in
            var copy = item
            if copy.origin.isEmpty { copy.origin = selfID }
            return copy
        }
    }

    private mutating func appendHistory(_ item: RoomMessage.HistoryItem) {
        guard historyLimit > 0 else { return }
        history.append(item)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
    }
}
