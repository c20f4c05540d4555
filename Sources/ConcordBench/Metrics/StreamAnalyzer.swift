import Concord

/// Turns what a simulation recorded about one directed stream into its report and plot series,
/// and the streams of a room into the room's aggregate.
///
/// Every figure is a pure function of the `StreamRecord`, so two runs with the same seed give
/// identical reports. Definitions, field by field (see also the metric types):
/// * `latency_ms` — `record.latencyMilliseconds(timestamp:playedAt:)` of every played frame with
///   a timestamp (`.decoded`, `.recoveredFEC`, `.recoveredRedundancy`, `.accelerated`);
/// * `latency_xcorr_ms` — accepted windows of `CrossCorrelationLatency` (source vs track);
/// * `jitter_rfc3550_ms` — `InterarrivalJitter` over the arrivals;
/// * `packet_loss` = 1 − unique sequence numbers arrived / packets sent;
///   `late_loss` = jitter buffer `packetsDiscardedLate` / packets sent;
/// * `burst_gap` — `BurstGapAnalyzer` over `PacketFate` (lost or discarded = 1);
/// * `concealment_ratio`, `concealment_events`, `fec_recovered_frames`,
///   `redundancy_recovered_frames` — the jitter buffer's lifetime counters (W3C definitions);
/// * `jitter_buffer_delay_ms` — `bufferDelayMilliseconds` of played events;
///   `target_delay_ms` — `targetDelayMilliseconds` of every tick from the first non-silent one;
/// * `bitrate_kbps` = Σ bytes·8 / (last send − first send + one frame); the overhead variant
///   adds 28 bytes (IPv4 20 + UDP 8) per packet;
/// * `r_factor`, `mos_emodel` — `EModel` with d = mean timestamp latency and Ppl, BurstR from
///   `EffectiveLoss`;
/// * `steady_state` — from `SteadyState.start`: the latency of the frames played from then on
///   and the concealed share of the talker's playout ticks (silence excluded) from then on;
/// * `get_stats` — `GetStatsMapping`; `quality` is left unscored here (`SpeechQualityScorer`
///   runs beside the analysis, `BenchRun` decides which streams it scores).
///
/// **Dead streams.** A record exists only for a talker that spoke while the listener was present
/// (`Simulation` leaves the others out: they are not streams). If not one of its frames was
/// played (no `.decoded`/recovered/`.accelerated` event with a timestamp) the stream is dead,
/// whatever the reason (100 % loss, a partition, a room that never formed): `latency_ms` and
/// `latency_xcorr_ms` are null, `packet_loss` is 1 − received/sent (1 when nothing was sent),
/// `concealment_ratio` is 1, and the score is the lowest, R = 0 and MOS = 1. Without this a
/// stream with no playout events would count no loss and score MOS 4.41 at latency 0.
public enum StreamAnalyzer {
    /// IPv4 + UDP header bytes per datagram.
    public static let ipUDPOverheadBytes = 28

    public static func analyze(_ record: StreamRecord) -> (report: StreamReport, timeline: StreamTimeline) {
        analyze(record, crossCorrelation: .init())
    }

    /// `learningArrivals`: packets the listener's jitter buffer needs before its steady state can
    /// begin (`SteadyState.learningArrivals`); 0 when it has nothing to learn.
    public static func analyze(
        _ record: StreamRecord, crossCorrelation settings: CrossCorrelationLatency.Settings, learningArrivals: Int = 0
    ) -> (report: StreamReport, timeline: StreamTimeline) {
        let frameMilliseconds = record.frameSamples > 0 ? Double(record.frameSamples) * 1000 / Double(AudioFormat.sampleRate) : 0

        // Per-frame series from the playout events.
        var latency: [StreamTimeline.Point] = []
        var bufferDelay: [StreamTimeline.Point] = []
        var targetDelay: [StreamTimeline.Point] = []
        var marks: [(t: Double, kind: String)] = []
        latency.reserveCapacity(record.playout.count)
        var started = false
        for event in record.playout {
            let t = event.playoutTime.seconds
            switch event.outcome {
            case .decoded, .recoveredFEC, .recoveredRedundancy, .accelerated:
                if let timestamp = event.timestamp {
                    let value = record.latencyMilliseconds(timestamp: timestamp, playedAt: event.playoutTime)
                    if value.isFinite { latency.append(.init(t: t, value: value)) }
                }
            case .concealed, .silence, .decelerated:
                break
            }
            switch event.outcome {
            case .concealed, .recoveredFEC, .recoveredRedundancy, .accelerated, .decelerated:
                marks.append((t, event.outcome.rawValue))
            case .decoded, .silence:
                break
            }
            if event.stretchedSamples != 0 {
                marks.append((t, event.stretchedSamples < 0 ? PlayoutOutcome.accelerated.rawValue : PlayoutOutcome.decelerated.rawValue))
            }
            if let waited = event.bufferDelayMilliseconds, waited.isFinite {
                bufferDelay.append(.init(t: t, value: waited))
            }
            if event.outcome != .silence { started = true }
            if started, event.targetDelayMilliseconds.isFinite {
                targetDelay.append(.init(t: t, value: event.targetDelayMilliseconds))
            }
        }

        // Packets.
        let fates = PacketFate.classify(record)
        for entry in fates where entry.fate != .played {
            marks.append((entry.sendTime.seconds, entry.fate == .lost ? "lost" : "late"))
        }
        marks.sort { $0.t < $1.t }
        let packetsSent = record.sent.count
        let packetsReceived = Set(record.arrivals.map(\.sequence)).count
        func fraction(_ count: Int) -> Double {
            packetsSent > 0 ? min(1, max(0, Double(count) / Double(packetsSent))) : 0
        }
        let burstGap = BurstGapAnalyzer.analyze(lost: fates.map { $0.fate != .played }, packetMilliseconds: frameMilliseconds)

        // Audio latency.
        let windows = CrossCorrelationLatency.analyze(source: record.source, track: record.track, settings: settings)
            .filter(\.accepted)
        let xcorr = windows.map { StreamTimeline.Point(t: $0.playoutSeconds, value: $0.latencyMilliseconds) }

        // Quality.
        let latencyDistribution = Distribution(samples: latency.map(\.value))
        let xcorrDistribution = Distribution(samples: xcorr.map(\.value))
        let loss = EffectiveLoss.measure(playout: record.playout, statistics: record.jitterBuffer)
        let dead = latency.isEmpty
        let r = dead ? 0 : EModel.rFactor(oneWayDelayMilliseconds: latencyDistribution.mean, ppl: loss.percent, burstR: loss.burstR)

        let statistics = record.jitterBuffer
        let frames = { (samples: Int) in record.frameSamples > 0 ? samples / record.frameSamples : 0 }
        let (payload, overhead) = bitrates(record.sent, frameMilliseconds: frameMilliseconds)

        let report = StreamReport(
            from: record.from, to: record.to,
            latencyMs: dead ? nil : latencyDistribution,
            latencyXcorrMs: dead ? nil : xcorrDistribution,
            latencyXcorrWindows: windows.count,
            jitterRfc3550Ms: InterarrivalJitter.milliseconds(arrivals: record.arrivals),
            packetsSent: packetsSent,
            packetsReceived: packetsReceived,
            packetLoss: packetsSent > 0 ? max(0, 1 - Double(packetsReceived) / Double(packetsSent)) : (dead ? 1 : 0),
            lateLoss: fraction(statistics.packetsDiscardedLate),
            burstGap: burstGap,
            concealmentRatio: dead ? 1 : (statistics.concealmentRatio.isFinite ? statistics.concealmentRatio : 0),
            concealmentEvents: statistics.concealmentEvents,
            jitterBufferDelayMs: Distribution(samples: bufferDelay.map(\.value)),
            targetDelayMs: Distribution(samples: targetDelay.map(\.value)),
            fecRecoveredFrames: frames(statistics.fecRecoveredSamples),
            redundancyRecoveredFrames: frames(statistics.redundancyRecoveredSamples),
            bitrateKbps: payload,
            bitrateWithOverheadKbps: overhead,
            rFactor: r.isFinite ? r : 0,
            mosEmodel: EModel.mos(rFactor: r),
            clockDrift: ClockDriftEstimate.analyze(record),
            steadyState: steadyState(record, latency: latency, learningArrivals: learningArrivals),
            quality: .notScored("not scored"),
            getStats: GetStatsMapping.counters(record))
        let timeline = StreamTimeline(
            from: record.from, to: record.to,
            latency: TimelineDownsampling.minMax(latency),
            xcorrLatency: TimelineDownsampling.minMax(xcorr),
            bufferDelay: TimelineDownsampling.minMax(bufferDelay),
            targetDelay: TimelineDownsampling.minMax(targetDelay),
            events: TimelineDownsampling.stride(marks),
            steadyFromSeconds: report.steadyState?.fromSeconds,
            seconds: StreamSecondsAnalyzer.measure(record),
            waveform: WaveformPair(
                source: record.source, track: record.track,
                seconds: Double(max(record.source.count, record.track.count)) / Double(AudioFormat.sampleRate)))
        return (report, timeline)
    }

    /// The figures of `SteadyStateReport` from the moment the buffer settled.
    static func steadyState(_ record: StreamRecord, latency: [StreamTimeline.Point], learningArrivals: Int) -> SteadyStateReport {
        let learntAt: Instant?
        if learningArrivals > 0 {
            guard record.arrivals.count >= learningArrivals else { return SteadyStateReport() }
            learntAt = record.arrivals[learningArrivals - 1].arrivalTime
        } else {
            learntAt = nil
        }
        guard let from = SteadyState.start(of: record.playout, learntAt: learntAt) else { return SteadyStateReport() }
        let settled = latency.filter { $0.t >= from }.map(\.value)
        let talking = record.playout.filter { $0.playoutTime.seconds >= from && $0.outcome != .silence }
        let concealed = talking.filter { $0.outcome == .concealed || $0.outcome == .decelerated }.count
        return SteadyStateReport(
            fromSeconds: from, latencyMs: settled.isEmpty ? nil : Distribution(samples: settled),
            concealmentRatio: talking.isEmpty ? nil : Double(concealed) / Double(talking.count))
    }

    /// Payload and on-the-wire bitrates, kb/s, over the talker's sending time.
    static func bitrates(_ sent: [SentPacketRecord], frameMilliseconds: Double) -> (payload: Double, withOverhead: Double) {
        guard let first = sent.map(\.sendTime).min(), let last = sent.map(\.sendTime).max() else { return (0, 0) }
        let milliseconds = last.milliseconds(since: first) + frameMilliseconds
        guard milliseconds > 0 else { return (0, 0) }
        let bytes = sent.reduce(0) { $0 + max(0, $1.bytes) }
        let wire = bytes + ipUDPOverheadBytes * sent.count
        // bits per millisecond = kilobits per second.
        return (Double(bytes) * 8 / milliseconds, Double(wire) * 8 / milliseconds)
    }

    /// Room aggregates. Latency averages are over live streams (a dead stream has no latency to
    /// average, and a 0 would flatter the room): nil when every stream is dead. MOS and
    /// concealment are over all streams, dead ones included (MOS 1, concealment 1). Zeros when
    /// there are no streams.
    public static func room(_ reports: [StreamReport], participants: Int) -> RoomReport {
        func mean(_ values: [Double]) -> Double? {
            let finite = values.filter(\.isFinite)
            return finite.isEmpty ? nil : finite.reduce(0, +) / Double(finite.count)
        }
        let latencies = reports.compactMap(\.latencyMs)
        var room = RoomReport(
            participants: max(0, participants),
            streams: reports.count,
            meanLatencyMs: reports.isEmpty ? 0 : mean(latencies.map(\.mean)),
            worstP95LatencyMs: reports.isEmpty ? 0 : latencies.map(\.p95).filter(\.isFinite).max(),
            meanConcealmentRatio: mean(reports.map(\.concealmentRatio)) ?? 0,
            worstMos: reports.map(\.mosEmodel).filter(\.isFinite).min() ?? 0,
            meanMos: mean(reports.map(\.mosEmodel)) ?? 0)
        let scores = reports.compactMap { $0.quality?.visqolMos }.filter(\.isFinite)
        room.meanVisqolMos = mean(scores)
        room.worstVisqolMos = scores.min()
        room.visqolScoredStreams = scores.count
        let steady = reports.compactMap { $0.steadyState?.latencyMs }
        room.meanLatencySteadyStateMs = mean(steady.map(\.mean))
        room.worstP95LatencySteadyStateMs = steady.map(\.p95).filter(\.isFinite).max()
        return room
    }
}
