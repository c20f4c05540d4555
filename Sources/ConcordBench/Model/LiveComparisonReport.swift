/// A live run (`concord-bench run --live`) beside the virtual-time run of the same scenario and
/// seed (`report.json` → `live`): per stream and per membership event, the two figures, their
/// difference, and whether it is within the tolerance the bench holds live runs to.
public struct LiveComparisonReport: Codable, Sendable, Equatable {
    public struct Stream: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        /// Mouth-to-ear latency p50 from media timestamps, ms: live, virtual, live − virtual.
        public var latencyLiveMs: Double?
        public var latencyVirtualMs: Double?
        public var latencyDifferenceMs: Double?
        /// |difference| ≤ one codec frame.
        public var latencyWithinFrame: Bool?
        /// The longest delay this stream met outside the simulated network, ms: a stall of its
        /// talker's or its listener's engine (`EngineTiming`), or the relay's latest forward. A
        /// jitter buffer rightly deepens after such a spike, so live latency may exceed the
        /// virtual run's by that much (never more, and never fall short by more than a frame).
        public var stallMs: Double
        /// −frame ≤ difference ≤ frame + `stallMs`.
        public var latencyWithinAllowance: Bool?
        /// The same from the audio (cross-correlation), ms.
        public var latencyXcorrLiveMs: Double?
        public var latencyXcorrVirtualMs: Double?
        public var concealmentLive: Double
        public var concealmentVirtual: Double
        /// Within a factor of `concealmentFactorLimit` of each other, or both below
        /// `concealmentFloor` (where a ratio says nothing).
        public var concealmentWithinFactor: Bool
        public var lossLive: Double
        public var lossVirtual: Double
        public var mosLive: Double?
        public var mosVirtual: Double?

        enum CodingKeys: String, CodingKey {
            case from, to
            case latencyLiveMs = "latency_live_ms"
            case latencyVirtualMs = "latency_virtual_ms"
            case latencyDifferenceMs = "latency_difference_ms"
            case latencyWithinFrame = "latency_within_frame"
            case stallMs = "stall_ms"
            case latencyWithinAllowance = "latency_within_allowance"
            case latencyXcorrLiveMs = "latency_xcorr_live_ms"
            case latencyXcorrVirtualMs = "latency_xcorr_virtual_ms"
            case concealmentLive = "concealment_live"
            case concealmentVirtual = "concealment_virtual"
            case concealmentWithinFactor = "concealment_within_factor"
            case lossLive = "loss_live"
            case lossVirtual = "loss_virtual"
            case mosLive = "mos_live"
            case mosVirtual = "mos_virtual"
        }
    }

    public struct Convergence: Codable, Sendable, Equatable {
        public var event: String
        public var liveMs: Double?
        public var virtualMs: Double?
        /// Within `convergenceLimitMs` of each other (false when only one converged); nil when
        /// the virtual run has no such event (a fixed mesh has no room to converge).
        public var withinLimit: Bool?

        enum CodingKeys: String, CodingKey {
            case event
            case liveMs = "live_ms"
            case virtualMs = "virtual_ms"
            case withinLimit = "within_limit"
        }
    }

    public static let concealmentFactorLimit = 1.5
    /// Below 0.5 % concealed on both sides, the two agree whatever their ratio.
    public static let concealmentFloor = 0.005
    public static let convergenceLimitMs = 250.0

    public var frameMs: Double
    public var streams: [Stream]
    public var convergence: [Convergence]
    /// The relay's scheduling error, ms (how late each datagram left against its due time).
    public var relaySchedulingErrorP50Ms: Double?
    public var relaySchedulingErrorP99Ms: Double?
    /// The longest stall of each participant's engine, ms (participants that ran a client).
    public var engineStallMs: [String: Double]
    /// Streams with latency within a frame / within the allowance for stalls / with a latency on
    /// both sides.
    public var latencyWithinFrame: Int
    public var latencyWithinAllowance: Int
    public var latencyCompared: Int

    enum CodingKeys: String, CodingKey {
        case streams, convergence
        case frameMs = "frame_ms"
        case relaySchedulingErrorP50Ms = "relay_scheduling_error_p50_ms"
        case relaySchedulingErrorP99Ms = "relay_scheduling_error_p99_ms"
        case latencyWithinFrame = "latency_within_frame"
        case latencyWithinAllowance = "latency_within_allowance"
        case latencyCompared = "latency_compared"
        case engineStallMs = "engine_stall_ms"
    }

    /// `live` against `virtual`, stream by stream (matched by talker and listener) and event by
    /// event (matched by name and order).
    public init(
        live: BenchReport, virtual: BenchReport, frameMs: Double, relay: RelayStatistics, engineStallMs: [String: Double]
    ) {
        self.frameMs = frameMs
        self.engineStallMs = engineStallMs
        let relayLateness = relay.schedulingErrorMaxMs ?? 0
        streams = live.streams.map { l in
            let v = virtual.streams.first { $0.from == l.from && $0.to == l.to }
            let a = l.latencyMs?.p50
            let b = v?.latencyMs?.p50
            let difference = a.flatMap { a in b.map { a - $0 } }
            let cl = l.concealmentRatio
            let cv = v?.concealmentRatio ?? 0
            let withinFactor =
                max(cl, cv) < Self.concealmentFloor || (min(cl, cv) > 0 && max(cl, cv) / min(cl, cv) <= Self.concealmentFactorLimit)
            let stall = max(engineStallMs[l.from] ?? 0, engineStallMs[l.to] ?? 0, relayLateness)
            return Stream(
                from: l.from, to: l.to, latencyLiveMs: a, latencyVirtualMs: b, latencyDifferenceMs: difference,
                latencyWithinFrame: difference.map { abs($0) <= frameMs }, stallMs: stall,
                latencyWithinAllowance: difference.map { $0 >= -frameMs && $0 <= frameMs + stall }, latencyXcorrLiveMs: l.latencyXcorrMs?.p50,
                latencyXcorrVirtualMs: v?.latencyXcorrMs?.p50, concealmentLive: cl, concealmentVirtual: cv,
                concealmentWithinFactor: withinFactor, lossLive: l.packetLoss, lossVirtual: v?.packetLoss ?? 0,
                mosLive: l.quality?.visqolMos, mosVirtual: v?.quality?.visqolMos)
        }
        var virtualEvents = virtual.membership?.convergence ?? []
        convergence = (live.membership?.convergence ?? []).map { l in
            let index = virtualEvents.firstIndex { $0.event == l.event }
            let v = index.map { virtualEvents.remove(at: $0) }
            let a = l.convergedAfterMs
            let b = v?.convergedAfterMs
            let within: Bool? =
                v == nil ? nil : a.flatMap { a in b.map { abs(a - $0) <= Self.convergenceLimitMs } } ?? (a == nil && b == nil)
            return Convergence(event: l.event, liveMs: a, virtualMs: b, withinLimit: within)
        }
        relaySchedulingErrorP50Ms = relay.schedulingErrorP50Ms
        relaySchedulingErrorP99Ms = relay.schedulingErrorP99Ms
        latencyCompared = streams.filter { $0.latencyWithinFrame != nil }.count
        latencyWithinFrame = streams.filter { $0.latencyWithinFrame == true }.count
        latencyWithinAllowance = streams.filter { $0.latencyWithinAllowance == true }.count
    }
}
