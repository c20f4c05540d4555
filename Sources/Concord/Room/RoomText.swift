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
/// - History: the last `historyLimit` messages (own and delivered), kept in one stable order —
///   (sent-at, origin, stream, sequence) — so nodes that exchanged histories hold the same list.
///   A history request names what the asker holds (fingerprints), the answer carries the rest;
///   what arrives is delivered unless it was delivered before, live or from history, or is
///   still owed live.
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
        /// Sequences the origin skipped when it re-based us (we were out of its view): never
        /// delivered live, so history may deliver them. The newest `missedLimit` ranges.
        var missed: [Range<UInt32>] = []
        /// We learnt that the room had declared us dead: the origin may have dropped us from its
        /// view and re-based us without our knowing yet, so messages at or after `expected` are
        /// not necessarily owed live; history may deliver them (a later live copy is discarded).
        /// Cleared by the next live message, which tells where we stand.
        var rebasePossible = false

        func deliveredLive(_ sequence: UInt32) -> Bool {
            sequence >= base && sequence < expected && !missed.contains { $0.contains(sequence) }
        }
    }

    struct HistoryKey: Hashable {
        var origin: String
        var stream: UInt32
        var sequence: UInt32
    }

    var stream: UInt32 = 0
    var nextSequence: UInt32 = 1
    /// This node's client id: its own messages are kept in the history under it.
    var selfID = ""
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
    /// Skipped ranges remembered per origin (each re-base adds one).
    static let missedLimit = 16

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
        insertHistory(.init(origin: selfID, stream: stream, sequence: seq, sentAt: now, text: text))
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
        state.rebasePossible = false
        if b > state.expected {
            // The origin re-based us (we left and re-entered its view): what lies before the base
            // is not owed to us live — history may still bring it.
            state.missed.append(state.expected..<b)
            if state.missed.count > Self.missedLimit { state.missed.removeFirst(state.missed.count - Self.missedLimit) }
            state.expected = b
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
                insertHistory(.init(origin: origin, stream: s, sequence: state.expected, sentAt: next.sentAt, text: next.text))
            }
            state.expected &+= 1
        }
        inbound[origin] = state
        return (delivered, .textAck(stream: s, cumulative: state.expected &- 1))
    }

    /// Takes history items; returns those not delivered before, in the history's stable order.
    mutating func receiveHistory(_ items: [RoomMessage.HistoryItem], now: Instant) -> [TextMessage] {
        var out: [TextMessage] = []
        for item in items.sorted(by: Self.historyOrder) where item.origin != selfID {
            let key = HistoryKey(origin: item.origin, stream: item.stream, sequence: item.sequence)
            if let s = inbound[item.origin] {
                if s.stream > item.stream { continue }  // an earlier life: its inbound state is gone
                if s.stream == item.stream {
                    if s.deliveredLive(item.sequence) { continue }
                    // Owed live (the origin will send it to us), unless it may have re-based us.
                    if item.sequence >= s.expected, !s.rebasePossible { continue }
                }
            }
            guard deliveredFromHistory.insert(key).inserted else { continue }
            out.append(
                TextMessage(
                    origin: item.origin, stream: item.stream, sequence: item.sequence, sentAt: item.sentAt,
                    receivedAt: now, text: item.text, fromHistory: true))
            insertHistory(item)
        }
        return out
    }

    /// We learnt that the room had declared us dead: every origin may have re-based us.
    mutating func markRebasePossible() {
        for id in inbound.keys { inbound[id]?.rebasePossible = true }
    }

    /// The history, oldest first in the stable order.
    var historyItems: [RoomMessage.HistoryItem] { history }

    /// Fingerprints of the newest `limit` history items: what a history request says we hold.
    func historySummary(limit: Int) -> [UInt64] {
        history.suffix(max(0, limit)).map { Self.fingerprint(origin: $0.origin, stream: $0.stream, sequence: $0.sequence) }
    }

    /// Identifies one message in a history request: 64-bit FNV-1a of (origin, 0, stream, sequence).
    /// A collision would only make the answerer leave out one message the asker lacks
    /// (probability about items² / 2⁶⁵).
    static func fingerprint(origin: String, stream: UInt32, sequence: UInt32) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        for b in origin.utf8 { mix(b) }
        mix(0)
        for v in [stream, sequence] {
            for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
        }
        return h
    }

    /// The stable order of the history: sent-at (the origin's clock), then origin, stream and
    /// sequence — the same on every node, so histories that hold the same messages list them alike.
    static func historyOrder(_ a: RoomMessage.HistoryItem, _ b: RoomMessage.HistoryItem) -> Bool {
        if a.sentAt != b.sentAt { return a.sentAt < b.sentAt }
        if a.origin != b.origin { return utf8Less(a.origin, b.origin) }
        if a.stream != b.stream { return a.stream < b.stream }
        return a.sequence < b.sequence
    }

    /// Inserts in the stable order (no duplicates) and keeps the newest `historyLimit`.
    private mutating func insertHistory(_ item: RoomMessage.HistoryItem) {
        guard historyLimit > 0 else { return }
        var low = 0, high = history.count
        while low < high {
            let mid = (low + high) / 2
            if Self.historyOrder(history[mid], item) { low = mid + 1 } else { high = mid }
        }
        if low < history.count, history[low].origin == item.origin, history[low].stream == item.stream,
            history[low].sequence == item.sequence
        {
            return
        }
        history.insert(item, at: low)
        if history.count > historyLimit { history.removeFirst(history.count - historyLimit) }
    }
}
