import Testing
@testable import Concord
import SeededRandom

/// `RoomText`'s history rules: what a history answer may deliver next to live messages, exactly
/// once, and the stable order that makes exchanged histories identical.
@Suite struct RoomTextHistoryTests {
    func item(_ origin: String, _ seq: UInt32, at ms: Double, stream: UInt32 = 0) -> RoomMessage.HistoryItem {
        .init(origin: origin, stream: stream, sequence: seq, sentAt: .milliseconds(ms), text: "\(origin)#\(seq)")
    }

    func text() -> RoomText {
        var t = RoomText(historyLimit: 100)
        t.selfID = "me"
        return t
    }

    /// A receiver that first hears an origin live at base 3 (it entered the origin's view after
    /// messages 1 and 2) still gets 1 and 2 from history — and never 3 twice.
    @Test func messagesBeforeTheBaseComeFromHistory() {
        var t = text()
        let live = t.receive(origin: "a", stream: 0, sequence: 3, base: 3, sentAt: .milliseconds(30), text: "a#3", now: .zero)
        #expect(live.delivered.map(\.sequence) == [3])
        let got = t.receiveHistory([item("a", 1, at: 10), item("a", 2, at: 20), item("a", 3, at: 30)], now: .zero)
        #expect(got.map(\.sequence) == [1, 2] && got.allSatisfy(\.fromHistory))
        #expect(t.receiveHistory([item("a", 1, at: 10), item("a", 2, at: 20)], now: .zero).isEmpty)
    }

    /// A re-base (the receiver was out of the origin's view) skips sequences live; history
    /// delivers exactly those, once.
    @Test func whatARebaseSkippedComesFromHistory() {
        var t = text()
        _ = t.receive(origin: "a", stream: 0, sequence: 1, base: 1, sentAt: .milliseconds(10), text: "a#1", now: .zero)
        let after = t.receive(origin: "a", stream: 0, sequence: 4, base: 4, sentAt: .milliseconds(40), text: "a#4", now: .zero)
        #expect(after.delivered.map(\.sequence) == [4])
        let items = (1...4).map { item("a", UInt32($0), at: Double($0) * 10) }
        #expect(t.receiveHistory(items, now: .zero).map(\.sequence) == [2, 3])
        #expect(t.receiveHistory(items, now: .zero).isEmpty)
    }

    /// A message at or after the next expected sequence is owed live and not taken from history —
    /// unless the receiver learnt it had been declared dead (it may have been re-based without
    /// knowing). Then history delivers it and the live copy is discarded.
    @Test func owedLiveUnlessARebaseIsPossible() {
        var t = text()
        _ = t.receive(origin: "a", stream: 0, sequence: 1, base: 1, sentAt: .milliseconds(10), text: "a#1", now: .zero)
        #expect(t.receiveHistory([item("a", 2, at: 20)], now: .zero).isEmpty)
        t.markRebasePossible()
        #expect(t.receiveHistory([item("a", 2, at: 20)], now: .zero).map(\.sequence) == [2])
        let live2 = t.receive(origin: "a", stream: 0, sequence: 2, base: 1, sentAt: .milliseconds(20), text: "a#2", now: .zero)
        #expect(live2.delivered.isEmpty)
        let live3 = t.receive(origin: "a", stream: 0, sequence: 3, base: 1, sentAt: .milliseconds(30), text: "a#3", now: .zero)
        #expect(live3.delivered.map(\.sequence) == [3])
    }

    /// Two nodes that receive the same messages in different orders and splits hold the same
    /// history, in (sent-at, origin, stream, sequence) order; own messages are never delivered
    /// back; the summary names exactly what is held.
    @Test func historyOrderIsTheSameEverywhere() {
        let items = [item("b", 1, at: 5), item("a", 1, at: 5), item("c", 1, at: 1), item("a", 2, at: 9), item("me", 1, at: 3)]
        var x = text(), y = text()
        let gotX = x.receiveHistory(items, now: .zero)
        _ = y.receiveHistory(Array(items.reversed().prefix(2)), now: .zero)
        var rng = SplitMix64(seed: 5)
        _ = y.receiveHistory(items.shuffled(using: &rng), now: .zero)
        #expect(x.historyItems == y.historyItems)
        #expect(x.historyItems.map { "\($0.origin)#\($0.sequence)" } == ["c#1", "a#1", "b#1", "a#2"])
        #expect(gotX.map(\.text) == ["c#1", "a#1", "b#1", "a#2"])  // delivered in that order too
        #expect(Set(x.historySummary(limit: 160)) == Set(x.historyItems.map { RoomText.fingerprint(origin: $0.origin, stream: $0.stream, sequence: $0.sequence) }))
        #expect(x.historySummary(limit: 2).count == 2)
    }

    /// A history request naming the most messages allowed still fits one datagram.
    @Test func largestHistoryRequestFitsADatagram() throws {
        let long = String(repeating: "x", count: RoomMessage.maxIdentifierBytes)
        let have = (0..<RoomMessage.maxHistorySummary).map { UInt64($0) &* 0x9E37_79B9_7F4A_7C15 }
        let bytes = RoomMessage(roomID: long, senderID: long, senderIncarnation: 1, body: .historyRequest(have: have)).serialize()
        #expect(bytes.count <= RoomMessage.maxDatagramBytes)
        #expect(try RoomMessage.parse(bytes).body == .historyRequest(have: have))
        // One more is refused by the parser (the count is checked before the fingerprints).
        var over = Array(bytes.prefix(RoomMessage.headerLength(roomID: long, senderID: long)))
        over.append(UInt8(RoomMessage.maxHistorySummary + 1))
        over += [UInt8](repeating: 0, count: 8 * (RoomMessage.maxHistorySummary + 1))
        #expect(throws: WireError.self) { try RoomMessage.parse(over) }
    }
}
