import Concord
import Testing
@testable import ConcordBench

/// The bench seals as a real client does, and says what it cost.
@Suite struct SealedBenchTests {
    static func run(sealed: Bool, room: Bool) throws -> BenchReport {
        let s = try SimulationTests.scenario("""
            {"duration_seconds": 4, "sealed": \(sealed), "codec": {"vbr": false}, \(room ? "\"room\": {}," : "")
             "network": {"links": {"delay_ms": 10}},
             "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}, {"name": "c", "wav": "a.wav"}]}
            """)
        return try BenchRun.execute(s).report
    }

    @Test(arguments: [false, true])
    func sealedRunsReportTheirCostAndRejectNothing(room: Bool) throws {
        let sealed = try Self.run(sealed: true, room: room)
        let plain = try Self.run(sealed: false, room: room)
        #expect(plain.security == nil)
        let security = try #require(sealed.security)
        #expect(security.overheadBytesPerPacket == 28)
        #expect(security.rejected.dropped == 0 && security.impersonations == 0 && security.queueDrops == 0)
        #expect(security.handshakesCompleted == 6, "one session per pair, counted at both ends")
        if !room {
            // Every sealed packet is opened once on a lossless link (the last in flight at the
            // end aside); with a room, each sealed broadcast is opened by every other member.
            #expect(security.packetsOpened <= security.packetsSealed && security.packetsOpened >= security.packetsSealed - 12)
        }
        #expect(security.cpuSeconds > 0 && security.cpuMicrosecondsPerPacket > 0)
        // CBR at 32 kb/s, 50 packets/s: sealing adds 28 B × 8 × 50 = 11.2 kb/s to every stream.
        for (s, p) in zip(sealed.streams, plain.streams) {
            #expect(abs((s.bitrateKbps - p.bitrateKbps) - 11.2) < 0.3, "\(s.from)→\(s.to): \(s.bitrateKbps) vs \(p.bitrateKbps)")
            #expect(s.concealmentRatio == 0)
        }
    }
}
