/// The benchmark's results; encoded as `report.json` with the stable snake_case names below
/// (documented field by field in the README). Wall-clock fields are the only ones that differ
/// between two runs with the same seed.
public struct BenchReport: Codable, Sendable, Equatable {
    public var scenario: String
    public var seed: UInt64
    public var simulatedSeconds: Double
    public var wallSeconds: Double
    /// CPU time of the simulation (all its threads; the analysis afterwards is not counted).
    public var cpuSeconds: Double
    /// CPU time inside Opus encode/decode calls.
    public var cpuCodecSeconds: Double
    /// Everything else: engine, simulator, metrics.
    public var cpuOtherSeconds: Double
    /// `cpuSeconds / simulatedSeconds`.
    public var cpuSecondsPerSimulatedSecond: Double
    /// Wall time of the simulation alone (without analysis and report writing).
    public var simulationWallSeconds: Double
    /// Simulated seconds per wall second of the simulation.
    public var speedFactor: Double
    public var network: String
    /// What played every received stream: "concord adaptive", "concord fixed 60 ms", "neteq".
    public var jitterBuffer: String
    public var streams: [StreamReport]
    public var room: RoomReport
    /// The room protocol's measurements; nil (absent from the JSON) for a fixed mesh.
    public var membership: MembershipReport?
    /// The security layer's costs and rejections; nil (absent from the JSON) when unsealed.
    public var security: SecurityReport?
    /// Joins, leaves, crashes, partitions, heals and link changes, in time order.
    public var scenarioEvents: [ScenarioEventReport]?
    /// What the listeners reported to the talkers, beside the bench's own figures.
    public var receiverReports: ReceiverReportsReport?
    /// Each talker's adaptations of its loss protection; nil (absent) when protection is fixed.
    public var protection: ProtectionReport?
    /// Echo and noise at the microphones and what the capture processing left; nil (absent)
    /// when no participant has a room.
    public var acoustics: AcousticsReport?
    /// A live run only: how it compares with the virtual-time run of the same scenario and seed.
    public var live: LiveComparisonReport?

    enum CodingKeys: String, CodingKey {
        case scenario, seed, network, streams, room, membership, security, protection, live, acoustics
        case jitterBuffer = "jitter_buffer"
        case scenarioEvents = "scenario_events"
        case receiverReports = "receiver_reports"
        case simulatedSeconds = "simulated_seconds"
        case wallSeconds = "wall_seconds"
        case cpuSeconds = "cpu_seconds"
        case cpuCodecSeconds = "cpu_codec_seconds"
        case cpuOtherSeconds = "cpu_other_seconds"
        case cpuSecondsPerSimulatedSecond = "cpu_seconds_per_simulated_second"
        case simulationWallSeconds = "simulation_wall_seconds"
        case speedFactor = "speed_factor"
    }

    public init(
        scenario: String, seed: UInt64, simulatedSeconds: Double, wallSeconds: Double, simulationWallSeconds: Double? = nil,
        cpuSeconds: Double, cpuCodecSeconds: Double, network: String, jitterBuffer: String, streams: [StreamReport], room: RoomReport,
        membership: MembershipReport? = nil, security: SecurityReport? = nil, scenarioEvents: [ScenarioEventReport]? = nil,
        receiverReports: ReceiverReportsReport? = nil, protection: ProtectionReport? = nil, acoustics: AcousticsReport? = nil
    ) {
        self.scenario = scenario
        self.seed = seed
        self.simulatedSeconds = simulatedSeconds
        self.wallSeconds = wallSeconds
        self.cpuSeconds = cpuSeconds
        self.cpuCodecSeconds = cpuCodecSeconds
        self.cpuOtherSeconds = max(0, cpuSeconds - cpuCodecSeconds)
        self.cpuSecondsPerSimulatedSecond = simulatedSeconds > 0 ? cpuSeconds / simulatedSeconds : 0
        self.simulationWallSeconds = simulationWallSeconds ?? wallSeconds
        self.speedFactor = self.simulationWallSeconds > 0 ? simulatedSeconds / self.simulationWallSeconds : 0
        self.network = network
        self.jitterBuffer = jitterBuffer
        self.streams = streams
        self.room = room
        self.membership = membership
        self.security = security
        self.scenarioEvents = scenarioEvents
        self.receiverReports = receiverReports
        self.protection = protection
        self.acoustics = acoustics
    }
}

/// mean / p50 / p95 / p99 / max of a sample (0 when empty).
public struct Distribution: Codable, Sendable, Equatable {
    public var mean: Double
    public var p50: Double
    public var p95: Double
    public var p99: Double
    public var max: Double
    public init(mean: Double, p50: Double, p95: Double, p99: Double, max: Double) {
        self.mean = mean
        self.p50 = p50
        self.p95 = p95
        self.p99 = p99
        self.max = max
    }
}

/// RFC 3611 §4.7 burst/gap metrics (Gmin = 16), over the frames that were lost or discarded.
public struct BurstGapReport: Codable, Sendable, Equatable {
    /// Fraction of packets lost or discarded within bursts.
    public var burstDensity: Double
    /// Fraction lost or discarded within gaps.
    public var gapDensity: Double
    /// Mean burst duration, ms.
    public var burstDurationMs: Double
    /// Mean gap duration, ms.
    public var gapDurationMs: Double
    /// Mean run length of consecutive losses, packets (the E-model's BurstR is derived from the runs).
    public var meanLossRunPackets: Double

    enum CodingKeys: String, CodingKey {
        case burstDensity = "burst_density"
        case gapDensity = "gap_density"
        case burstDurationMs = "burst_duration_ms"
        case gapDurationMs = "gap_duration_ms"
        case meanLossRunPackets = "mean_loss_run_packets"
    }
    public init(burstDensity: Double, gapDensity: Double, burstDurationMs: Double, gapDurationMs: Double, meanLossRunPackets: Double) {
        self.burstDensity = burstDensity
        self.gapDensity = gapDensity
        self.burstDurationMs = burstDurationMs
        self.gapDurationMs = gapDurationMs
        self.meanLossRunPackets = meanLossRunPackets
    }
}

/// Metrics of one directed stream, talker → listener.
public struct StreamReport: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    /// Mouth-to-ear latency from frame timestamps (capture → playout, lookahead included);
    /// nil (`null` in the JSON) for a dead stream, which played no frame of the talker's.
    public var latencyMs: Distribution?
    /// Mouth-to-ear latency measured on the audio (windowed cross-correlation); p99/max too;
    /// nil (`null`) for a dead stream.
    public var latencyXcorrMs: Distribution?
    /// Windows in which the cross-correlation found the talker (confidence above threshold).
    public var latencyXcorrWindows: Int
    /// RFC 3550 §6.4.1 interarrival jitter at the end of the run, ms.
    public var jitterRfc3550Ms: Double
    public var packetsSent: Int
    public var packetsReceived: Int
    /// Fraction of sent packets that never arrived.
    public var packetLoss: Double
    /// Fraction of sent packets that arrived too late to play.
    public var lateLoss: Double
    public var burstGap: BurstGapReport
    /// Concealed share of the talker's active playout.
    public var concealmentRatio: Double
    public var concealmentEvents: Int
    public var jitterBufferDelayMs: Distribution
    public var targetDelayMs: Distribution
    public var fecRecoveredFrames: Int
    public var redundancyRecoveredFrames: Int
    /// Voice packet bytes on the wire (UDP payload), kb/s over the talker's sending time.
    public var bitrateKbps: Double
    /// The same with IPv4 + UDP headers (28 bytes a packet).
    public var bitrateWithOverheadKbps: Double
    /// ITU-T G.107 E-model rating and MOS (the README gives Ie, Bpl and their source).
    public var rFactor: Double
    public var mosEmodel: Double
    /// The sound card drift the listener's buffer absorbed (`ClockDriftEstimate`).
    public var clockDrift: ClockDriftReport
    /// The same latency and concealment once the jitter buffer had settled.
    public var steadyState: SteadyStateReport?
    /// ViSQOL speech quality measured on the audio.
    public var quality: SpeechQualityReport?
    /// The jitter buffer's counters under the W3C getStats names.
    public var getStats: GetStatsReport?

    enum CodingKeys: String, CodingKey {
        case from, to
        case latencyMs = "latency_ms"
        case latencyXcorrMs = "latency_xcorr_ms"
        case latencyXcorrWindows = "latency_xcorr_windows"
        case jitterRfc3550Ms = "jitter_rfc3550_ms"
        case packetsSent = "packets_sent"
        case packetsReceived = "packets_received"
        case packetLoss = "packet_loss"
        case lateLoss = "late_loss"
        case burstGap = "burst_gap"
        case concealmentRatio = "concealment_ratio"
        case concealmentEvents = "concealment_events"
        case jitterBufferDelayMs = "jitter_buffer_delay_ms"
        case targetDelayMs = "target_delay_ms"
        case fecRecoveredFrames = "fec_recovered_frames"
        case redundancyRecoveredFrames = "redundancy_recovered_frames"
        case bitrateKbps = "bitrate_kbps"
        case bitrateWithOverheadKbps = "bitrate_with_overhead_kbps"
        case rFactor = "r_factor"
        case mosEmodel = "mos_emodel"
        case clockDrift = "clock_drift"
        case steadyState = "steady_state"
        case quality
        case getStats = "get_stats"
    }

    /// True when the talker spoke while the listener was present and not one of its frames was
    /// played: the stream is dead and scores as such (see `StreamAnalyzer`).
    public var isDead: Bool { latencyMs == nil }

    /// As synthesised, except that an absent latency is written as an explicit `null`: a dead
    /// stream's report has the same keys as a live one's, so readers need not guess.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(from, forKey: .from)
        try c.encode(to, forKey: .to)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(latencyXcorrMs, forKey: .latencyXcorrMs)
        try c.encode(latencyXcorrWindows, forKey: .latencyXcorrWindows)
        try c.encode(jitterRfc3550Ms, forKey: .jitterRfc3550Ms)
        try c.encode(packetsSent, forKey: .packetsSent)
        try c.encode(packetsReceived, forKey: .packetsReceived)
        try c.encode(packetLoss, forKey: .packetLoss)
        try c.encode(lateLoss, forKey: .lateLoss)
        try c.encode(burstGap, forKey: .burstGap)
        try c.encode(concealmentRatio, forKey: .concealmentRatio)
        try c.encode(concealmentEvents, forKey: .concealmentEvents)
        try c.encode(jitterBufferDelayMs, forKey: .jitterBufferDelayMs)
        try c.encode(targetDelayMs, forKey: .targetDelayMs)
        try c.encode(fecRecoveredFrames, forKey: .fecRecoveredFrames)
        try c.encode(redundancyRecoveredFrames, forKey: .redundancyRecoveredFrames)
        try c.encode(bitrateKbps, forKey: .bitrateKbps)
        try c.encode(bitrateWithOverheadKbps, forKey: .bitrateWithOverheadKbps)
        try c.encode(rFactor, forKey: .rFactor)
        try c.encode(mosEmodel, forKey: .mosEmodel)
        try c.encode(clockDrift, forKey: .clockDrift)
        try c.encode(steadyState, forKey: .steadyState)
        try c.encode(quality, forKey: .quality)
        try c.encode(getStats, forKey: .getStats)
    }
}

/// Room-wide aggregates over all streams (and, once rooms exist, membership metrics).
public struct RoomReport: Codable, Sendable, Equatable {
    public var participants: Int
    public var streams: Int
    /// Mean over live streams of each stream's mean latency, ms; nil (`null`) when every
    /// stream is dead (a dead stream has no latency, and a 0 would flatter the room).
    public var meanLatencyMs: Double?
    /// Worst live stream's p95 latency, ms; nil when every stream is dead.
    public var worstP95LatencyMs: Double?
    public var meanConcealmentRatio: Double
    /// Lowest stream MOS.
    public var worstMos: Double
    public var meanMos: Double
    /// ViSQOL MOS-LQO over the scored streams (mean and lowest); nil when none was scored.
    public var meanVisqolMos: Double?
    public var worstVisqolMos: Double?
    /// Streams with a ViSQOL score (the others say why in `quality.visqol_not_scored`).
    public var visqolScoredStreams: Int?
    /// The latency figures above over each live stream's steady state; nil when no stream settled.
    public var meanLatencySteadyStateMs: Double?
    public var worstP95LatencySteadyStateMs: Double?

    enum CodingKeys: String, CodingKey {
        case participants, streams
        case meanLatencyMs = "mean_latency_ms"
        case worstP95LatencyMs = "worst_p95_latency_ms"
        case meanConcealmentRatio = "mean_concealment_ratio"
        case worstMos = "worst_mos"
        case meanMos = "mean_mos"
        case meanVisqolMos = "mean_visqol_mos"
        case worstVisqolMos = "worst_visqol_mos"
        case visqolScoredStreams = "visqol_scored_streams"
        case meanLatencySteadyStateMs = "mean_latency_steady_state_ms"
        case worstP95LatencySteadyStateMs = "worst_p95_latency_steady_state_ms"
    }

    /// As synthesised, with an absent latency written as an explicit `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(participants, forKey: .participants)
        try c.encode(streams, forKey: .streams)
        try c.encode(meanLatencyMs, forKey: .meanLatencyMs)
        try c.encode(worstP95LatencyMs, forKey: .worstP95LatencyMs)
        try c.encode(meanConcealmentRatio, forKey: .meanConcealmentRatio)
        try c.encode(worstMos, forKey: .worstMos)
        try c.encode(meanMos, forKey: .meanMos)
        try c.encode(meanVisqolMos, forKey: .meanVisqolMos)
        try c.encode(worstVisqolMos, forKey: .worstVisqolMos)
        try c.encode(visqolScoredStreams, forKey: .visqolScoredStreams)
        try c.encode(meanLatencySteadyStateMs, forKey: .meanLatencySteadyStateMs)
        try c.encode(worstP95LatencySteadyStateMs, forKey: .worstP95LatencySteadyStateMs)
    }

    public init(participants: Int, streams: Int, meanLatencyMs: Double?, worstP95LatencyMs: Double?, meanConcealmentRatio: Double, worstMos: Double, meanMos: Double) {
        self.participants = participants
        self.streams = streams
        self.meanLatencyMs = meanLatencyMs
        self.worstP95LatencyMs = worstP95LatencyMs
        self.meanConcealmentRatio = meanConcealmentRatio
        self.worstMos = worstMos
        self.meanMos = meanMos
    }
}

/// Per-frame series of one stream, for the HTML report's plots (not part of report.json).
public struct StreamTimeline: Sendable, Equatable {
    public struct Point: Sendable, Equatable {
        /// Simulation time, seconds.
        public var t: Double
        public var value: Double
        public init(t: Double, value: Double) {
            self.t = t
            self.value = value
        }
    }
    public var from: String
    public var to: String
    /// Timestamp latency of each played frame, ms.
    public var latency: [Point]
    /// Cross-correlation latency per analysis window, ms.
    public var xcorrLatency: [Point]
    /// Time each played packet waited in the jitter buffer, ms.
    public var bufferDelay: [Point]
    /// Jitter-buffer target delay at each tick, ms.
    public var targetDelay: [Point]
    /// Ticks with a loss-related outcome: concealed, recoveredFEC, recoveredRedundancy,
    /// accelerated, decelerated (value unused); and late/lost packets by send time.
    public var events: [(t: Double, kind: String)]
    /// When the jitter buffer settled (`SteadyState`), s; nil when it never did.
    public var steadyFromSeconds: Double?
    /// Per-second lanes: concealment and what the network did to the stream.
    public var seconds: StreamSeconds
    /// What the talker said and what the listener heard, as waveform envelopes.
    public var waveform: WaveformPair

    public init(
        from: String, to: String, latency: [Point] = [], xcorrLatency: [Point] = [], bufferDelay: [Point] = [],
        targetDelay: [Point] = [], events: [(t: Double, kind: String)] = [], steadyFromSeconds: Double? = nil,
        seconds: StreamSeconds = StreamSeconds(), waveform: WaveformPair = WaveformPair()
    ) {
        self.steadyFromSeconds = steadyFromSeconds
        self.seconds = seconds
        self.waveform = waveform
        self.from = from
        self.to = to
        self.latency = latency
        self.xcorrLatency = xcorrLatency
        self.bufferDelay = bufferDelay
        self.targetDelay = targetDelay
        self.events = events
    }

    public static func == (a: StreamTimeline, b: StreamTimeline) -> Bool {
        a.from == b.from && a.to == b.to && a.latency == b.latency && a.xcorrLatency == b.xcorrLatency
            && a.bufferDelay == b.bufferDelay && a.targetDelay == b.targetDelay
            && a.events.map(\.t) == b.events.map(\.t) && a.events.map(\.kind) == b.events.map(\.kind)
            && a.steadyFromSeconds == b.steadyFromSeconds && a.seconds == b.seconds && a.waveform == b.waveform
    }
}
