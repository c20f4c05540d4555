import Concord
@testable import ConcordLive
import Foundation
import Testing

/// Statistics of a buffer that played `emitted` samples of packets that waited `delayMs` each.
private func statistics(packets: Int, emitted: Int, delayMs: Double, concealed: Int = 0, silent: Int = 0) -> JitterBufferStatistics {
    var s = JitterBufferStatistics()
    s.packetsReceived = packets
    s.jitterBufferEmittedCount = emitted
    s.jitterBufferDelay = delayMs / 1000 * Double(emitted)
    s.totalSamplesReceived = emitted + concealed + silent
    s.concealedSamples = concealed
    s.silentSamples = silent
    s.targetDelayMilliseconds = 20
    return s
}

private func peer(_ statistics: JitterBufferStatistics?, loss: Double? = 0, rtt: Double? = 8) -> LiveSnapshotBuilder.Peer {
    LiveSnapshotBuilder.Peer(
        clientID: "ben", displayName: "ben", address: "127.0.0.41:7441", fingerprint: nil, keyChanged: false,
        status: "alive", volume: nil, statistics: statistics, lossRatio: loss, levelDBFS: nil, rttMs: rtt)
}

@Suite struct VoiceFiguresTests {
    @Test func aStreamThatDeliveredNothingIsDead() {
        for stats in [nil, JitterBufferStatistics()] {
            let figures = VoiceFigures.measure(
                statistics: stats, lossRatio: nil, jitterBufferDelayMs: 30, rttMs: 4, frameMs: 20, codecLookaheadMs: 6.5)
            #expect(!figures.hasAudio)
            #expect(figures.lossPercent == 100)
            #expect(figures.latencyEstimate == nil)
            #expect(figures.jitterBufferDelayMs == nil)
            #expect(figures.concealedPercent == nil)
            #expect(figures.rttMs == 4)  // the handshake was measured all the same
        }
    }

    @Test func theEstimateAddsTheMeasuredBufferDelayNotTheTarget() throws {
        // Target 20 ms, measured delay 37 ms: the estimate uses 37, so it is never below the buffer figure.
        let figures = VoiceFigures.measure(
            statistics: statistics(packets: 100, emitted: 96_000, delayMs: 37), lossRatio: 0.02, jitterBufferDelayMs: 37,
            rttMs: 10, frameMs: 20, codecLookaheadMs: 6.5)
        let estimate = try #require(figures.latencyEstimate)
        let expected: Double = 20 + 6.5 + 5 + 37
        #expect(estimate.totalMs == expected)
        #expect(estimate.totalMs > figures.jitterBufferDelayMs!)
        #expect(figures.jitterBufferTargetMs == 20)
        #expect(abs(figures.lossPercent - 2) < 1e-9)
        #expect(figures.concealedPercent == 0)
    }

    @Test func withoutAnRTTThereIsNoEstimate() {
        let figures = VoiceFigures.measure(
            statistics: statistics(packets: 10, emitted: 9600, delayMs: 30), lossRatio: 0, jitterBufferDelayMs: 30, rttMs: nil,
            frameMs: 20, codecLookaheadMs: 6.5)
        #expect(figures.hasAudio)
        #expect(figures.latencyEstimate == nil)
        #expect(figures.jitterBufferDelayMs == 30)
    }

    @Test func packetsThatArrivedButNeverPlayedHaveNoBufferFigure() {
        let figures = VoiceFigures.measure(
            statistics: statistics(packets: 3, emitted: 0, delayMs: 0), lossRatio: 0, jitterBufferDelayMs: 0, rttMs: 2,
            frameMs: 20, codecLookaheadMs: 6.5)
        #expect(figures.hasAudio)
        #expect(figures.jitterBufferDelayMs == nil)
        #expect(figures.latencyEstimate == nil)
    }

    @Test func theBufferDelayIsTheLastTwoSecondsAndTheSessionMeanIsBeside() throws {
        var builder = LiveSnapshotBuilder(startedAt: .zero, frameMilliseconds: 20, codecLookaheadMilliseconds: 6.5)
        // 10 s at 20 ms of buffer delay, then the delay grows to 80 ms for the next 2 s.
        var stats = statistics(packets: 500, emitted: 480_000, delayMs: 20)
        _ = builder.member(peer(stats))
        var last: (view: LiveSnapshot.Member, summary: LiveSummary.Peer)?
        for _ in 0..<8 {
            stats.jitterBufferEmittedCount += 12_000  // 250 ms of audio
            stats.jitterBufferDelay += 0.080 * 12_000
            stats.packetsReceived += 12
            last = builder.member(peer(stats))
        }
        let (view, summary) = try #require(last)
        #expect(abs(view.voice.jitterBufferDelayMs! - 80) < 1e-6)
        #expect(summary.voice == view.voice)
        #expect(abs(summary.voice.jitterBufferSessionMeanMs! - stats.meanJitterBufferDelayMilliseconds) < 1e-9)
        #expect(summary.voice.jitterBufferSessionMeanMs! < 40)
        let expected: Double = 20 + 6.5 + 4 + 80
        #expect(abs(view.voice.latencyEstimate!.totalMs - expected) < 1e-6)
        // Silence (nothing played for a while): the view keeps the last measured figure.
        for _ in 0..<10 { last = builder.member(peer(stats)) }
        #expect(abs(last!.view.voice.jitterBufferDelayMs! - 80) < 1e-6)
    }

    @Test func arrivalsMeasureLossFromSequenceNumbers() {
        var arrivals = VoiceArrivals()
        #expect(arrivals.lossRatio == nil)
        for s: UInt16 in [65_530, 65_531, 65_533, 65_535, 0, 1, 4] { arrivals.note(s) }  // across the wrap
        // 65530 … 4 is 11 numbers, 7 arrived.
        #expect(abs(arrivals.lossRatio! - 4.0 / 11) < 1e-9)
    }

    @Test func theBuilderKeepsTheLastMessagesOnly() {
        var builder = LiveSnapshotBuilder(startedAt: .seconds(10), frameMilliseconds: 20, codecLookaheadMilliseconds: 6.5)
        for i in 0..<(LiveSnapshotBuilder.maximumMessages + 5) { builder.record(.notice, "n\(i)", at: .seconds(12)) }
        #expect(builder.messages.count == LiveSnapshotBuilder.maximumMessages)
        #expect(builder.messages.first?.text == "n5")
        #expect(builder.messages.first?.secondsSinceStart == 2)
    }

    @Test func theSummaryJSONHasPerPeerFiguresAndNoEscapedSlashes() throws {
        var summary = LiveSummary(roomID: "lobby/east", clientID: "ana", address: "127.0.0.40:7440", fingerprint: "AAAA")
        var builder = LiveSnapshotBuilder(startedAt: .zero, frameMilliseconds: 20, codecLookaheadMilliseconds: 6.5)
        summary.peers = [
            builder.member(peer(statistics(packets: 400, emitted: 384_000, delayMs: 30, concealed: 4800), loss: 0.01)).summary,
            LiveSummary.Peer(clientID: "cai", fingerprint: nil, voice: .noAudio()),
        ]
        summary.messages = [.init(from: "ben", text: "a/b and https://example.org/x")]
        let data = try summary.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("\\/"))
        #expect(text.contains("\"room_id\" : \"lobby/east\""))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let peers = try #require(json["peers"] as? [[String: Any]])
        let ben = try #require(peers.first?["voice"] as? [String: Any])
        #expect(ben["packets_received"] as? Int == 400)
        #expect(abs((ben["loss_percent"] as? Double ?? 0) - 1) < 1e-9)
        #expect(ben["jitter_buffer_delay_ms"] as? Double == 30)
        #expect(ben["jitter_buffer_delay_session_mean_ms"] as? Double == 30)
        #expect(ben["jitter_buffer_target_ms"] as? Double == 20)
        #expect(ben["rtt_ms"] as? Double == 8)
        #expect(abs((ben["concealed_percent"] as? Double ?? 0) - 100 * 4800.0 / 388_800) < 1e-9)
        let estimate = try #require(ben["latency_estimate"] as? [String: Any])
        let total: Double = 20 + 6.5 + 4 + 30
        #expect(estimate["total_ms"] as? Double == total)
        for part in ["frame_ms", "codec_lookahead_ms", "one_way_network_ms", "jitter_buffer_ms"] { #expect(estimate[part] != nil) }
        let cai = try #require(peers.last?["voice"] as? [String: Any])
        #expect(cai["packets_received"] as? Int == 0)
        #expect(cai["loss_percent"] as? Double == 100)
        #expect(cai["latency_estimate"] == nil)
        // And it reads back.
        #expect(try JSONDecoder().decode(LiveSummary.self, from: data).peers == summary.peers)
    }
}
