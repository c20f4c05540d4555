import Foundation
import Testing

@testable import Concord
@testable import ConcordBench

/// A hand-built stream: 10 packets of 20 ms (100 bytes), 50 ms transit. Packet 3 is lost and
/// rebuilt from FEC; packet 6 takes 130 ms, arrives after its frame was concealed and is
/// discarded. Frames play at 90 + 20·k ms, so every played frame's mouth-to-ear latency is
/// 90 ms + 6.5 ms lookahead = 96.5 ms, and each packet waited 40 ms in the buffer.
@Suite struct MetricsStreamAnalyzerTests {
    static func record(source: [Float] = [], track: [Float] = []) -> StreamRecord {
        let sent = (0..<10).map { k in
            SentPacketRecord(sequence: Int64(k), timestamp: Int64(k) * 960, sendTime: .ms(Double(k) * 20), bytes: 100)
        }
        let arrivals = sent.filter { $0.sequence != 3 }.map { packet in
            ArrivalRecord(
                sequence: packet.sequence, timestamp: packet.timestamp,
                arrivalTime: packet.sendTime.advanced(byMilliseconds: packet.sequence == 6 ? 130 : 50), bytes: packet.bytes)
        }.sorted { $0.arrivalTime < $1.arrivalTime }
        var playout = [
            // Before the stream starts; its target (80) must not enter target_delay_ms.
            PlayoutEvent(playoutTime: .ms(70), timestamp: nil, outcome: .silence, bufferDelayMilliseconds: nil, targetDelayMilliseconds: 80)
        ]
        for k in 0..<10 {
            let outcome: PlayoutOutcome = k == 3 ? .recoveredFEC : k == 6 ? .concealed : .decoded
            playout.append(
                PlayoutEvent(
                    playoutTime: .ms(90 + Double(k) * 20), timestamp: Int64(k) * 960, outcome: outcome,
                    bufferDelayMilliseconds: outcome == .decoded ? 40 : nil, targetDelayMilliseconds: 40))
        }
        var statistics = JitterBufferStatistics()
        statistics.packetsReceived = 9
        statistics.packetsDiscardedLate = 1
        statistics.totalSamplesReceived = 10 * 960
        statistics.concealedSamples = 960
        statistics.concealmentEvents = 1
        statistics.fecRecoveredSamples = 960
        return StreamRecord(
            from: "alice", to: "bob", frameSamples: 960, lookaheadSamples: 312, mouthTimeOfTimestampZero: .zero,
            sent: sent, arrivals: arrivals, playout: playout, jitterBuffer: statistics, source: source, track: track)
    }

    @Test func handBuiltStream() throws {
        let (report, timeline) = StreamAnalyzer.analyze(Self.record())
        #expect(report.from == "alice" && report.to == "bob")
        #expect(report.packetsSent == 10 && report.packetsReceived == 9)
        #expect(abs(report.packetLoss - 0.1) < 1e-12)
        #expect(abs(report.lateLoss - 0.1) < 1e-12)
        // 9 played frames (FEC included), all at 96.5 ms.
        #expect(abs((report.latencyMs?.mean ?? .nan) - 96.5) < 1e-9 && abs((report.latencyMs?.max ?? .nan) - 96.5) < 1e-9)
        #expect(timeline.latency.count == 9)
        #expect(report.latencyXcorrWindows == 0 && report.latencyXcorrMs == .zero)
        // Arrival order 0,1,2,4,5,7,8,9 (transit 50) then 6 (transit 130): one |D| of 80 ms → 5 ms.
        #expect(abs(report.jitterRfc3550Ms - 5) < 1e-9)
        // 1000 bytes over 180 ms + one 20 ms frame: 40 kb/s; with 28 bytes a packet 51.2 kb/s.
        #expect(abs(report.bitrateKbps - 40) < 1e-9)
        #expect(abs(report.bitrateWithOverheadKbps - 51.2) < 1e-9)
        // Fates R R R L R R X R R R: one burst "LRRX" (4 packets, 2 lost) between gaps of 3.
        #expect(report.burstGap == BurstGapReport(burstDensity: 0.5, gapDensity: 0, burstDurationMs: 80, gapDurationMs: 60, meanLossRunPackets: 1))
        #expect(abs(report.concealmentRatio - 0.1) < 1e-12)
        #expect(report.concealmentEvents == 1 && report.fecRecoveredFrames == 1 && report.redundancyRecoveredFrames == 0)
        #expect(report.jitterBufferDelayMs == Distribution(mean: 40, p50: 40, p95: 40, p99: 40, max: 40))
        #expect(report.targetDelayMs == Distribution(mean: 40, p50: 40, p95: 40, p99: 40, max: 40))
        // E-model: 1 concealed frame of 10 (FEC recovery does not count) → Ppl = 10 %.
        // Concealment sequence FFFFFFTFFF: p = 1/8 (8 good frames with a successor, 1 → loss),
        // r = 1/1 → BurstR = 1/1.125. d = 96.5 ms.
        let burstR = 1 / 1.125
        let ieEff = 95 * 10 / (10 / burstR + 25.1)
        let expectedR = 93.2 - 0.024 * 96.5 - ieEff
        #expect(abs(report.rFactor - expectedR) < 1e-9)
        #expect(abs(report.mosEmodel - EModel.mos(rFactor: expectedR)) < 1e-12)
        // Timeline marks: lost (sent 60 ms), late (sent 120 ms), FEC (150 ms), concealed (210 ms).
        #expect(timeline.events.map(\.kind) == ["lost", "late", "recoveredFEC", "concealed"])
        #expect(timeline.events.map(\.t) == [0.06, 0.12, 0.15, 0.21])
        #expect(timeline.targetDelay.count == 10 && timeline.bufferDelay.count == 8)
        _ = try JSONEncoder().encode(report)
    }

    @Test func packetFates() {
        let fates = PacketFate.classify(Self.record())
        #expect(fates.map(\.fate) == [.played, .played, .played, .lost, .played, .played, .discarded, .played, .played, .played])
    }

    @Test func audioLatencyAgreesWithTimestampLatency() {
        // The listener's track is the talker's source delayed by the frames' 96.5 ms.
        let signal = MetricsSignals.Partials(seed: 4)
        let source = MetricsSignals.render(signal, seconds: 3)
        let track = MetricsSignals.render(signal, seconds: 3.2, delay: { _ in 0.0965 })
        let (report, timeline) = StreamAnalyzer.analyze(
            Self.record(source: source, track: track), crossCorrelation: .init(maximumLagMilliseconds: 250))
        let windows = CrossCorrelationLatency.analyze(source: source, track: track, settings: .init(maximumLagMilliseconds: 250))
        #expect(report.latencyXcorrWindows == 3 && timeline.xcorrLatency.count == 3, "\(windows)")
        #expect(abs((report.latencyXcorrMs?.mean ?? .nan) - (report.latencyMs?.mean ?? .nan)) < 1000 / 48_000.0)
    }

    /// A stream of which nothing was played is dead: full loss, no latency, the lowest score.
    @Test func emptyRecordIsADeadStreamAndEncodes() throws {
        let empty = StreamRecord(
            from: "a", to: "b", frameSamples: 0, lookaheadSamples: 0, mouthTimeOfTimestampZero: .zero, sent: [], arrivals: [],
            playout: [], jitterBuffer: JitterBufferStatistics(), source: [], track: [])
        let (report, timeline) = StreamAnalyzer.analyze(empty)
        #expect(report.isDead && report.latencyMs == nil && report.latencyXcorrMs == nil)
        #expect(report.packetLoss == 1 && report.concealmentRatio == 1 && report.rFactor == 0 && report.mosEmodel == 1)
        #expect(report.lateLoss == 0 && report.bitrateKbps == 0 && report.jitterRfc3550Ms == 0 && report.burstGap.burstDensity == 0)
        #expect(timeline.latency.isEmpty && timeline.events.isEmpty)
        let json = String(decoding: try JSONEncoder().encode(report), as: UTF8.self)
        #expect(!json.contains("nan"))
        #expect(json.contains("\"latency_ms\":null") && json.contains("\"latency_xcorr_ms\":null"))
        #expect(try JSONDecoder().decode(StreamReport.self, from: Data(json.utf8)) == report)
    }

    /// 100 % loss: every packet sent, none arrived, only concealment played.
    @Test func streamWithEveryPacketLostIsDead() {
        var record = Self.record()
        record.arrivals = []
        record.playout = record.playout.map { PlayoutEvent(playoutTime: $0.playoutTime, timestamp: nil, outcome: .concealed, bufferDelayMilliseconds: nil, targetDelayMilliseconds: $0.targetDelayMilliseconds) }
        let report = StreamAnalyzer.analyze(record).report
        #expect(report.isDead && report.packetsSent > 0 && report.packetLoss == 1)
        #expect(report.mosEmodel == 1 && report.rFactor == 0 && report.concealmentRatio == 1)
    }

    @Test func roomAggregates() {
        var a = StreamAnalyzer.analyze(Self.record()).report
        var b = a
        b.from = "bob"
        b.to = "alice"
        b.latencyMs = Distribution(mean: 150, p50: 140, p95: 210, p99: 250, max: 300)
        b.mosEmodel = 4.0
        b.concealmentRatio = 0.3
        var c = a
        c.packetsReceived = 0  // partitioned: dead, no latency to average
        c.latencyMs = nil
        c.mosEmodel = 1
        a.mosEmodel = 4.2
        let room = StreamAnalyzer.room([a, b, c], participants: 2)
        #expect(room.participants == 2 && room.streams == 3)
        #expect(abs((room.meanLatencyMs ?? 0) - (96.5 + 150) / 2) < 1e-9)
        #expect(room.worstP95LatencyMs == 210)
        #expect(room.worstMos == 1)
        #expect(abs(room.meanMos - (4.2 + 4.0 + 1) / 3) < 1e-12)
        #expect(abs(room.meanConcealmentRatio - (0.1 + 0.3 + 0.1) / 3) < 1e-12)
        var empty = RoomReport(participants: 0, streams: 0, meanLatencyMs: 0, worstP95LatencyMs: 0, meanConcealmentRatio: 0, worstMos: 0, meanMos: 0)
        empty.visqolScoredStreams = 0
        #expect(StreamAnalyzer.room([], participants: 0) == empty)
        // Every stream dead: no latency at all (null), not a flattering 0.
        let allDead = StreamAnalyzer.room([c, c], participants: 2)
        #expect(allDead.meanLatencyMs == nil && allDead.worstP95LatencyMs == nil && allDead.worstMos == 1)
    }

    @Test func timelineDownsamplingKeepsExtremes() {
        var points = (0..<20_000).map { StreamTimeline.Point(t: Double($0) / 50, value: 100) }
        points[12_345].value = 900  // a one-frame spike
        points[3_000].value = 5
        let thinned = TimelineDownsampling.minMax(points)
        #expect(thinned.count <= TimelineDownsampling.defaultLimit)
        #expect(thinned.contains(points[12_345]) && thinned.contains(points[3_000]))
        #expect(zip(thinned, thinned.dropFirst()).allSatisfy { $0.t < $1.t })
        #expect(TimelineDownsampling.minMax(Array(points.prefix(10))) == Array(points.prefix(10)))
        #expect(TimelineDownsampling.stride(Array(0..<12_000)).count <= TimelineDownsampling.defaultLimit)
    }
}
