import Testing
@testable import Concord
import ConcordTesting
import SimNet

/// Adaptive loss protection between real clients over SimNet: the talker follows its listener's
/// reports up when the path loses packets and back down to nothing when it stops, and the copies
/// it sends come from the low-bitrate encoder.
@Suite struct AdaptiveProtectionRoomTests {
    /// 10 % random loss, then a clean path: copies within seconds, then nothing again.
    @Test func protectionFollowsThePathUpAndDown() throws {
        let sim = SimNetRoom(
            count: 2, seed: 41, conditions: PathConditions(delay: .milliseconds(20), loss: .bernoulli(0.10)),
            microphones: .tones)
        sim.adaptiveProtection = true
        sim.start(0)
        sim.start(1)
        var changes: [VoiceClient.ProtectionChange] = []
        sim.client(0).onProtectionChange = { changes.append($0) }
        sim.run(for: .seconds(12))

        let lossy = try #require(sim.client(0).protectionPolicy?.protection)
        #expect(lossy == .copies(1), "at 10 % loss: \(lossy); changes \(changes)")
        let firstCopies = try #require(changes.first { $0.to.deepestCopies > 0 })
        #expect(firstCopies.at.seconds < 9, "copies from \(firstCopies.at.seconds) s")
        // What went on the wire since: one copy of the previous frame, from the 16 kbit/s encoder.
        let voice = sim.captured.filter {
            $0.from == sim.address(0) && $0.to == sim.address(1) && PacketType(of: $0.bytes) == .voice
        }
        let recent = try voice.suffix(100).map { try VoicePacket.parse($0.bytes) }
        #expect(recent.allSatisfy { $0.redundancy.count == 1 && $0.redundancy[0].timestampOffset == 960 })
        let copyBytes = recent.reduce(0) { $0 + $1.redundancy[0].payload.count }
        let primaryBytes = recent.reduce(0) { $0 + $1.payload.count }
        #expect(Double(copyBytes) < 0.7 * Double(primaryBytes), "copies \(copyBytes) B, primaries \(primaryBytes) B")
        let listener = try #require(sim.client(1).receiver(for: SimNetRoom.clientID(0)))
        #expect(listener.statistics.redundancyRecoveredSamples > 0)

        sim.network.setConditions(PathConditions(delay: .milliseconds(20)), between: sim.slots[0].host, and: sim.slots[1].host)
        let cleanFrom = sim.now
        sim.run(for: .seconds(40))
        #expect(sim.client(0).protectionPolicy?.protection == ProtectionPolicy.Protection.none, "changes \(changes)")
        let last = try #require(changes.last)
        #expect(last.to == ProtectionPolicy.Setting() && last.at.seconds - Instant(cleanFrom).seconds < 35)
        let quiet = sim.captured.filter {
            $0.from == sim.address(0) && $0.to == sim.address(1) && PacketType(of: $0.bytes) == .voice
        }
        let after = try quiet.suffix(50).map { try VoicePacket.parse($0.bytes) }
        #expect(after.allSatisfy { $0.redundancy.isEmpty && !$0.flags.contains(.fec) })
        #expect(sim.client(0).participant.sender.copyBitrate == nil)
    }

    /// Three people, one lossy link: the talker sends copies on that link only (in-band FEC,
    /// were it needed, would go to everyone: it is inside the one encoded frame).
    @Test func copiesGoOnlyWhereTheyAreNeeded() throws {
        let sim = SimNetRoom(count: 3, seed: 43, conditions: PathConditions(delay: .milliseconds(20)), microphones: .tones)
        sim.adaptiveProtection = true
        for i in 0..<3 { sim.start(i) }
        sim.network.setConditions(
            PathConditions(delay: .milliseconds(20), loss: .bernoulli(0.12)), from: sim.slots[0].host, to: sim.slots[1].host)
        sim.run(for: .seconds(15))
        let policy = try #require(sim.client(0).protectionPolicy)
        #expect(policy.copies(for: VoicePeers.voiceID(for: SimNetRoom.clientID(1))) >= 1, "\(policy.setting)")
        #expect(policy.copies(for: VoicePeers.voiceID(for: SimNetRoom.clientID(2))) == 0)
        #expect(policy.setting.fecPercent == nil && policy.setting.description.hasSuffix("to 1 of 2"), "\(policy.setting)")
        func recent(to j: Int) throws -> [VoicePacket] {
            try sim.captured.filter {
                $0.from == sim.address(0) && $0.to == sim.address(j) && PacketType(of: $0.bytes) == .voice
            }.suffix(50).map { try VoicePacket.parse($0.bytes) }
        }
        #expect(try recent(to: 1).allSatisfy { !$0.redundancy.isEmpty })
        #expect(try recent(to: 2).allSatisfy { $0.redundancy.isEmpty })
        // The same frames, sequence numbers and primaries to both.
        #expect(try recent(to: 1).map(\.sequenceNumber).suffix(20) == recent(to: 2).map(\.sequenceNumber).suffix(20))
    }

    /// A clean path: the talker starts with FEC, the cheap bet while nothing is known, and drops
    /// it once 8 clean reports are in; then it spends nothing on protection.
    @Test func aCleanPathSoonCostsNothing() throws {
        let sim = SimNetRoom(count: 3, seed: 42, conditions: PathConditions(delay: .milliseconds(20)), microphones: .tones)
        sim.adaptiveProtection = true
        var changes: [Int: [VoiceClient.ProtectionChange]] = [:]
        for i in 0..<3 {
            sim.start(i)
            #expect(sim.client(i).participant.sender.encoder.settings.inbandFEC)
            sim.client(i).onProtectionChange = { changes[i, default: []].append($0) }
        }
        sim.run(for: .seconds(20))
        for i in 0..<3 {
            let mine = changes[i] ?? []
            #expect(mine.count == 1 && mine[0].to == ProtectionPolicy.Setting() && mine[0].at.seconds < 11, "\(i): \(mine)")
            #expect(sim.client(i).protectionPolicy?.protection == ProtectionPolicy.Protection.none)
            #expect(!sim.client(i).participant.sender.encoder.settings.inbandFEC)
            #expect(sim.client(i).reportCounters.received >= 30)
        }
    }

    /// A 48 or 32 kbit/s bottleneck with a 50-packet queue on a call that wants 49 kbit/s on the
    /// wire (no seal here: 42 bytes of headers a packet): the talker backs off below it within
    /// seconds — at 48 kbit/s by sending 40 ms packets at the full bitrate, at 32 kbit/s with a
    /// lower bitrate in them too — so the queue does not stand at seconds of delay, and sends
    /// as configured once the path is clear again.
    @Test(arguments: [48_000, 32_000]) func theBitrateFitsABottleneckAndComesBack(bottleneck: Int64) throws {
        let sim = SimNetRoom(count: 2, seed: 44, conditions: PathConditions(delay: .milliseconds(20)), microphones: .tones)
        sim.adaptiveProtection = true
        sim.start(0)
        sim.start(1)
        var changes: [VoiceClient.ProtectionChange] = []
        sim.client(0).onProtectionChange = { changes.append($0) }
        sim.run(for: .seconds(5))
        let narrow = PathConditions(
            delay: .milliseconds(20), rate: RateLimit(bitsPerSecond: bottleneck, queueLimitPackets: 50))
        sim.network.setConditions(narrow, between: sim.slots[0].host, and: sim.slots[1].host)
        let narrowFrom = Instant(sim.now).seconds
        sim.run(for: .seconds(20))
        let sender = sim.client(0).participant.sender
        let setting = try #require(sim.client(0).sendSetting)
        #expect(sender.framesPerPacket > 1 && setting.packetMilliseconds == 20 * sender.framesPerPacket, "\(changes)")
        #expect((sender.bitrate < 32_000) == (bottleneck < 48_000), "\(changes)")
        let firstCut = try #require(changes.first { $0.to.packetMilliseconds != nil })
        // The tones overload the link only slightly: the queue needs a few reports to show it.
        #expect(firstCut.at.seconds - narrowFrom < 8, "\(changes)")
        let estimate = try #require(sim.client(0).bandwidthEstimates[VoicePeers.voiceID(for: SimNetRoom.clientID(1))])
        #expect(estimate.backOffs >= 1 && estimate.bitsPerSecond.map { $0 < Double(bottleneck) } == true)
        // Under the bottleneck the queue this talker fills is back to the serialisation of a few
        // packets, not the seconds a 50-packet queue holds at this rate.
        let path = try #require(sim.client(0).reportedPath(from: SimNetRoom.clientID(1)))
        #expect(try #require(path.latest?.queueingMilliseconds) < 150, "\(path) \(changes)")
        let steady = changes.filter { $0.at.seconds > narrowFrom + 10 }
        // Coming back up after a back-off is fine; going down again is a sawtooth.
        let cuts = steady.filter { ($0.to.bitrate ?? 32_000) < ($0.from.bitrate ?? 32_000) }
        #expect(cuts.count <= 1, "no sawtooth under the bottleneck: \(steady)")

        sim.network.setConditions(PathConditions(delay: .milliseconds(20)), between: sim.slots[0].host, and: sim.slots[1].host)
        let clearFrom = Instant(sim.now).seconds
        sim.run(for: .seconds(8))
        #expect(sim.client(0).participant.sender.bitrate == 32_000)
        #expect(sim.client(0).participant.sender.framesPerPacket == 1)
        #expect(sim.client(0).sendSetting?.bitrate == nil)
        let back = try #require(changes.last)
        // +25 % a report once the queue is gone: from half the wanted rate it takes a report more.
        #expect(back.to.bitrate == nil && back.at.seconds - clearFrom < (bottleneck < 48_000 ? 6 : 4), "\(changes)")
        #expect(back.to.packetMilliseconds == nil)
    }
}
