import Testing
@testable import Concord
import ConcordTesting
import SimNet

/// Figures printed by the tests (collected for docs/Rooms.md).
func report(_ line: String) { print("[rooms] \(line)") }

extension SimNetRoom {
    /// Starts nodes: the first now, the others at seeded random times within `spread`; runs until
    /// the last has started (so convergence can be measured from there).
    func startStaggered(_ indices: Range<Int>, spread: SimTime, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        var last = now
        for i in indices {
            let at = i == indices.lowerBound ? now : now + .nanoseconds(Int64(rng.unit() * Double(spread.nanoseconds)))
            last = max(last, at)
            simulator.schedule(at: at) { [unowned self] in self.start(i) }
        }
        simulator.run(until: last)
    }
}

@Suite struct RoomConvergenceTests {
    static let settings = RoomSettings()
    /// SimNet's ideal paths have no delay: L = 0 in every bound below except where a preset says otherwise.
    static let quiet = SimTime.milliseconds(settings.quietConvergenceTime(maxOneWayLatency: 1))

    /// 2, 8 and 50 peers join within 2 s of each other; the room converges within the documented
    /// quiet time after the last join, and the first node created the room while all others joined it.
    @Test(arguments: [2, 8, 50])
    func peersConverge(count: Int) throws {
        // A ZeroTier-like path: 10 ms ± 2 ms (uniform, so L ≤ 12 ms exactly).
        let path = PathConditions(delay: .milliseconds(10), jitter: .milliseconds(2), jitterDistribution: .uniform)
        let sim = SimNetRoom(count: count, seed: UInt64(100 + count), conditions: path)
        // The first creates the room alone; the rest join over 2 s.
        sim.start(0)
        sim.run(for: .milliseconds(Int(Self.settings.discoveryWait) + 200))
        sim.startStaggered(1..<count, spread: .seconds(2), seed: UInt64(count))
        let took = try #require(sim.runUntilConverged(within: Self.quiet))
        report("\(count) peers (10 ± 2 ms paths): converged \(took.milliseconds) ms after the last join")
        let joinTimes = (1..<count).compactMap { i -> Double? in
            guard let n = sim.slots[i].node, let a = n.joinStartedAt, let b = n.memberSince else { return nil }
            return b.milliseconds(since: a)
        }
        report("\(count) peers: time to join \(joinTimes.min() ?? -1)…\(joinTimes.max() ?? -1) ms")
        #expect(sim.events(0).contains(.roomCreated(roomID: "lobby")))
        for i in 1..<count {
            #expect(sim.events(i).contains(.roomJoined(roomID: "lobby")), "node \(i) created a second room")
            #expect(!sim.events(i).contains(.roomCreated(roomID: "lobby")))
        }
        // Every peer list is complete and well-formed.
        let node = try #require(sim.slots[count - 1].node)
        let peers = node.peers()
        #expect(peers.count == count - 1)
        for p in peers {
            let i = Int(p.clientID.dropFirst("client-".count))!
            #expect(p.address == sim.address(i) && p.displayName == "Person \(i)" && p.status == .alive)
        }
        // Stays converged: no false suspicion on a clean network.
        func controlBytes() -> Int { sim.liveSlots.compactMap { $0.node?.statistics.controlBytesSent }.reduce(0, +) }
        let before = controlBytes()
        sim.run(for: .seconds(10))
        #expect(sim.converged)
        let stats = sim.liveSlots.compactMap { $0.node?.statistics }
        #expect(stats.allSatisfy { $0.deathsDeclared == 0 && $0.malformedReceived == 0 })
        let bytesPerPeer = Double(controlBytes() - before) / Double(count) / 10
        report("\(count) peers: steady control traffic \(Int(bytesPerPeer)) B/s sent per peer")
    }

    /// Loss (with duplication and reordering) never corrupts a member list, and the room still
    /// converges within the quiet time after the last join.
    @Test(arguments: [0.0, 0.05, 0.20])
    func lossNeverCorruptsMembership(loss: Double) throws {
        let conditions = PathConditions(
            delay: .milliseconds(5), jitter: .milliseconds(3), allowReordering: true, loss: .bernoulli(loss),
            duplicate: 0.05)
        let sim = SimNetRoom(count: 12, seed: 7 + UInt64(loss * 100), conditions: conditions)
        sim.startStaggered(0..<12, spread: .seconds(3), seed: 99)
        var sound = sim.membershipIsSound()
        let quiet = SimTime.milliseconds(Self.settings.quietConvergenceTime(maxOneWayLatency: 5 + 3 * 3))
        let took = sim.runUntilConverged(within: quiet)
        #expect(took != nil, "not converged at \(loss * 100)% loss")
        report("12 peers, \(Int(loss * 100))% loss + 5% duplication + reordering: converged \(took?.milliseconds ?? -1) ms after the last join")
        for _ in 0..<50 {
            sim.run(for: .milliseconds(100))
            sound = sound && sim.membershipIsSound()
        }
        #expect(sound)
        #expect(sim.converged)
    }

    /// Clients that start joining at the same moment end in one room: each hears the others'
    /// discovery and counts them in when it creates the room; the lattice merge does the rest.
    @Test(arguments: [2, 5])
    func simultaneousCreationEndsInOneRoom(count: Int) throws {
        let sim = SimNetRoom(count: count, seed: UInt64(200 + count))
        for i in 0..<count { sim.start(i) }
        let took = try #require(sim.runUntilConverged(within: Self.quiet))
        report("\(count) simultaneous creators: one room after \(took.milliseconds) ms")
        #expect(sim.converged)
        sim.run(for: .seconds(3))
        #expect(sim.converged)
    }

    /// Same, but the discovery broadcasts are lost: every client creates its own room, and the
    /// rooms still merge (announcements, then push-pull).
    @Test func simultaneousCreationWithoutDiscoveryMerges() throws {
        let sim = SimNetRoom(count: 5, seed: 301)
        sim.broadcastLimit = 0  // discovery reaches nobody
        for i in 0..<5 { sim.start(i) }
        sim.run(for: .milliseconds(Int(Self.settings.discoveryWait) + 200))
        for i in 0..<5 { #expect(sim.events(i).contains(.roomCreated(roomID: "lobby"))) }
        #expect(!sim.converged)
        sim.broadcastLimit = nil  // announcements get through from now on
        let took = try #require(sim.runUntilConverged(within: Self.quiet, since: sim.now))
        report("5 separately created rooms: merged \(took.milliseconds) ms after broadcasts work")
    }

    /// ZeroTier delivers a broadcast to at most 32 peers: 50 peers still converge, through
    /// gossip of the member list.
    @Test func broadcastToAtMost32PeersStillConverges() throws {
        let sim = SimNetRoom(count: 50, seed: 404, broadcastLimit: 32)
        sim.start(0)
        sim.run(for: .milliseconds(Int(Self.settings.discoveryWait) + 200))
        sim.startStaggered(1..<50, spread: .seconds(2), seed: 5)
        let took = try #require(sim.runUntilConverged(within: Self.quiet))
        report("50 peers, broadcast limited to 32: converged \(took.milliseconds) ms after the last join")
    }
}
