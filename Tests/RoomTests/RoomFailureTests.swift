import Testing
@testable import Concord
import ConcordTesting
import SimNet

extension SimNetRoom {
    /// When node `observer` dropped `clientID` from its view (its first peerLeft for it after `after`).
    func leftAt(_ observer: Int, _ clientID: String, after: SimTime) -> (time: SimTime, reason: LeaveReason)? {
        for (t, e) in slots[observer].events where t >= after {
            if case let .peerLeft(id, reason) = e, id == clientID { return (t, reason) }
        }
        return nil
    }

    func converge(_ count: Int, within: SimTime) -> Bool {
        start(0)
        run(for: .milliseconds(1200))
        startStaggered(1..<count, spread: .seconds(1), seed: seed)
        return runUntilConverged(within: within) != nil
    }
}

@Suite struct RoomFailureTests {
    static let settings = RoomSettings()
    static let quiet = SimTime.milliseconds(settings.quietConvergenceTime(maxOneWayLatency: 10))
    /// Uniform jitter is bounded, so the one-way latency bound L is exact: 5 ms ± 3 ms.
    static let lossy = PathConditions(
        delay: .milliseconds(5), jitter: .milliseconds(3), jitterDistribution: .uniform, allowReordering: true,
        loss: .bernoulli(0.05), duplicate: 0.02)

    /// A crashed peer leaves every view within `failureDetectionBound`, on a clean network and
    /// with 5% loss (loss can only make detection earlier, never later).
    @Test(arguments: [false, true])
    func crashLeavesEveryViewWithinTheBound(lossy: Bool) throws {
        let sim = SimNetRoom(count: 12, seed: lossy ? 31 : 30, conditions: lossy ? Self.lossy : .ideal)
        #expect(sim.converge(12, within: Self.quiet))
        sim.run(for: .seconds(2))
        let crashAt = sim.now
        sim.crash(3)
        sim.crash(7)
        let bound = Self.settings.failureDetectionBound(maxOneWayLatency: lossy ? 8 : 0)
        sim.run(for: .milliseconds(Int(bound) + 1))
        var worst = 0.0
        for observer in sim.liveSlots.map(\.index) {
            for victim in [3, 7] {
                let left = try #require(sim.leftAt(observer, SimNetRoom.clientID(victim), after: crashAt))
                #expect(left.reason == .failed)
                worst = max(worst, (left.time - crashAt).milliseconds)
            }
        }
        #expect(worst <= bound)
        #expect(sim.converged)
        report("crash (\(lossy ? "5% loss" : "clean")): left every view after at most \(worst) ms (bound \(bound) ms)")
    }

    /// A graceful leave reaches every member directly: on a clean network each view drops the
    /// leaver at once (no latency on ideal paths); with 20% loss, within two gossip rounds.
    @Test func gracefulLeaveIsImmediate() throws {
        let sim = SimNetRoom(count: 8, seed: 40)
        #expect(sim.converge(8, within: Self.quiet))
        sim.run(for: .seconds(1))
        let at = sim.now
        sim.leave(2)
        sim.run(for: .milliseconds(1))
        for observer in sim.liveSlots.map(\.index) {
            let left = try #require(sim.leftAt(observer, SimNetRoom.clientID(2), after: at))
            #expect(left.reason == .left && left.time == at)
        }
        #expect(sim.converged)
        #expect(sim.events(2).contains(.leftRoom(roomID: "lobby")))
    }

    @Test func gracefulLeaveUnderLoss() throws {
        let conditions = PathConditions(delay: .milliseconds(5), loss: .bernoulli(0.2))
        let sim = SimNetRoom(count: 8, seed: 41, conditions: conditions)
        #expect(sim.converge(8, within: Self.quiet))
        sim.run(for: .seconds(1))
        let at = sim.now
        sim.leave(2)
        let bound = 2 * Self.settings.gossipInterval + Self.settings.tickInterval + 10
        sim.run(for: .milliseconds(Int(bound)))
        var worst = 0.0
        for observer in sim.liveSlots.map(\.index) {
            let left = try #require(sim.leftAt(observer, SimNetRoom.clientID(2), after: at))
            #expect(left.reason == .left)
            worst = max(worst, (left.time - at).milliseconds)
        }
        report("graceful leave at 20% loss: out of every view after \(worst) ms")
    }

    /// A client that crashed and comes back with the same client id rejoins under a higher
    /// incarnation — both before the room noticed the crash and after it declared it dead.
    @Test(arguments: [false, true])
    func rejoinAfterCrash(afterDetection: Bool) throws {
        let sim = SimNetRoom(count: 6, seed: afterDetection ? 51 : 50)
        #expect(sim.converge(6, within: Self.quiet))
        sim.run(for: .seconds(2))
        let old = try #require(sim.slots[0].node?.membership[SimNetRoom.clientID(4)]?.incarnation)
        sim.crash(4)
        sim.run(for: afterDetection ? .seconds(4) : .milliseconds(300))
        sim.start(4)
        let took = try #require(sim.runUntilConverged(within: Self.quiet))
        report("rejoin after crash (\(afterDetection ? "after" : "before") detection): converged after \(took.milliseconds) ms")
        #expect(sim.events(4).contains(.roomJoined(roomID: "lobby")))
        // The view may agree on ids before the restarted client's refutation has spread; within
        // a heartbeat and a gossip round every member holds the new incarnation.
        sim.run(for: .milliseconds(Int(Self.settings.heartbeatInterval + Self.settings.gossipInterval)))
        for slot in sim.liveSlots {
            let r = try #require(slot.node?.membership[SimNetRoom.clientID(4)])
            #expect(r.incarnation > old && r.status == .alive)
        }
        sim.run(for: .seconds(4))
        #expect(sim.converged)
    }

    /// A partition splits the room into two rooms (each side's view is its side), which merge
    /// back into one when the partition heals — via reconnect probes to dead members while
    /// their tombstones last, and via announcements after that.
    @Test(arguments: [10, 40])
    func partitionSplitsAndHeals(partitionSeconds: Int) throws {
        let sim = SimNetRoom(count: 8, seed: UInt64(60 + partitionSeconds))
        #expect(sim.converge(8, within: Self.quiet))
        let a = Array(sim.slots[0..<4].map(\.host)), b = Array(sim.slots[4..<8].map(\.host))
        sim.network.partition(a, b)
        sim.run(for: .milliseconds(Int(Self.settings.failureDetectionBound(maxOneWayLatency: 0)) + 1))
        let sideA = (0..<4).map(SimNetRoom.clientID).sorted(by: utf8Less)
        let sideB = (4..<8).map(SimNetRoom.clientID).sorted(by: utf8Less)
        for i in 0..<8 { #expect(sim.slots[i].node?.view == (i < 4 ? sideA : sideB)) }
        sim.run(for: .seconds(partitionSeconds - 3))
        for i in 0..<8 { #expect(sim.slots[i].node?.view == (i < 4 ? sideA : sideB)) }
        sim.network.heal()
        let healedAt = sim.now
        // Past the tombstone lifetime the sides meet only through an announcement.
        let expired = Double(partitionSeconds) * 1000 > Self.settings.tombstoneLifetime
        let bound = SimTime.milliseconds(Self.settings.quietConvergenceTime(maxOneWayLatency: 10, afterTombstones: expired))
        let took = try #require(sim.runUntilConverged(within: bound, since: healedAt))
        report("partition of \(partitionSeconds) s: one room again \(took.milliseconds) ms after heal")
        sim.run(for: .seconds(5))
        #expect(sim.converged)
    }

    /// THE property: after any mix of joins, leaves, crashes, restarts and partitions on a lossy
    /// network, once nothing has happened for `quietConvergenceTime` every live member's view is
    /// identical and holds exactly the live members.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func quietNetworkConverges(seed: UInt64) throws {
        let n = 16
        let sim = SimNetRoom(count: n, seed: 1000 + seed, conditions: Self.lossy)
        var rng = SplitMix64(seed: seed)
        var partitioned = false
        var sound = true
        var lastEvent = sim.now
        for step in 0..<24 {
            lastEvent = sim.now
            let stopped = sim.slots.filter { !$0.running }.map(\.index)
            let running = sim.liveSlots.map(\.index)
            switch rng.below(10) {
            case 0...3 where !stopped.isEmpty:
                sim.start(stopped[rng.below(stopped.count)])
            case 4 where running.count > 2:
                sim.crash(running[rng.below(running.count)])
            case 5 where running.count > 2:
                sim.leave(running[rng.below(running.count)])
            case 6 where !partitioned && step < 20:
                let cut = 1 + rng.below(n - 1)
                sim.network.partition(Array(sim.slots[0..<cut].map(\.host)), Array(sim.slots[cut...].map(\.host)))
                partitioned = true
            case 7 where partitioned:
                sim.network.heal()
                partitioned = false
            default:
                if !stopped.isEmpty { sim.start(stopped[rng.below(stopped.count)]) }
            }
            sim.run(for: .milliseconds(200 + rng.below(1500)))
            sound = sound && sim.membershipIsSound()
        }
        if partitioned {
            sim.network.heal()
            lastEvent = sim.now
        }
        let quiet = SimTime.milliseconds(Self.settings.quietConvergenceTime(maxOneWayLatency: 8))
        let took = sim.runUntilConverged(within: quiet, since: lastEvent)
        sim.simulator.run(until: lastEvent + quiet)
        #expect(sim.converged, "views: \(sim.liveSlots.map { $0.node?.view ?? [] }) live: \(sim.liveIDs)")
        report("random events, seed \(seed): \(sim.liveIDs.count) live members converged \(took?.milliseconds ?? -1) ms after the last event (documented quiet time \(quiet.milliseconds) ms)")
        #expect(sound && sim.membershipIsSound())
    }
}
