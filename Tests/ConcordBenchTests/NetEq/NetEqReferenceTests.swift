import Concord
import ConcordTesting
import Foundation
import Testing
@testable import ConcordBench
@testable import NetEqReference

/// WebRTC's NetEq in place of Concord's jitter buffer and decoder: fed the same packets in the
/// same virtual time, measured by the same metrics.
@Suite struct NetEqReferenceTests {
    static func run(_ json: String) throws -> (result: Simulation.Result, streams: [StreamReport]) {
        let scenario = try ScenarioLoader.load(path: try BenchFixtures.scenarioFile(json))
        #expect(scenario.jitterBufferKind == .neteq)
        let result = try Simulation(scenario: scenario).run()
        let streams = try (0..<result.records.count).map { StreamAnalyzer.analyze(try result.record($0)).report }
        return (result, streams)
    }

    static func twoPeople(seconds: Int, seed: Int = 3, links: String, codec: String = "{}") -> String {
        """
        {"duration_seconds": \(seconds), "seed": \(seed), "jitter_buffer": {"mode": "neteq"}, "codec": \(codec),
         "network": {"links": \(links)}, "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]}
        """
    }

    /// On a lossless LAN NetEq conceals next to nothing, and the latency read from the frames'
    /// RTP timestamps (NetEq's playout timestamp, as the report's `latency_ms`) is the latency
    /// found in the audio it played (`latency_xcorr_ms`).
    @Test func losslessLANPlaysWithoutConcealmentAndBothLatenciesAgree() throws {
        let (_, streams) = try Self.run(Self.twoPeople(seconds: 12, links: #"{"preset": "lan"}"#))
        #expect(streams.count == 2)
        for s in streams {
            #expect(s.packetLoss == 0)
            // Nothing is lost or late: what NetEq conceals is its own doing (at most a few frames).
            #expect(s.concealmentRatio < 0.01, "\(s.from)→\(s.to): \(s.concealmentRatio)")
            #expect(s.concealmentEvents <= 5)
            let fromTimestamps = try #require(s.latencyMs)
            let fromAudio = try #require(s.latencyXcorrMs)
            #expect(s.latencyXcorrWindows >= 10)
            // The cross-correlation resolves a sample; without loss NetEq barely time-stretches,
            // and its timestamp follows the samples it plays.
            #expect(abs(fromTimestamps.mean - fromAudio.mean) < 2, "\(fromTimestamps.mean) vs \(fromAudio.mean)")
            // Mouth to ear on a LAN: the frame being captured, the wait in NetEq, lookahead.
            #expect(fromTimestamps.mean > 20 && fromTimestamps.mean < 150)
            #expect(s.jitterBufferDelayMs.mean > 0 && s.jitterBufferDelayMs.mean < fromTimestamps.mean)
        }
    }

    /// Random loss without FEC: each lost 20 ms packet is one frame NetEq must conceal, so the
    /// concealed share follows the stream's own loss rate.
    @Test func randomLossIsConcealedAtAboutTheLossRate() throws {
        let (_, streams) = try Self.run(Self.twoPeople(seconds: 20, links: #"{"preset": "lan", "loss_percent": 10}"#))
        for s in streams {
            #expect(s.packetLoss > 0.07 && s.packetLoss < 0.13)
            #expect(abs(s.concealmentRatio - s.packetLoss) < 0.03, "\(s.from)→\(s.to): concealed \(s.concealmentRatio), lost \(s.packetLoss)")
            #expect(s.mosEmodel < 4)
        }
    }

    /// One redundant frame per packet (sent to NetEq as RFC 2198 RED): a loss is concealed only
    /// when two packets in a row are lost, about 1 % at 10 % random loss.
    @Test func redundancyReachesNetEqAsRED() throws {
        let (_, streams) = try Self.run(
            Self.twoPeople(seconds: 20, links: #"{"preset": "lan", "loss_percent": 10}"#, codec: #"{"redundancy": 1}"#))
        for s in streams {
            #expect(s.packetLoss > 0.07)
            #expect(s.concealmentRatio < 0.03, "\(s.from)→\(s.to): concealed \(s.concealmentRatio)")
        }
    }

    /// Opus in-band FEC is NetEq's own business (the decoder splits it from the payload): it
    /// rebuilds most lost frames, and counts them.
    @Test func inbandFECIsUsedAndCounted() throws {
        let (_, streams) = try Self.run(
            Self.twoPeople(seconds: 20, links: #"{"preset": "lan", "loss_percent": 10}"#, codec: #"{"fec": true}"#))
        for s in streams {
            #expect(s.packetLoss > 0.07)
            #expect(s.fecRecoveredFrames > s.packetsSent / 20, "\(s.from)→\(s.to): \(s.fecRecoveredFrames) of \(s.packetsSent)")
            #expect(s.concealmentRatio < s.packetLoss / 2, "\(s.from)→\(s.to): concealed \(s.concealmentRatio)")
        }
    }

    @Test func sameSeedSameAudio() throws {
        let json = Self.twoPeople(seconds: 4, links: #"{"preset": "wifi-congested"}"#)
        let (first, a) = try Self.run(json)
        let (second, b) = try Self.run(json)
        #expect(a == b)
        for i in first.records.indices { #expect(try first.track(i) == second.track(i)) }
    }

    @Test func redPayloadFollowsRFC2198() {
        let packet = VoicePacket(
            senderID: 1, sequenceNumber: 7, timestamp: 9_600,
            redundancy: [.init(timestampOffset: 1_920, payload: [1, 2]), .init(timestampOffset: 960, payload: [3])],
            payload: [4, 5, 6])
        let (type, bytes) = NetEqPlayout.rtpPayload(of: packet)
        #expect(type == NetEqReceiver.redPayloadType)
        // F=1|PT 111, 14-bit offset, 10-bit length; then F=0|PT; then the blocks oldest first.
        let first: [UInt8] = [0x80 | 111, UInt8(1_920 >> 6), UInt8((1_920 & 0x3F) << 2), 2]
        let second: [UInt8] = [0x80 | 111, UInt8(960 >> 6), UInt8((960 & 0x3F) << 2), 1]
        #expect(bytes == first + second + [111, 1, 2, 3, 4, 5, 6])
        let plain = VoicePacket(senderID: 1, sequenceNumber: 7, timestamp: 9_600, payload: [4, 5, 6])
        #expect(NetEqPlayout.rtpPayload(of: plain) == (NetEqReceiver.opusPayloadType, [4, 5, 6]))
    }

    /// NetEq counts a duplicate among its discarded packets; the report's late packets do not.
    @Test func aDuplicateIsNotLate() throws {
        let sender = try VoiceSender(senderID: 2, settings: .init())
        let playout = try NetEqPlayout(frameSamples: 960)
        let tone = (0..<960).map { Float(sin(Double($0) * 0.06)) * 0.3 }
        let frame = [Float](repeating: 0, count: 960)
        var out = frame
        for k in 0..<50 {
            let packet = try #require(try sender.packetize(tone))
            playout.receive(packet, arrival: .milliseconds(Double(k) * 20 + 5))
            if k == 10 { playout.receive(packet, arrival: .milliseconds(Double(k) * 20 + 6)) }
            _ = out.withUnsafeMutableBufferPointer { playout.playout(now: .milliseconds(Double(k) * 20 + 20), into: $0) }
        }
        let s = playout.statistics
        #expect(s.packetsReceived == 51)
        #expect(s.packetsDiscardedDuplicate == 1)
        #expect(playout.neteq.lifetimeStatistics.packetsDiscarded == 1)
        #expect(s.packetsDiscardedLate == 0)
        #expect(s.totalSamplesReceived == 50 * 960)
    }

    @Test func framesThatAreNotWholeTenMillisecondsAreRefused() {
        #expect(throws: NetEqError.self) { try NetEqPlayout(frameSamples: 120) }
    }

    /// Concord's buffer options with `--jitter-buffer neteq` are misuse: exit 64 and the reason.
    @Test(arguments: [["--jb-min-ms", "40"], ["--jb-max-ms", "300"]])
    func concordBufferFlagsAreRefusedWithNetEq(flag: [String]) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("neteq-\(UUID().uuidString)").path
        let result = try BuiltProduct.concordBench.run(
            ["run", "fixtures/two-person-lan.scenario.json", "--jitter-buffer", "neteq"] + flag + ["--out", out],
            in: BenchFixtures.root)
        #expect(result.reason == .exit && result.status == 64, "\(result.status): \(result.stderr)")
        #expect(result.stderr.contains("\(flag[0]) sets Concord's jitter buffer"))
        #expect(!FileManager.default.fileExists(atPath: out))
    }
}

/// `concord-bench compare`: two scenarios over the same seeds.
/// `compare` with NetEq on one side: the seeds' losses are the same on both sides, so the paired
/// packet-loss difference is exactly zero, while each buffer conceals what it conceals.
@Suite struct NetEqComparisonTests {
    @Test func concordAgainstNetEqOverTheSameSeeds() throws {
        let links = #""network": {"links": {"preset": "lan", "loss_percent": 5}}, "participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}]"#
        let a = try BenchFixtures.scenarioFile(#"{"duration_seconds": 5, \#(links)}"#)
        let b = try BenchFixtures.scenarioFile(#"{"duration_seconds": 5, "jitter_buffer": {"mode": "neteq"}, \#(links)}"#)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-neteq-compare-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let result = try BuiltProduct.concordBench.run(
            ["compare", a, b, "--seeds", "3", "--speech-quality", "none", "--out", out, "--quiet"], in: BenchFixtures.root)
        #expect(result.status == 0, "\(result.output)")
        struct File: Decodable { var rows: [ComparisonRow] }
        let rows = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: "\(out)/compare.json"))).rows
        let metrics = Dictionary(uniqueKeysWithValues: rows.filter { $0.scope == "room" }.map { ($0.metric, $0) })
        let loss = try #require(metrics["mean_packet_loss"])
        #expect(loss.seeds == 3 && loss.a > 0.02 && loss.difference == 0 && loss.low == 0 && loss.high == 0)
        let concealment = try #require(metrics["mean_concealment_ratio"])
        #expect(concealment.a > 0.02 && concealment.b > 0.02)
        #expect(try #require(concealment.low) <= concealment.difference && concealment.difference <= #require(concealment.high))
    }
}
