import Testing
@testable import Concord
import ConcordTesting
import SimNet

@Suite struct VoiceClientRoomTests {
    static let settings = RoomSettings()

    /// Voice follows membership: a member that joins becomes a voice peer everywhere; one that
    /// leaves or crashes stops being one (its receiver, jitter buffer and decoder are released);
    /// captured frames go to exactly the current voice peers and arrive on the same port.
    @Test func voicePeersFollowMembership() throws {
        let sim = SimNetRoom(count: 4, seed: 90)
        sim.start(0)
        sim.run(for: .milliseconds(1200))
        for i in 1..<4 { sim.start(i) }
        let quiet = SimTime.milliseconds(Self.settings.quietConvergenceTime(maxOneWayLatency: 0))
        _ = try #require(sim.runUntilConverged(within: quiet))
        func voiceIDs(except i: Int, among: [Int]) -> [PeerID] {
            among.filter { $0 != i }.map { VoicePeers.voiceID(for: SimNetRoom.clientID($0)) }.sorted()
        }
        for i in 0..<4 {
            #expect(sim.slots[i].client?.participant.peers.sorted() == voiceIDs(except: i, among: [0, 1, 2, 3]))
        }

        // A captured frame is addressed to the three others and reaches their receivers.
        let voice0 = try #require(sim.slots[0].client)
        let frame = [Float](repeating: 0.1, count: voice0.participant.frameSamples)
        let sends = try voice0.capture(frame, now: Instant(sim.now))
        #expect(Set(sends.compactMap { if case .send(_, let to) = $0 { return to } else { return nil } }) == Set([1, 2, 3].map(sim.address)))
        for case let .send(bytes, to) in sends {
            guard case .ipv4(let raw) = to.host else { continue }
            sim.slots[0].host.send(from: SimNetRoom.port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
        }
        sim.run(for: .milliseconds(10))
        let v0 = VoicePeers.voiceID(for: SimNetRoom.clientID(0))
        for i in 1..<4 {
            #expect(sim.slots[i].client?.participant.receiver(for: v0)?.statistics.packetsReceived == 1)
        }

        sim.leave(1)
        sim.run(for: .milliseconds(10))
        for i in [0, 2, 3] {
            #expect(sim.slots[i].client?.participant.peers.sorted() == voiceIDs(except: i, among: [0, 2, 3]))
        }
        #expect(sim.slots[1].client?.participant.peers.isEmpty == true)

        sim.crash(2)
        sim.run(for: .milliseconds(Int(Self.settings.failureDetectionBound(maxOneWayLatency: 0)) + 1))
        for i in [0, 3] {
            #expect(sim.slots[i].client?.participant.peers.sorted() == voiceIDs(except: i, among: [0, 3]))
            #expect(sim.slots[i].client?.participant.receiver(for: VoicePeers.voiceID(for: SimNetRoom.clientID(2))) == nil)
        }
        #expect(sim.slots[0].client?.voicePeers.collisions.isEmpty == true)
    }

    @Test func voiceIDsAreStableAndNonZero() {
        #expect(VoicePeers.voiceID(for: "client-0") == VoicePeers.voiceID(for: "client-0"))
        #expect(VoicePeers.voiceID(for: "") == 0x811C_9DC5)  // FNV-1a offset basis
        var seen: Set<PeerID> = []
        for i in 0..<1000 { seen.insert(VoicePeers.voiceID(for: "client-\(i)")) }
        #expect(seen.count == 1000 && !seen.contains(0))
    }
}
