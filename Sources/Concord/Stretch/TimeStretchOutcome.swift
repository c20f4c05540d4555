/// What one `TimeStretcher.accelerate` or `decelerate` call did to the buffer.
public enum TimeStretchOutcome: Equatable, Sendable {
    /// `samples` removed or inserted: whole periods of `period` samples of a signal whose two
    /// periods around the splice correlate at `correlation`.
    case periodic(samples: Int, period: Int, correlation: Float)
    /// `samples` removed or inserted in a stretch too quiet for a splice to be heard, so no
    /// period had to match.
    case quiet(samples: Int)
    /// The buffer is unchanged.
    case refused(TimeStretchRefusal)

    /// How many samples the buffer lost (accelerate) or gained (decelerate); 0 when refused.
    public var samples: Int {
        switch self {
        case .periodic(let samples, _, _), .quiet(let samples): samples
        case .refused: 0
        }
    }
}

/// Why a `TimeStretcher` call left the buffer unchanged.
public enum TimeStretchRefusal: Equatable, Sendable {
    /// Fewer than `TimeStretcher.minimumSamples` samples from the given start (`available` of them).
    case shortInput(available: Int)
    /// The samples hold NaN or an infinity, which no crossfade makes sound.
    case notFinite
    /// Loud and not repetitive enough: the best lag, `period`, correlates at `correlation`, under
    /// the threshold. A splice here would be heard.
    case aperiodic(period: Int, correlation: Float)
    /// Loud, and no period up to `longestPeriod` — all that the samples around the start left
    /// room for, short of `TimeStretcher.maximumPeriod` — correlates enough: the best, `period`,
    /// scores `correlation`. The signal may be aperiodic here, or a voice lower than the window
    /// can hold; more samples after the start, or history before it, make room for longer periods.
    case aperiodicWithin(longestPeriod: Int, period: Int, correlation: Float)
    /// The smallest step the signal allows (a pitch period, or one sample when quiet) is more than
    /// the caller's limit.
    case stepAboveLimit(step: Int)
}
