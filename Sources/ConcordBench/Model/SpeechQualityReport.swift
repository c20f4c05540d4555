/// ViSQOL v3 (speech mode, deep-lattice MOS-LQO) of what the listener heard of the talker (its
/// track) against what the talker said (its source after capture), whole stream and steady state.
///
/// A figure that could not be computed is `null` with its reason beside it, never a made-up
/// number: a stream too short or silent to score, or a run told not to score
/// (`--speech-quality none`).
public struct SpeechQualityReport: Codable, Sendable, Equatable {
    /// MOS-LQO, 1…5, of the whole stream.
    public var visqolMos: Double?
    /// MOS-LQO from the moment the jitter buffer settled (`steady_state.from_seconds`).
    public var visqolMosSteadyState: Double?
    /// How late the track was against the source by ViSQOL's global alignment, ms: one
    /// mouth-to-ear latency for the whole stream as the scorer saw it (to be checked against
    /// `latency_ms`; a stream whose latency changed lines up on the delay it spent most speech at).
    public var visqolLagMs: Double?
    /// Why `visqol_mos` is null.
    public var visqolNotScored: String?
    /// Why `visqol_mos_steady_state` is null.
    public var visqolSteadyStateNotScored: String?

    enum CodingKeys: String, CodingKey {
        case visqolMos = "visqol_mos"
        case visqolMosSteadyState = "visqol_mos_steady_state"
        case visqolLagMs = "visqol_lag_ms"
        case visqolNotScored = "visqol_not_scored"
        case visqolSteadyStateNotScored = "visqol_steady_state_not_scored"
    }

    public init(
        visqolMos: Double? = nil, visqolMosSteadyState: Double? = nil, visqolLagMs: Double? = nil,
        visqolNotScored: String? = nil, visqolSteadyStateNotScored: String? = nil
    ) {
        self.visqolMos = visqolMos
        self.visqolMosSteadyState = visqolMosSteadyState
        self.visqolLagMs = visqolLagMs
        self.visqolNotScored = visqolNotScored
        self.visqolSteadyStateNotScored = visqolSteadyStateNotScored
    }

    /// Nothing scored, for one reason.
    public static func notScored(_ reason: String) -> SpeechQualityReport {
        SpeechQualityReport(visqolNotScored: reason, visqolSteadyStateNotScored: reason)
    }

    /// Every key written, absent figures as explicit `null`s.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(visqolMos, forKey: .visqolMos)
        try c.encode(visqolMosSteadyState, forKey: .visqolMosSteadyState)
        try c.encode(visqolLagMs, forKey: .visqolLagMs)
        try c.encode(visqolNotScored, forKey: .visqolNotScored)
        try c.encode(visqolSteadyStateNotScored, forKey: .visqolSteadyStateNotScored)
    }
}
