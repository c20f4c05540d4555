import Testing
@testable import Concord
import ConcordTesting
import SimNet

extension SimNetRoom {
    /// Every view change node `observer` reported at or after `after`, with its time.
    func viewChanges(_ observer: Int, after: SimTime) -> [(time: SimTime, view: [String])] {
        slots[observer].events.compactMap { entry in
            guard entry.time >= after, case let .viewChanged(view, _) = entry.event else { return nil }
            return (entry.time, view)
        }
    }

    /// True if node `observer` never dropped any of `members` from its view at or after `after`:
    /// no `peerLeft` for them and every view change still lists them.
    func neverDropped(_ observer: Int, _ members: [Int], after: SimTime) -> Bool {
        let ids = members.map(SimNetRoom.clientID)
        for (t, e) in slots[observer].events where t >= after {
            if case let .peerLeft(id, _) = e, ids.contains(id) { return false }
        }
        return viewChanges(observer, after: after).allSatisfy { change in ids.allSatisfy(change.view.contains) }
    }
}

/// Issue 12, item 3: a member that pauses (SIGSTOP, a laptop lid) must not break the room when it
/// comes back — not by declaring everyone dead before reading its backlog, and not by the
/// others believing such a report over what they hear themselves.
@Suite struct RoomPauseTests {
    static let settings = RoomSettings()
    /// 5 ms ± 3 ms (uniform): L = 8 ms exactly.
    static let path = PathConditions(delay: .milliseconds(5), jitter: .milliseconds(3), jitterDistribution: .uniform)
    static let quiet = SimTime.milliseconds(settings.quietConvergenceTime(maxOneWayLatency: 8))

    /// Three voice members; one pauses for 3–5 s (no ticks, its datagrams queued), then resumes
    /// with its backlog read before or after its first tick. The two others never drop each other
    /// (every view change of theirs checked), their voice receivers for each other are the very
    /// same objects afterwards, and the paused member is back in every view within
    /// `resumeBound` of its resumption.
    @Test(arguments: [(3500, false), (3500, true), (5000, false), (5000, true)])
    func pausedMemberDoesNotBreakTheRoom(pauseMs: Int, tickFirst: Bool) throws {
        let sim = SimNetRoom(count: 3, seed: UInt64(500 + pauseMs / 100 + (tickFirst ? 1 : 0)), conditions: Self.path)
        sim.start(0)
        sim.run(for: .milliseconds(1200))
        sim.start(1)
        sim.start(2)
        _ = try #require(sim.runUntilConverged(within: Self.quiet))
        sim.run(for: .seconds(3))
        let v0 = VoicePeers.voiceID(for: SimNetRoom.clientID(0)), v1 = VoicePeers.voiceID(for: SimNetRoom.clientID(1))
        let receiver01 = try #require(sim.slots[0].client?.participant.receiver(for: v1))
        let receiver10 = try #require(sim.slots[1].client?.participant.receiver(for: v0))

        let pausedAt = sim.now
        sim.pause(2)
        // One text while the paused member is still in the others' views (owed to it, unacked),
        // one after they declared it dead (not owed to it): it gets both, once each.
        sim.run(for: .milliseconds(500))
        try sim.sendText(0, "while paused, still a member")
        sim.run(for: .milliseconds(pauseMs - 700))
        try sim.sendText(1, "while paused, declared dead")
        sim.run(for: .milliseconds(200))
        // The others did notice the silence: a pause this long is a death in their eyes.
        #expect(!(sim.slots[0].node?.view.contains(SimNetRoom.clientID(2)) ?? true))
        sim.resume(2, tickFirst: tickFirst)
        let resumedAt = sim.now
        let bound = Self.settings.resumeBound(maxOneWayLatency: 8)
        let back = try #require(
            // + 10 ms: convergence is polled every 10 ms.
            sim.runUntilConverged(within: .milliseconds(Int(bound.rounded(.up)) + 10), since: resumedAt),
            "the paused member is not back in every view within \(bound) ms")
        sim.run(for: .seconds(6))
        #expect(sim.converged)

        #expect(sim.neverDropped(0, [1], after: pausedAt), "node 0 dropped node 1")
        #expect(sim.neverDropped(1, [0], after: pausedAt), "node 1 dropped node 0")
        // The resumed member judged nobody dead: it kept both others throughout.
        #expect(sim.neverDropped(2, [0, 1], after: pausedAt))
        #expect(sim.slots[2].node?.statistics.deathsDeclared == 0)
        #expect(sim.slots[2].node?.statistics.pausesAbsorbed == 1)
        // No voice receiver between the two healthy members was torn down and rebuilt.
        #expect(sim.slots[0].client?.participant.receiver(for: v1) === receiver01)
        #expect(sim.slots[1].client?.participant.receiver(for: v0) === receiver10)
        // Texts sent during the pause reach the resumed member exactly once (live from its
        // backlog, or from history after it learnt it had been declared dead).
        #expect(sim.received(2).map(\.text).sorted() == ["while paused, declared dead", "while paused, still a member"])
        #expect(sim.received(0).map(\.text) == ["while paused, declared dead"])
        #expect(sim.received(1).map(\.text) == ["while paused, still a member"])
        report(
            "pause \(pauseMs) ms, \(tickFirst ? "tick before backlog" : "backlog before tick"): healthy members never dropped each other; paused member back in every view \(back.milliseconds) ms after resuming (bound \(bound) ms)"
        )
    }

    /// A pause shorter than the death timeout but longer than the suspicion timeout: nobody is
    /// suspected by the resumed member, and its own suspicion is refuted without anyone leaving.
    @Test func shortPauseCausesNoSuspicionAtTheResumedMember() throws {
        let sim = SimNetRoom(count: 3, seed: 520, conditions: Self.path)
        sim.start(0)
        sim.run(for: .milliseconds(1200))
        sim.start(1)
        sim.start(2)
        _ = try #require(sim.runUntilConverged(within: Self.quiet))
        sim.run(for: .seconds(2))
        let pausedAt = sim.now
        sim.pause(2)
        sim.run(for: .milliseconds(2000))
        sim.resume(2, tickFirst: true)
        sim.run(for: .seconds(4))
        #expect(sim.converged)
        for i in 0..<3 { #expect(sim.neverDropped(i, [0, 1, 2].filter { $0 != i }, after: pausedAt)) }
        #expect(sim.slots[2].node?.statistics.suspicionsRaised == 0)
    }

    /// SWIM's rule on its own (no pause involved): a third party reports member 1 dead to node 0,
    /// which heard member 1 itself a moment ago. Node 0 keeps member 1 in its view (shown as
    /// suspect) — the record stays dead, the lattice untouched — member 1 learns of the report
    /// and refutes, and node 0 never drops it.
    @Test func deathReportIsNotBelievedOverFreshDirectEvidence() throws {
        let sim = SimNetRoom(count: 3, seed: 530, conditions: Self.path)
        sim.start(0)
        sim.run(for: .milliseconds(1200))
        sim.start(1)
        sim.start(2)
        _ = try #require(sim.runUntilConverged(within: Self.quiet))
        sim.run(for: .seconds(2))
        let node0 = try #require(sim.slots[0].node)
        let before = try #require(node0.membership[SimNetRoom.clientID(1)])
        let at = sim.now
        sim.injectDeathReport(of: 1, by: 2, to: 0)
        sim.run(for: .milliseconds(9))  // L = 8 ms
        #expect(node0.statistics.deathsDisbelieved == 1)
        #expect(node0.membership[SimNetRoom.clientID(1)]?.status == .dead)  // the lattice took the report
        #expect(node0.view.contains(SimNetRoom.clientID(1)))
        let bound = Self.settings.heartbeatInterval + Self.settings.tickInterval + 3 * 8
        sim.run(for: .milliseconds(Int(bound)))
        let after = try #require(node0.membership[SimNetRoom.clientID(1)])
        #expect(after.status == .alive && after.incarnation > before.incarnation, "member 1 did not refute")
        sim.run(for: .seconds(4))
        for i in 0..<3 { #expect(sim.neverDropped(i, [0, 1, 2].filter { $0 != i }, after: at)) }
        #expect(sim.converged)
    }

    /// The rule needs *direct* evidence: when node 0 has heard member 1 only through others'
    /// gossip for longer than `suspectAfter` (the link 1 → 0 is cut), a death report is believed.
    @Test func deathReportIsBelievedWithoutDirectEvidence() throws {
        let sim = SimNetRoom(count: 3, seed: 531, conditions: Self.path)
        sim.start(0)
        sim.run(for: .milliseconds(1200))
        sim.start(1)
        sim.start(2)
        _ = try #require(sim.runUntilConverged(within: Self.quiet))
        sim.run(for: .seconds(2))
        sim.network.cut(from: sim.slots[1].host, to: sim.slots[0].host)
        sim.run(for: .milliseconds(Int(Self.settings.suspectAfter) + 300))
        let node0 = try #require(sim.slots[0].node)
        #expect(node0.view.contains(SimNetRoom.clientID(1)))  // gossip from node 2 still vouches for it
        let at = sim.now
        sim.injectDeathReport(of: 1, by: 2, to: 0)
        sim.run(for: .milliseconds(9))  // L = 8 ms
        #expect(node0.statistics.deathsDisbelieved == 0)
        #expect(!node0.view.contains(SimNetRoom.clientID(1)))
        #expect(sim.leftAt(0, SimNetRoom.clientID(1), after: at)?.reason == .failed)
    }
}

extension SimNetRoom {
    /// Sends node `to` a gossip datagram from node `by`'s address that lists node `victim` dead
    /// at the incarnation and heartbeat `to` currently holds (what a member that judged it dead
    /// would gossip).
    func injectDeathReport(of victim: Int, by reporter: Int, to target: Int) {
        guard let node = slots[target].node, var record = node.membership[SimNetRoom.clientID(victim)],
            let reporterNode = slots[reporter].node
        else { return }
        record.status = .dead
        let message = RoomMessage(
            roomID: roomID, senderID: SimNetRoom.clientID(reporter), senderIncarnation: reporterNode.incarnation,
            body: .gossip([], [.init(record: record, heardMillisecondsAgo: nil)]))
        slots[reporter].host.send(from: Self.port, to: Endpoint(slots[target].host.address, Self.port), payload: message.serialize())
    }
}

extension RoomPauseTests {
    /// The quiet-network property with pauses among the events: joins, crashes, leaves and
    /// members stopping for 0.5–5 s (resumed with their backlog before or after their first
    /// tick) on a lossy network; once nothing has happened for `quietConvergenceTime`, every
    /// live member's view is identical and holds exactly the live members, and no record is wrong.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func quietNetworkConvergesWithPauses(seed: UInt64) throws {
        let lossy = PathConditions(
            delay: .milliseconds(5), jitter: .milliseconds(3), jitterDistribution: .uniform, allowReordering: true,
            loss: .bernoulli(0.05), duplicate: 0.02)
        let n = 10
        let sim = SimNetRoom(count: n, seed: 1100 + seed, conditions: lossy)
        var rng = SplitMix64(seed: 40 + seed)
        var sound = true
        var lastEvent = sim.now
        var pauses = 0
        for _ in 0..<24 {
            lastEvent = sim.now
            let stopped = sim.slots.filter { !$0.running }.map(\.index)
            let running = sim.liveSlots.filter { !$0.paused }.map(\.index)
            switch rng.below(10) {
            case 0...3 where !stopped.isEmpty:
                sim.start(stopped[rng.below(stopped.count)])
            case 4 where running.count > 2:
                sim.crash(running[rng.below(running.count)])
            case 5 where running.count > 2:
                sim.leave(running[rng.below(running.count)])
            case 6...8 where running.count > 2:
                let i = running[rng.below(running.count)]
                let length = SimTime.milliseconds(500 + rng.below(4500))
                let tickFirst = rng.below(2) == 0
                sim.pause(i)
                pauses += 1
                sim.simulator.schedule(after: length) { [unowned sim] in sim.resume(i, tickFirst: tickFirst) }
                lastEvent = max(lastEvent, sim.now + length)
            default:
                if !stopped.isEmpty { sim.start(stopped[rng.below(stopped.count)]) }
            }
            sim.run(for: .milliseconds(200 + rng.below(1500)))
            sound = sound && sim.membershipIsSound()
        }
        sim.simulator.run(until: max(sim.now, lastEvent))
        let quiet = SimTime.milliseconds(Self.settings.quietConvergenceTime(maxOneWayLatency: 8))
        let took = sim.runUntilConverged(within: quiet, since: lastEvent)
        sim.simulator.run(until: lastEvent + quiet)
        #expect(sim.converged, "views: \(sim.liveSlots.map { $0.node?.view ?? [] }) live: \(sim.liveIDs)")
        #expect(sound && sim.membershipIsSound())
        report("random events with \(pauses) pauses, seed \(seed): converged \(took?.milliseconds ?? -1) ms after the last event (quiet time \(quiet.milliseconds) ms)")
    }
}
