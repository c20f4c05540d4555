@testable import Concord
import Testing

/// The token buckets behind "authenticity before cost": exact arithmetic on engine time.
@Suite struct HandshakeBudgetTests {
    let a = RoomAddress.ipv4(0x0A00_0001, port: 7400)
    let b = RoomAddress.ipv4(0x0A00_0002, port: 7400)

    @Test func aBucketSpendsItsBurstThenRefillsAtItsRate() {
        var bucket = TokenBucket(rate: .init(perSecond: 10, burst: 5), now: .zero)
        // Each take at its time, in order; mutating calls stay outside the #expect macros.
        func takes(_ times: [Instant]) -> [Bool] { times.map { bucket.take(now: $0) } }
        #expect(takes(Array(repeating: .zero, count: 6)) == [true, true, true, true, true, false])
        #expect(!bucket.hasToken(now: .milliseconds(99)))
        #expect(takes([.milliseconds(100), .milliseconds(150)]) == [true, false], "10 per second: one token per 100 ms")
        #expect(!bucket.isFull(now: .milliseconds(500)) && bucket.isFull(now: .milliseconds(600)))
        // A long pause refills to the burst, not beyond.
        #expect(takes(Array(repeating: .seconds(60), count: 6)) == [true, true, true, true, true, false])
        // Time going backwards refills nothing and does not trap.
        #expect(takes([.seconds(10)]) == [false])
    }

    @Test func oneSourceExhaustsOnlyItsOwnBucket() {
        var settings = HandshakeBudget.Settings()
        settings.perSource = .init(perSecond: 1, burst: 3)
        settings.total = .init(perSecond: 100, burst: 100)
        var budget = HandshakeBudget(settings: settings)
        let first = (0..<3).map { _ in budget.take(from: a, now: .zero) }
        #expect(first == [.granted, .granted, .granted])
        #expect(budget.take(from: a, now: .zero) == .sourceExhausted)
        #expect(budget.take(from: b, now: .zero) == .granted, "another source is not affected")
        #expect(budget.take(from: a, now: .seconds(1)) == .granted)
    }

    @Test func manySourcesTogetherExhaustTheSharedBucketAndRefusalsLeaveNoState() {
        var settings = HandshakeBudget.Settings()
        settings.total = .init(perSecond: 50, burst: 20)
        var budget = HandshakeBudget(settings: settings)
        var granted = 0
        for i in 0..<1000 where budget.take(from: .ipv4(UInt32(i), port: 1), now: .zero) == .granted { granted += 1 }
        #expect(granted == 20)
        #expect(budget.trackedSources == 20, "sources refused by the shared bucket are not remembered")
        #expect(budget.take(from: a, now: .zero) == .totalExhausted)
        #expect(budget.take(from: a, now: .milliseconds(20)) == .granted, "50 per second: one after 20 ms")
    }

    @Test func theSourceTableIsBoundedAndFullBucketsAreForgotten() {
        var settings = HandshakeBudget.Settings()
        settings.sourceLimit = 4
        settings.perSource = .init(perSecond: 1, burst: 2)
        var budget = HandshakeBudget(settings: settings)
        for i in 0..<4 {
            let verdict = budget.take(from: .ipv4(UInt32(i), port: 1), now: .zero)
            #expect(verdict == .granted)
        }
        #expect(budget.take(from: a, now: .zero) == .tooManySources)
        #expect(budget.trackedSources == 4)
        // One second later every bucket is full again (1/s, one spent of two): forgotten.
        #expect(budget.take(from: a, now: .seconds(1)) == .granted)
        #expect(budget.trackedSources == 1)
    }
}
