import Testing
@testable import Concord
import ConcordTesting
import SimNet

/// Receiver reports between real clients over SimNet: sealed, once a second, with a round trip
/// and a loss figure that match what the network did; forged and misdirected reports counted.
@Suite struct ReceiverReportRoomTests {
    static func voiceID(_ i: Int) -> PeerID { VoicePeers.voiceID(for: SimNetRoom.clientID(i)) }

    /// 30 ms each way, no jitter, 10 % random loss: each side measures a 60 ms round trip, and
    /// the loss the listener reports is the loss SimNet caused, counted from what was sent.
    @Test func roundTripAndLossMatchTheNetwork() throws {
        let conditions = PathConditions(delay: .milliseconds(30), loss: .bernoulli(0.10))
        let sim = SimNetRoom(count: 2, seed: 31, conditions: conditions, sealing: .paired(), microphones: .tones)
        sim.start(0)
        sim.start(1)
        // Ground truth: the sequence numbers that reached each listener, from the wire.
        var heard: [Int: Set<UInt16>] = [0: [], 1: []]
        for i in 0..<2 {
            sim.client(i).onVoiceArrival = { heard[i]!.insert($0.sequenceNumber) }
        }
        var lastReport: [Int: VoiceClient.ReceivedReport] = [:]
        var heardAtReport: [Int: Set<UInt16>] = [:]
        for i in 0..<2 {
            sim.client(i).onReceiverReport = { report in
                lastReport[i] = report
                heardAtReport[i] = heard[1 - i]
            }
        }
        sim.run(for: .seconds(8))
        for (talker, listener) in [(0, 1), (1, 0)] {
            let path = try #require(sim.client(talker).reportedPath(from: SimNetRoom.clientID(listener)))
            let rtt = try #require(path.smoothedRoundTripMilliseconds)
            #expect(abs(rtt - 60) <= 0.5, "\(talker) ← \(listener): round trip \(rtt) ms")
            // One report a second, less what the 10 % loss took (and the first second's handshake).
            #expect((4...8).contains(path.reports), "\(path.reports) reports")
            let stream = try #require(path.latest)
            #expect(lastReport[talker]?.report.stream == stream)

            // What the listener had heard when it sent the report (one-way delay earlier than
            // the talker took it: no voice arrives in between except in flight, which the
            // report's highest sequence number excludes).
            let highest = Int(stream.highestSequence)
            let voice = sim.captured.filter {
                $0.from == sim.address(talker) && $0.to == sim.address(listener) && PacketType(of: $0.bytes) == .voice
            }
            let firstSequence = Int(try VoicePacket.Header.parse(voice[0].bytes).sequenceNumber)
            let heardThen = try #require(heardAtReport[talker]).filter { Int($0) >= firstSequence && Int($0) <= highest }
            let expected = highest - firstSequence + 1
            #expect(expected > 200, "\(expected) voice datagrams")
            #expect(Int(stream.cumulativeLost) == expected - heardThen.count, "reported \(stream.cumulativeLost)")
            #expect(abs(Double(stream.cumulativeLost) / Double(expected) - 0.10) < 0.05)
            #expect(stream.jitterMilliseconds < 2, "a jitter-free path: \(stream.jitterMilliseconds) ms")
        }
        // Reports travel sealed.
        let reports = sim.captured.filter { PacketType(of: $0.bytes) == .receiverReport }
        #expect(reports.count >= 12 && reports.allSatisfy { $0.bytes[2] & 0x80 != 0 })
        for i in 0..<2 {
            let c = sim.client(i).reportCounters
            #expect(c.malformed == 0 && c.misdirected == 0 && c.rejectedEchoes == 0, "\(c)")
        }
    }

    /// A member cannot report as another member, to a client that is not the addressee, or
    /// with bytes that do not parse: each is counted and changes nothing.
    @Test func forgedMisdirectedAndMalformedReportsAreCounted() throws {
        let sim = SimNetRoom(count: 3, seed: 32, sealing: .paired(), microphones: .tones)
        sim.startInTurn(3, gap: .milliseconds(300))
        sim.run(for: .seconds(3))
        let before = try #require(sim.client(1).reportedPath(from: SimNetRoom.clientID(0)))
        let countersBefore = sim.client(1).reportCounters
        func sendAs2(_ bytes: [UInt8]) {
            sim.perform(
                sim.transport(2).send(bytes, to: sim.address(1), now: Instant(sim.now)).map(RoomEffect.init), slot: sim.slots[2])
        }
        let alarming = ReceiverReport.Stream(fractionLost: 255, concealedFraction: 65_535)
        // Client 2 claims to be client 0, reporting total loss.
        sendAs2(ReceiverReport(reporter: Self.voiceID(0), addressee: Self.voiceID(1), sentAt: 1, stream: alarming).serialize())
        // Client 2 reports to client 1 about client 0's voice.
        sendAs2(ReceiverReport(reporter: Self.voiceID(2), addressee: Self.voiceID(0), sentAt: 1, stream: alarming).serialize())
        // A report header with a body of the wrong length.
        sendAs2(Array(ReceiverReport(reporter: Self.voiceID(2), addressee: Self.voiceID(1), sentAt: 1).serialize().prefix(20)))
        sim.run(for: .milliseconds(100))

        #expect(sim.transport(1).statistics.impersonations == 1)
        let counters = sim.client(1).reportCounters
        #expect(counters.misdirected == countersBefore.misdirected + 1 && counters.malformed == countersBefore.malformed + 1)
        let after = try #require(sim.client(1).reportedPath(from: SimNetRoom.clientID(0)))
        #expect(after.latest?.fractionLost != 255 && after.reports <= before.reports + 1)
    }

    /// A member that leaves takes its report state with it, and reports stop going to it.
    @Test func reportsFollowMembership() throws {
        let sim = SimNetRoom(count: 3, seed: 33, sealing: .paired(), microphones: .tones)
        sim.startInTurn(3, gap: .milliseconds(300))
        sim.run(for: .seconds(3))
        #expect(sim.client(0).reportedPath(from: SimNetRoom.clientID(2)) != nil)
        sim.leave(2)
        sim.run(for: .milliseconds(100))
        let mark = sim.captured.count
        sim.run(for: .seconds(2))
        #expect(sim.client(0).reportedPath(from: SimNetRoom.clientID(2)) == nil)
        #expect(!sim.captured[mark...].contains { $0.to == sim.address(2) && PacketType(of: $0.bytes) == .receiverReport })
        #expect(sim.captured[mark...].contains { $0.to == sim.address(1) && PacketType(of: $0.bytes) == .receiverReport })
    }
}
