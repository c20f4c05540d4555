import Testing
@testable import Concord
import SeededRandom

/// `HistoryTransfer` on its own: queueing, the limit on fetches under way, retries, and when an
/// answer is complete.
@Suite struct HistoryTransferTests {
    /// A transfer with every member in view and a fixed random generator.
    struct Harness {
        var transfer: HistoryTransfer
        var members: [String] = []
        var inView: Set<String>?
        var rng = SplitMix64(seed: 1)

        init(attempts: Int = 3) {
            transfer = HistoryTransfer(attempts: attempts, retryInterval: 1000, cooldown: 3000)
        }

        mutating func enqueue(_ id: String, anyMemberOnRetry: Bool = false, lastAsked: Instant? = nil, at ms: Double = 0) -> Bool {
            transfer.enqueue(from: id, anyMemberOnRetry: anyMemberOnRetry, at: .zero, lastAsked: lastAsked, now: .milliseconds(ms))
        }

        mutating func due(at ms: Double) -> [String] {
            let members = members
            let inView = inView
            return transfer.dueRequests(
                now: .milliseconds(ms), members: { members }, isInView: { inView?.contains($0) ?? true }, rng: &rng)
        }
    }

    @Test func aMemberIsQueuedOnceAndNotAgainWithinTheCooldown() {
        var h = Harness()
        let queued = [
            h.enqueue("a"), h.enqueue("a"), h.enqueue("b", lastAsked: .zero, at: 2999),
            h.enqueue("b", lastAsked: .zero, at: 3000),
        ]
        #expect(queued == [true, false, false, true])
    }

    /// Four fetches under way at most; the fifth starts when one completes.
    @Test func atMostFourUnderWay() {
        var h = Harness()
        for id in ["a", "b", "c", "d", "e"] { _ = h.enqueue(id) }
        let rounds = [h.due(at: 0), h.due(at: 10)]
        let completed = h.transfer.receiveChunk(0, of: 1, from: "b")
        let after = h.due(at: 20)
        #expect(rounds == [["a", "b", "c", "d"], []] && completed && after == ["e"])
    }

    /// A request is repeated every retry interval until its attempts are spent, then dropped.
    @Test func retriesUntilTheAttemptsAreSpent() {
        var h = Harness(attempts: 2)
        _ = h.enqueue("a")
        let rounds = [h.due(at: 0), h.due(at: 999), h.due(at: 1000), h.due(at: 2000)]
        #expect(rounds == [["a"], [], ["a"], []] && h.transfer.isEmpty)
    }

    /// An answer is complete when every chunk of one chunk count arrived; a chunk of another
    /// count (a later answer) starts over.
    @Test func anAnswerIsCompleteWithAllItsChunks() {
        var h = Harness()
        _ = h.enqueue("a")
        _ = h.due(at: 0)
        let completed = [
            h.transfer.receiveChunk(0, of: 3, from: "a"), h.transfer.receiveChunk(1, of: 2, from: "a"),
            h.transfer.receiveChunk(1, of: 2, from: "a"), h.transfer.receiveChunk(0, of: 1, from: "b"),
            h.transfer.receiveChunk(0, of: 2, from: "a"),
        ]
        #expect(completed == [false, false, false, false, true] && h.transfer.isEmpty)
    }

    /// A fetch whose member left the view is dropped without a request.
    @Test func aMemberOutOfTheViewIsNotAsked() {
        var h = Harness()
        h.inView = []
        _ = h.enqueue("a")
        let requested = h.due(at: 0)
        #expect(requested.isEmpty && h.transfer.isEmpty)
    }

    /// A joiner's retry asks a member of its view drawn at random: the first may have failed.
    @Test func aJoinersRetryMayAskAnotherMember() {
        var h = Harness()
        _ = h.enqueue("a", anyMemberOnRetry: true)
        let first = h.due(at: 0)
        h.members = ["b"]
        let retries = [h.due(at: 1000), h.due(at: 2000)]
        #expect(first == ["a"] && retries == [["b"], ["b"]])
    }
}
