import Testing
@testable import SimNet

@Suite struct EventLoopTests {
    @Test func ordersByTimeThenInsertion() {
        let sim = Simulator()
        var log: [String] = []
        sim.schedule(at: .milliseconds(20)) { log.append("c@20") }
        sim.schedule(at: .milliseconds(10)) { log.append("a@10") }
        sim.schedule(at: .milliseconds(10)) { log.append("b@10") }
        sim.schedule(at: .milliseconds(5)) {
            log.append("first@5")
            // Same time as the running event: runs after everything already queued for 5 ms.
            sim.schedule(after: .zero) { log.append("later@5") }
        }
        sim.schedule(at: .milliseconds(5)) { log.append("second@5") }
        sim.runUntilIdle()
        #expect(log == ["first@5", "second@5", "later@5", "a@10", "b@10", "c@20"])
        #expect(sim.now == .milliseconds(20))
        #expect(sim.eventsProcessed == 6)
    }

    @Test func nowIsTheEventTime() {
        let sim = Simulator()
        var seen: [SimTime] = []
        sim.schedule(at: .microseconds(1500)) { seen.append(sim.now) }
        sim.schedule(after: .seconds(2)) { seen.append(sim.now) }
        sim.runUntilIdle()
        #expect(seen == [.microseconds(1500), .seconds(2)])
    }

    @Test func cancel() {
        let sim = Simulator()
        var log: [Int] = []
        let a = sim.schedule(at: .milliseconds(1)) { log.append(1) }
        let b = sim.schedule(at: .milliseconds(2)) { log.append(2) }
        sim.schedule(at: .milliseconds(3)) { log.append(3) }
        #expect(sim.cancel(b))
        #expect(!sim.cancel(b))  // already cancelled
        sim.runUntilIdle()
        #expect(log == [1, 3])
        #expect(!sim.cancel(a))  // already ran
        // A reused slot must not let an old id cancel a new event.
        let c = sim.schedule(after: .milliseconds(1)) { log.append(4) }
        #expect(!sim.cancel(b))
        sim.runUntilIdle()
        #expect(log == [1, 3, 4])
        #expect(!sim.cancel(c))
    }

    @Test func cancelFromInsideAnEvent() {
        let sim = Simulator()
        var log: [Int] = []
        var later: EventID?
        sim.schedule(at: .milliseconds(1)) { if let id = later { sim.cancel(id) } }
        later = sim.schedule(at: .milliseconds(1)) { log.append(1) }
        sim.runUntilIdle()
        #expect(log.isEmpty)
    }

    @Test func runUntilStopsAndAdvancesTime() {
        let sim = Simulator()
        var log: [Int] = []
        for i in 1...5 { sim.schedule(at: .milliseconds(i * 10)) { log.append(i) } }
        sim.run(until: .milliseconds(30))
        #expect(log == [1, 2, 3])  // an event exactly at the limit runs
        #expect(sim.now == .milliseconds(30))
        sim.run(until: .milliseconds(35))
        #expect(sim.now == .milliseconds(35))
        #expect(log == [1, 2, 3])
        sim.run(for: .milliseconds(15))
        #expect(log == [1, 2, 3, 4, 5])
        #expect(sim.now == .milliseconds(50))
        #expect(sim.pendingEventCount == 0)
    }

    @Test func pastTimesRunNow() {
        let sim = Simulator()
        sim.run(until: .seconds(1))
        var at: SimTime?
        sim.schedule(at: .milliseconds(5)) { at = sim.now }
        sim.runUntilIdle()
        #expect(at == .seconds(1))
    }

    @Test func simTimeArithmetic() {
        #expect(SimTime.milliseconds(1.5) == .microseconds(1500))
        #expect(SimTime.seconds(2) - .milliseconds(500) == .milliseconds(1500))
        #expect(SimTime.milliseconds(3) * 4 == .milliseconds(12))
        #expect(SimTime.seconds(0.25).milliseconds == 250)
    }
}
