/// Pitch-synchronous time-scale modification of 48 kHz mono speech, shaped for a playout buffer:
/// it shortens (`accelerate`) or lengthens (`decelerate`) the not-yet-played head of a buffer of
/// decoded samples, in place, by whole pitch periods — or by any small step where the signal is
/// quiet — and refuses, saying why, where a splice would be heard.
///
/// Both operations look at the `requiredSamples` (30 ms) that follow `start` and splice at their
/// middle, the *splice point* 15 ms in, as WebRTC NetEq's Accelerate and PreemptiveExpand do:
/// - accelerate crossfades the period before the splice point into the period after it, then
///   drops that second period: one period of speech is gone, and the waveform stays continuous
///   because the fade ends on (nearly) the sample that preceded what now follows it;
/// - decelerate plays the period after the splice point crossfaded into a repeat of the period
///   before it, then goes on from the splice point: one period is played twice.
/// A repeated or dropped glottal cycle of steady voicing is barely audible, which is why the
/// step is a pitch period and why the splice needs the two periods to correlate (≥ 0.9, as
/// NetEq; 0.5 for an urgent accelerate). Where the 30 ms are quieter than `quietLevel` (pauses,
/// breath, fricative tails) any step from one sample to 15 ms is taken: at that level the
/// crossfade of unrelated content is not heard. Everywhere else the buffer is left alone —
/// concealing or waiting is the playout buffer's call, not this type's.
///
/// Samples before `start` are never read or written; nothing after `start + requiredSamples` is
/// read, so the buffer's tail may still be filling. A struct holding only parameters and
/// scratch: the scratch is allocated in `init`, so calls allocate nothing (a copy gets its own
/// scratch on its first call; `decelerate` grows the caller's array by at most
/// `maximumPeriod`, which reserved capacity absorbs). Same input, same output: no state
/// carries from one call to the next.
public struct TimeStretcher: Sendable {
    /// How eager an `accelerate` may be.
    public enum Mode: Sendable, Equatable {
        /// One period, and only where its two periods correlate at ≥ `periodicThreshold`.
        case normal
        /// As many whole periods as fit in 15 ms, where they correlate at ≥ `urgentThreshold`:
        /// for a buffer far above its target, where a slightly audible splice beats latency.
        case fast
    }

    /// 2.5 ms: a 400 Hz voice, above any speaking pitch.
    public static let minimumPeriod = AudioFormat.sampleRate / 400
    /// 15 ms: a 67 Hz voice, the low end of male speech. Longer would need more than 30 ms of
    /// look-ahead, which a low-latency buffer does not hold.
    public static let maximumPeriod = AudioFormat.sampleRate * 15 / 1000
    /// What each call needs after `start`: two of the longest periods, one either side of the splice point.
    public static let requiredSamples = 2 * maximumPeriod
    /// NetEq's threshold for stretching active speech.
    public static let periodicThreshold: Float = 0.9
    /// NetEq's threshold for its "fast accelerate".
    public static let urgentThreshold: Float = 0.5
    /// −40 dBFS RMS: below the speech of the fixtures (30 ms windows of it have a median of −22
    /// to −26 dBFS and a tenth percentile of −33 to −35, at a −3 dBFS peak), so pauses and
    /// breath count as quiet and the faint ends of words mostly do not.
    public static let defaultQuietLevel: Float = 0.01

    /// RMS (full scale 1) under which 30 ms count as quiet. A playout buffer that tracks the
    /// stream's background noise can raise it to a few times that noise's level.
    public var quietLevel: Float
    private var search: PitchPeriodSearch
    /// The crossfaded samples `decelerate` inserts, built before the array is resized.
    private var blend: [Float]

    public init(quietLevel: Float = TimeStretcher.defaultQuietLevel) {
        self.quietLevel = quietLevel
        search = PitchPeriodSearch(minimumLag: Self.minimumPeriod, maximumLag: Self.maximumPeriod)
        blend = [Float](repeating: 0, count: Self.maximumPeriod)
    }

    /// Removes up to `limit` samples from `samples[start ..< start + requiredSamples]` (one pitch
    /// period, or in `.fast` mode several; in a quiet stretch `min(limit, maximumPeriod)`) and
    /// shifts the rest down. Returns what was removed, or why nothing was.
    public mutating func accelerate(
        _ samples: inout [Float], at start: Int = 0, mode: Mode = .normal, limit: Int = TimeStretcher.maximumPeriod
    ) -> TimeStretchOutcome {
        let step: Int, overlap: Int, outcome: TimeStretchOutcome
        switch plan(samples, start: start, limit: limit, mode: mode) {
        case .refuse(let refusal): return .refused(refusal)
        case .stretch(let planned, let fade, let result): (step, overlap, outcome) = (planned, fade, result)
        }
        let splice = start + Self.requiredSamples / 2
        let fadeStart = splice - overlap
        // In place: sample fadeStart + i blends with fadeStart + step + i, which is only written
        // later in the loop (or never), so every read sees the original.
        for i in 0..<overlap {
            let weight = Float(i + 1) / Float(overlap + 1)
            samples[fadeStart + i] = (1 - weight) * samples[fadeStart + i] + weight * samples[fadeStart + step + i]
        }
        samples.removeSubrange(splice..<(splice + step))
        return outcome
    }

    /// Inserts up to `limit` samples into `samples[start ..< start + requiredSamples]` (one pitch
    /// period; in a quiet stretch `min(limit, maximumPeriod)`), shifting the rest up. Returns what
    /// was inserted, or why nothing was. There is no fast mode: a repeated period that does not
    /// match is an echo, and a buffer running dry has concealment for that.
    public mutating func decelerate(
        _ samples: inout [Float], at start: Int = 0, limit: Int = TimeStretcher.maximumPeriod
    ) -> TimeStretchOutcome {
        let step: Int, overlap: Int, outcome: TimeStretchOutcome
        switch plan(samples, start: start, limit: limit, mode: .normal) {
        case .refuse(let refusal): return .refused(refusal)
        case .stretch(let planned, let fade, let result): (step, overlap, outcome) = (planned, fade, result)
        }
        let splice = start + Self.requiredSamples / 2
        // From the splice point, `overlap` samples fade from the signal as it was into the signal
        // `step` samples earlier, then the original continues from splice - step + overlap: the
        // last faded sample is (nearly) the one just before it, so the joins are continuous.
        for i in 0..<overlap {
            let weight = Float(i + 1) / Float(overlap + 1)
            blend[i] = (1 - weight) * samples[splice + i] + weight * samples[splice - step + i]
        }
        samples.replaceSubrange(splice..<(splice - step + overlap), with: blend[0..<overlap])
        return outcome
    }

    private enum Plan {
        /// Remove or insert `step` samples, crossfading over `overlap` samples.
        case stretch(step: Int, overlap: Int, outcome: TimeStretchOutcome)
        case refuse(TimeStretchRefusal)
    }

    /// Decides the step and the crossfade length, or why there is none. Accelerate and
    /// decelerate splice the same two periods, so they share the decision.
    private mutating func plan(_ samples: [Float], start: Int, limit: Int, mode: Mode) -> Plan {
        let available = start >= 0 && start <= samples.count ? samples.count - start : 0
        guard available >= Self.requiredSamples else { return .refuse(.shortInput(available: available)) }
        guard limit >= 1 else { return .refuse(.stepAboveLimit(step: 1)) }

        let level = rootMeanSquare(samples, start: start)
        guard level.isFinite else { return .refuse(.notFinite) }
        if level <= Double(quietLevel) {
            let step = min(limit, Self.maximumPeriod)
            // A step of a few samples still fades over 2.5 ms: a shorter fade of unrelated
            // content would click even at this level.
            return .stretch(step: step, overlap: max(step, Self.minimumPeriod), outcome: .quiet(samples: step))
        }

        let splice = start + Self.requiredSamples / 2
        let (period, correlation) = search.bestLag(in: samples, centre: splice)
        let threshold = mode == .fast ? Self.urgentThreshold : Self.periodicThreshold
        guard correlation >= threshold else { return .refuse(.aperiodic(period: period, correlation: correlation)) }
        guard period <= limit else { return .refuse(.stepAboveLimit(step: period)) }
        if mode == .fast {
            // Several periods at once only where the signal also repeats over that span: the
            // one-period correlation says nothing about a vowel ending 10 ms later.
            var periods = min(limit, Self.maximumPeriod) / period
            while periods > 1 {
                let span = periods * period
                let spanCorrelation = PitchPeriodSearch.correlation(samples, centre: splice, lag: span)
                if spanCorrelation >= threshold {
                    return .stretch(
                        step: span, overlap: span,
                        outcome: .periodic(samples: span, period: period, correlation: spanCorrelation))
                }
                periods -= 1
            }
        }
        return .stretch(
            step: period, overlap: period, outcome: .periodic(samples: period, period: period, correlation: correlation))
    }

    private func rootMeanSquare(_ samples: [Float], start: Int) -> Double {
        var energy = 0.0
        for i in start..<(start + Self.requiredSamples) {
            let value = Double(samples[i])
            energy += value * value
        }
        return (energy / Double(Self.requiredSamples)).squareRoot()
    }
}
