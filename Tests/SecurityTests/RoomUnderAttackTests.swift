@testable import Concord
import ConcordTesting
import SimNet
import Testing

/// Issue 12's attacks on a talking room over SimNet, counted in work done rather than time:
/// a flood of forged initiations at the rate that starved a live client (40 000/s), and a
/// capture of an earlier session replayed from spoofed addresses.
@Suite struct RoomUnderAttackTests {
    private func startThree(_ sim: SimNetRoom) { sim.startInTurn(3, gap: .milliseconds(300)) }

    @Test func aFloodOfForgedInitiationsLeavesAudioBitIdenticalAndCostsNoHandshakeWork() throws {
        func run(flood: Bool) -> SimNetRoom {
            let sim = SimNetRoom(count: 3, seed: 21, sealing: .paired(), microphones: .tones)
            startThree(sim)
            sim.run(for: .seconds(2))
            var rng = SplitMix64(seed: 5)
            let tag = sim.transport(1).roomKey.roomTag
            // 1 s at 40 000/s into member 1, 800 per 20 ms frame, from 4096 spoofed addresses.
            for step in 0..<50 {
                if flood {
                    for k in 0..<800 {
                        var bytes = SecureWire.header(.initiation) + (0..<16).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
                        bytes.appendBigEndian(UInt32(tag) << 16)
                        while bytes.count < SecureWire.minimumBootstrapBytes { bytes.append(UInt8(truncatingIfNeeded: rng.next())) }
                        sim.inject(bytes, into: 1, from: .ipv4(0x0B00_0000 | UInt32((step * 800 + k) % 4096), port: 7400))
                    }
                }
                sim.run(for: .milliseconds(20))
            }
            sim.run(for: .seconds(1))
            return sim
        }
        let attacked = run(flood: true)
        let clean = run(flood: false)
        let victim = attacked.transport(1)
        #expect(victim.counters.forged == 40_000)
        #expect(victim.statistics.bootstrapKeysDerived == clean.transport(1).statistics.bootstrapKeysDerived)
        #expect(victim.statistics.handshakeWork == clean.transport(1).statistics.handshakeWork)
        #expect(victim.pendingHandshakes == (0, 0))
        let members = Set((0..<3).map(attacked.address))
        let toStrangers = attacked.captured.filter { c in c.from == attacked.address(1) && c.to.map { !members.contains($0) } == true }
        #expect(toStrangers.isEmpty, "nothing was sent to the spoofed addresses")
        for i in 0..<3 {
            #expect(attacked.view(i) == ["client-0", "client-1", "client-2"])
            #expect(attacked.slots[i].mix == clean.slots[i].mix, "member \(i)'s audio is bit-identical")
        }
    }

    /// Everything day 1's members broadcast or sent to member 1, replayed on day 2 (member 1
    /// freshly started: it remembers no salt) from 8 spoofed addresses, five times each.
    @Test func aReplayedCaptureFromSpoofedAddressesGetsNoMoreBytesBackThanItBrought() throws {
        let secret = RoomSecret.generate()
        let identities = (0..<3).map { _ in Identity.generate() }
        let day1 = SimNetRoom(
            count: 3, seed: 22, sealing: .paired(secret: secret, identities: identities), microphones: .tones)
        startThree(day1)
        day1.run(for: .seconds(3))
        let capture = day1.captured.filter { $0.from != day1.address(1) && ($0.to == nil || $0.to == day1.address(1)) }
        #expect(capture.count > 200)

        let day2 = SimNetRoom(
            count: 3, seed: 23, sealing: .paired(secret: secret, identities: identities), microphones: .tones)
        day2.start(0)
        day2.start(1)
        day2.run(for: .seconds(2))
        let heardBefore = day2.decodedSamples(1, from: 0)
        let spoofed = (0..<8).map { RoomAddress.ipv4(0x0A93_1164 + UInt32($0), port: SimNetRoom.port) }  // 10.147.17.100…
        var received: [RoomAddress: Int] = [:]
        let sentBefore = day2.captured.count
        for round in 0..<5 {
            for (k, c) in capture.enumerated() {
                let from = spoofed[(k + round) % spoofed.count]
                received[from, default: 0] += c.bytes.count
                day2.inject(c.bytes, into: 1, from: from)
            }
            day2.run(for: .milliseconds(400))
        }
        day2.run(for: .seconds(4))
        var sent: [RoomAddress: Int] = [:]
        var replies = 0
        for c in day2.captured[sentBefore...] where c.from == day2.address(1) {
            guard let to = c.to, spoofed.contains(to) else { continue }
            sent[to, default: 0] += c.bytes.count
            replies += 1
        }
        for address in spoofed {
            #expect(sent[address, default: 0] <= received[address, default: 0], "\(address): \(sent[address, default: 0]) B out")
        }
        let t = day2.transport(1)
        let budget = t.settings.handshakeBudget
        // At most the shared burst plus its rate over the ~6 s of replays and aftermath.
        #expect(t.statistics.handshakeWork <= Int(budget.total.burst + budget.total.perSecond * 8))
        #expect(replies <= t.statistics.handshakeWork, "one reply at most per datagram that got work")
        #expect(t.pendingHandshakes.unconfirmed <= t.settings.pendingHandshakeLimit)
        #expect(day2.view(1) == ["client-0", "client-1"], "no member of day 1 comes back")
        #expect(day2.decodedSamples(1, from: 0) - heardBefore > 5 * 48_000, "member 0 is still heard")
    }
}
