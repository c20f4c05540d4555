import Testing
@testable import Concord

/// The one-way queueing delay a listener reports: transit above the least of the last 30 s,
/// averaged over a report interval, whatever the offset between the two clocks.
@Suite struct QueueingDelayTests {

    /// 50 packets a second for `seconds` from `start`, transit = offset + `queue(t)`.
    func feed(_ q: inout QueueingDelay, from start: Double, seconds: Double, offset: Double, queue: (Double) -> Double) {
        for k in 0..<Int((seconds * 50).rounded()) {
            let t = start + Double(k) * 0.02
            q.add(transitMilliseconds: offset + queue(t), at: .milliseconds(t * 1000))
        }
    }

    @Test func aClockOffsetIsNoQueue() throws {
        var q = QueueingDelay()
        #expect(q.take() == nil, "nothing arrived")
        feed(&q, from: 0, seconds: 1, offset: -123_456.7, queue: { _ in 0 })
        let offset = q.take()
        #expect((offset ?? 99) < 1e-6)
        #expect(q.take() == nil, "each interval stands alone")
    }

    /// A queue filling at 100 ms a second: each interval's mean sits half a second's growth
    /// above its start.
    @Test func aGrowingQueueShowsInEachInterval() throws {
        var q = QueueingDelay()
        feed(&q, from: 0, seconds: 5, offset: 40, queue: { _ in 0 })
        _ = q.take()
        var reported: [Double] = []
        for second in 5..<8 {
            feed(&q, from: Double(second), seconds: 1, offset: 40, queue: { t in 100 * (t - 5) })
            reported.append(q.take() ?? -1)
        }
        for (k, value) in reported.enumerated() { #expect(abs(value - (100 * Double(k) + 49)) < 2, "\(reported)") }
    }

    /// A talker's clock 500 ppm fast: the least transit of the window trails by at most 15 ms.
    @Test func clockDriftStaysBelowAnyThreshold() throws {
        var q = QueueingDelay()
        var worst = 0.0
        for second in 0..<120 {
            feed(&q, from: Double(second), seconds: 1, offset: 10, queue: { t in 0.5 * t })
            let value = q.take()
            worst = max(worst, value ?? .infinity)
        }
        #expect(worst <= 16, "\(worst)")
    }

    /// A path whose delay rose for good (a route change) reads as a queue for 30 s, then not.
    @Test func theWindowForgetsAnOldMinimum() throws {
        var q = QueueingDelay()
        feed(&q, from: 0, seconds: 1, offset: 20, queue: { _ in 0 })
        feed(&q, from: 1, seconds: 28, offset: 80, queue: { _ in 0 })
        _ = q.take()
        feed(&q, from: 29, seconds: 1, offset: 80, queue: { _ in 0 })
        let before = q.take()
        #expect((before ?? 0) > 55, "\(String(describing: before))")
        feed(&q, from: 30, seconds: 1, offset: 80, queue: { _ in 0 })
        let after = q.take()
        #expect((after ?? 99) < 1, "\(String(describing: after))")
    }

    @Test func nonsenseTransitsAreIgnored() {
        var q = QueueingDelay()
        q.add(transitMilliseconds: .nan, at: .milliseconds(0))
        q.add(transitMilliseconds: .infinity, at: .milliseconds(0))
        #expect(q.take() == nil)
    }
}
