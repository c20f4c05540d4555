import Testing
@testable import Concord
import ConcordTesting
import SimNet

@Suite struct RoomTextTests {
    static let settings = RoomSettings()
    static let quiet = SimTime.milliseconds(settings.quietConvergenceTime(maxOneWayLatency: 10))

    /// Under 20% loss with duplication and reordering, every member gets every other member's
    /// messages exactly once and in per-sender order, with sender and send time.
    @Test func deliveredExactlyOnceInOrderUnderLoss() throws {
        let conditions = PathConditions(
            delay: .milliseconds(5), jitter: .milliseconds(4), jitterDistribution: .uniform, allowReordering: true,
            loss: .bernoulli(0.2), duplicate: 0.1)
        let n = 6
        let sim = SimNetRoom(count: n, seed: 70, conditions: conditions)
        #expect(sim.converge(n, within: Self.quiet))
        // Live messages are what this test is about: let the joiners finish collecting the
        // (empty) history first, so no live message can race a history answer.
        while sim.liveSlots.contains(where: { $0.node?.isCollectingHistory == true }) { sim.run(for: .milliseconds(100)) }
        var rng = SplitMix64(seed: 71)
        var sent: [Int: [(text: String, at: SimTime)]] = [:]
        for k in 0..<60 {
            let i = rng.below(n)
            let text = "m\(k) from \(i) ✓"
            try sim.sendText(i, text)
            sent[i, default: []].append((text, sim.now))
            sim.run(for: .milliseconds(rng.below(80)))
        }
        sim.run(for: .seconds(5))
        #expect(sim.converged)
        for r in 0..<n {
            let got = sim.received(r)
            #expect(got.allSatisfy { !$0.fromHistory })
            for s in 0..<n where s != r {
                let fromS = got.filter { $0.origin == SimNetRoom.clientID(s) }
                let expected = sent[s] ?? []
                #expect(fromS.map(\.text) == expected.map(\.text), "receiver \(r), sender \(s)")
                #expect(fromS.map(\.sequence) == (0..<expected.count).map { UInt32($0 + 1) })
                #expect(zip(fromS, expected).allSatisfy { $0.sentAt == Instant($1.at) })
            }
            #expect(sim.slots[r].node?.unacknowledgedTextCount == 0)
        }
        let retransmissions = sim.liveSlots.compactMap { $0.node?.statistics.textRetransmissions }.reduce(0, +)
        report("text at 20% loss + 10% duplication: 60 messages × 5 receivers exactly once, in order; \(retransmissions) retransmissions")
    }

    /// A late joiner receives the recent history (marked as such), then live messages, with no
    /// message twice.
    @Test func lateJoinerGetsHistory() throws {
        let sim = SimNetRoom(count: 4, seed: 80)
        #expect(sim.converge(3, within: Self.quiet))
        for k in 0..<12 {
            try sim.sendText(k % 3, "before \(k)")
            sim.run(for: .milliseconds(20))
        }
        sim.run(for: .seconds(1))
        sim.start(3)
        _ = try #require(sim.runUntilConverged(within: Self.quiet))
        sim.run(for: .seconds(2))
        try sim.sendText(0, "after")
        sim.run(for: .seconds(1))
        let got = sim.received(3)
        #expect(got.filter(\.fromHistory).map(\.text).sorted() == (0..<12).map { "before \($0)" }.sorted())
        #expect(got.filter { !$0.fromHistory }.map(\.text) == ["after"])
        // History keeps each sender's order.
        for s in 0..<3 {
            let seqs = got.filter { $0.fromHistory && $0.origin == SimNetRoom.clientID(s) }.map(\.sequence)
            #expect(seqs == seqs.sorted())
        }
    }

    /// The history buffer keeps the last `historyLimit` messages.
    @Test func historyIsBounded() throws {
        var settings = RoomSettings()
        settings.historyLimit = 5
        let sim = SimNetRoom(count: 3, seed: 81, settings: settings)
        #expect(sim.converge(2, within: Self.quiet))
        for k in 0..<9 {
            try sim.sendText(0, "t\(k)")
            sim.run(for: .milliseconds(10))
        }
        sim.run(for: .seconds(1))
        #expect(sim.slots[1].node?.history.map(\.text) == (4..<9).map { "t\($0)" })
        sim.start(2)
        sim.run(for: .seconds(4))
        #expect(sim.received(2).map(\.text) == (4..<9).map { "t\($0)" })
    }

    @Test func refusals() throws {
        let node = RoomNode(seed: 1)
        #expect(throws: RoomError.notInRoom) { try node.sendText("x", now: .zero) }
        #expect(throws: RoomError.self) {
            try node.join(roomID: "", clientID: "a", address: .ipv4(1, port: 1), now: .zero)
        }
        #expect(throws: RoomError.self) {
            try node.join(roomID: "r", clientID: String(repeating: "a", count: 33), address: .ipv4(1, port: 1), now: .zero)
        }
        _ = try node.join(roomID: "r", clientID: "a", address: .ipv4(1, port: 1), now: .zero)
        #expect(throws: RoomError.alreadyJoined) {
            try node.join(roomID: "r", clientID: "a", address: .ipv4(1, port: 1), now: .zero)
        }
        // Ticks as the driver promises (every `tickInterval`): one call a second would be a
        // pause, which gives a joiner more time to hear answers.
        for t in stride(from: 100, through: 1000, by: 100) { _ = node.tick(now: .milliseconds(Double(t))) }
        #expect(node.phase == .member)
        #expect(throws: RoomError.textTooLong(bytes: 1025)) {
            try node.sendText(String(repeating: "z", count: 1025), now: .milliseconds(1000))
        }
    }
}
