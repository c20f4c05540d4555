/// A stream's figures once its jitter buffer has settled (the rule is `SteadyState`'s), beside
/// the whole-run figures, so that a p95 does not mostly measure the buffer's first seconds.
public struct SteadyStateReport: Codable, Sendable, Equatable {
    /// Simulation time at which the buffer settled, s; null when it never did (then every
    /// figure below is null too).
    public var fromSeconds: Double?
    /// Timestamp latency of the frames played from `from_seconds` on; null when none was.
    public var latencyMs: Distribution?
    /// Concealed share of the talker's playout from `from_seconds` on.
    public var concealmentRatio: Double?

    enum CodingKeys: String, CodingKey {
        case fromSeconds = "from_seconds"
        case latencyMs = "latency_ms"
        case concealmentRatio = "concealment_ratio"
    }

    public init(fromSeconds: Double? = nil, latencyMs: Distribution? = nil, concealmentRatio: Double? = nil) {
        self.fromSeconds = fromSeconds
        self.latencyMs = latencyMs
        self.concealmentRatio = concealmentRatio
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(fromSeconds, forKey: .fromSeconds)
        try c.encode(latencyMs, forKey: .latencyMs)
        try c.encode(concealmentRatio, forKey: .concealmentRatio)
    }
}
