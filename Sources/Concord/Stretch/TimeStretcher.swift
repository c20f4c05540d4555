/// Pitch-synchronous time-scale modification of 48 kHz mono speech, shaped for a playout buffer:
/// it shortens (`accelerate`) or lengthens (`decelerate`) the not-yet-played head of a buffer of
/// decoded samples, in place, by whole pitch periods — or by any small step where the signal is
/// quiet — and refuses, saying why, where a splice would be heard.
///
/// Given the `requiredSamples` (30 ms) that follow `start`, both operations splice at their
/// middle, the *splice point* 15 ms in, as WebRTC NetEq's Accelerate and PreemptiveExpand do:
/// - accelerate crossfades the period before the splice point into the period after it, then
///   drops that second period: one period of speech is gone, and the waveform stays continuous
///   because the fade ends on (nearly) the sample that preceded what now follows it;
/// - decelerate plays the period after the splice point crossfaded into a repeat of the period
///   before it, then goes on from the splice point: one period is played twice.
/// A repeated or dropped glottal cycle of steady voicing is barely audible, which is why the
/// step is a pitch period and why the splice needs the two periods to correlate (≥ 0.9, as
/// NetEq; 0.5 for an urgent accelerate). Where the window is quieter than `quietLevel` (pauses,
/// breath, fricative tails) any step from one sample to 15 ms is taken: at that level the
/// crossfade of unrelated content is not heard. Everywhere else the buffer is left alone —
/// concealing or waiting is the playout buffer's call, not this type's.
///
/// A low-delay buffer rarely holds 30 ms. From `minimumSamples` (5 ms) on, a call works on what
/// there is: periods up to half of it are searched, with the same thresholds, and where none of
/// them repeats — mostly a voice lower than that — it refuses with `aperiodicWithin`. A caller
/// that keeps what it already played in front of `start` says how much (`history`); the period
/// before the splice point may then be history (see `SpliceWindow`), and the correlation also
/// covers the unplayed samples after the point. Decelerate then needs one period of unplayed
/// samples, accelerate one period plus its fade, which then starts at `start` (blending the
/// first unplayed samples into those a period later) and is shortened, where need be, to what is
/// left (at least 2.5 ms): 10 ms ahead reach periods of 7.5 ms (accelerate) and 10 ms
/// (decelerate) instead of 5.
///
/// Samples before `start` are never written, and at most `history` of them (up to 15 ms) are
/// read; nothing after `start + requiredSamples` is read, so the buffer's tail may still be
/// filling. A struct holding only parameters and scratch: the scratch is allocated in `init`,
/// so calls allocate nothing (a copy gets its own scratch on its first call; `decelerate` grows
/// the caller's array by at most `maximumPeriod`, which reserved capacity absorbs). Same input,
/// same output: no state carries from one call to the next.
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
    /// What a call needs after `start` to search every period: two of the longest, one either
    /// side of the splice point. Nothing beyond it is read.
    public static let requiredSamples = 2 * maximumPeriod
    /// The fewest samples after `start` a call works with: two of the shortest periods.
    public static let minimumSamples = 2 * minimumPeriod
    /// NetEq's threshold for stretching active speech.
    public static let periodicThreshold: Float = 0.9
    /// NetEq's threshold for its "fast accelerate".
    public static let urgentThreshold: Float = 0.5
    /// −40 dBFS RMS: below the speech of the fixtures (30 ms windows of it have a median of −22
    /// to −26 dBFS and a tenth percentile of −33 to −35, at a −3 dBFS peak), so pauses and
    /// breath count as quiet and the faint ends of words mostly do not.
    public static let defaultQuietLevel: Float = 0.01

    /// RMS (full scale 1) under which the samples a call reads count as quiet. A playout buffer
    /// that tracks the stream's background noise can raise it to a few times that noise's level.
    public var quietLevel: Float
    private var search: PitchPeriodSearch
    /// The crossfaded samples `decelerate` inserts, built before the array is resized.
    private var blend: [Float]

    public init(quietLevel: Float = TimeStretcher.defaultQuietLevel) {
        self.quietLevel = quietLevel
        search = PitchPeriodSearch(minimumLag: Self.minimumPeriod, maximumLag: Self.maximumPeriod)
        blend = [Float](repeating: 0, count: Self.maximumPeriod)
    }

    /// Removes up to `limit` samples from the not-yet-played `samples[start...]` (one pitch period,
    /// or in `.fast` mode several; in a quiet stretch as many as the window allows, up to 15 ms)
    /// and shifts the rest down. `history` is how many samples before `start` were already played:
    /// they may be read, never written. Returns what was removed, or why nothing was.
    public mutating func accelerate(
        _ samples: inout [Float], at start: Int = 0, history: Int = 0, mode: Mode = .normal,
        limit: Int = TimeStretcher.maximumPeriod
    ) -> TimeStretchOutcome {
        let splice: Splice, outcome: TimeStretchOutcome
        switch plan(samples, start: start, history: history, limit: limit, operation: .accelerate(mode)) {
        case .refuse(let refusal): return .refused(refusal)
        case .stretch(let planned, let result): (splice, outcome) = (planned, result)
        }
        // In place: sample `at + i` blends with `at + step + i`, which is only written later in
        // the loop (or never), so every read sees the original.
        for i in 0..<splice.fade {
            let weight = Float(i + 1) / Float(splice.fade + 1)
            let index = splice.at + i
            samples[index] = (1 - weight) * samples[index] + weight * samples[index + splice.step]
        }
        let removed = splice.at + splice.fade
        samples.removeSubrange(removed..<(removed + splice.step))
        return outcome
    }

    /// Inserts up to `limit` samples into the not-yet-played `samples[start...]` (one pitch period;
    /// in a quiet stretch as many as the window allows, up to 15 ms), shifting the rest up.
    /// `history` is how many samples before `start` were already played: they may be read, never
    /// written. Returns what was inserted, or why nothing was. There is no fast mode: a repeated
    /// period that does not match is an echo, and a buffer running dry has concealment for that.
    public mutating func decelerate(
        _ samples: inout [Float], at start: Int = 0, history: Int = 0, limit: Int = TimeStretcher.maximumPeriod
    ) -> TimeStretchOutcome {
        let splice: Splice, outcome: TimeStretchOutcome
        switch plan(samples, start: start, history: history, limit: limit, operation: .decelerate) {
        case .refuse(let refusal): return .refused(refusal)
        case .stretch(let planned, let result): (splice, outcome) = (planned, result)
        }
        // From `at`, `fade` samples fade from the signal as it was into the signal `step` samples
        // earlier, then the original continues from at - step + fade: the last faded sample is
        // (nearly) the one just before it, so the joins are continuous.
        for i in 0..<splice.fade {
            let weight = Float(i + 1) / Float(splice.fade + 1)
            blend[i] = (1 - weight) * samples[splice.at + i] + weight * samples[splice.at - splice.step + i]
        }
        samples.replaceSubrange(splice.at..<(splice.at - splice.step + splice.fade), with: blend[0..<splice.fade])
        return outcome
    }

    private enum Operation: Equatable {
        case accelerate(Mode)
        case decelerate
    }

    /// One splice: accelerate fades `samples[at ..< at + fade]` into the samples `step` later and
    /// drops the `step` samples after the fade; decelerate inserts `fade` samples at `at` that fade
    /// from the signal there into the signal `step` earlier, and replays `step` samples.
    private struct Splice {
        var step: Int
        var at: Int
        var fade: Int
    }

    private enum Plan {
        case stretch(Splice, TimeStretchOutcome)
        case refuse(TimeStretchRefusal)
    }

    /// Decides the step and the crossfade, or why there is none. Accelerate and decelerate
    /// splice the same two periods, so they share the decision.
    private mutating func plan(_ samples: [Float], start: Int, history: Int, limit: Int, operation: Operation) -> Plan {
        let available = start >= 0 && start <= samples.count ? samples.count - start : 0
        guard available >= Self.minimumSamples else { return .refuse(.shortInput(available: available)) }
        guard limit >= 1 else { return .refuse(.stepAboveLimit(step: 1)) }
        let window = SpliceWindow(
            start: start, available: available, history: history, accelerating: operation != .decelerate)

        let level = rootMeanSquare(samples, window.read)
        guard level.isFinite else { return .refuse(.notFinite) }
        if level <= Double(quietLevel) {
            let step = min(limit, window.longestStep)
            // A step of a few samples still fades over 2.5 ms: a shorter fade of unrelated
            // content would click even at this level.
            let quiet = splice(step: step, fade: max(step, Self.minimumPeriod), in: window, operation)
            return .stretch(quiet, .quiet(samples: step))
        }

        let period = search.bestLag(in: samples, centre: window.splice, longestLag: window.longestStep).lag
        let threshold = operation == .accelerate(.fast) ? Self.urgentThreshold : Self.periodicThreshold
        let single = splice(step: period, fade: period, in: window, operation)
        let correlation = spliceCorrelation(samples, step: period, in: window)
        guard correlation >= threshold else {
            guard window.longestStep == Self.maximumPeriod else {
                return .refuse(
                    .aperiodicWithin(longestPeriod: window.longestStep, period: period, correlation: correlation))
            }
            return .refuse(.aperiodic(period: period, correlation: correlation))
        }
        guard period <= limit else { return .refuse(.stepAboveLimit(step: period)) }
        if operation == .accelerate(.fast) {
            // Several periods at once only where the signal also repeats over that span: the
            // one-period correlation says nothing about a vowel ending 10 ms later.
            var periods = min(limit, window.longestStep) / period
            while periods > 1 {
                let span = periods * period
                let candidate = splice(step: span, fade: span, in: window, operation)
                let spanCorrelation = spliceCorrelation(samples, step: span, in: window)
                if spanCorrelation >= threshold {
                    return .stretch(candidate, .periodic(samples: span, period: period, correlation: spanCorrelation))
                }
                periods -= 1
            }
        }
        return .stretch(single, .periodic(samples: period, period: period, correlation: correlation))
    }

    /// Where a step of `step` samples with a crossfade of (up to) `fade` goes in the window.
    /// Decelerate inserts at the splice point. Accelerate fades the `fade` samples before the
    /// point into those `step` later; where they would reach into the history, the fade starts at
    /// `start` instead and shortens to what is left after the step (at least `minimumPeriod`: the
    /// window keeps its longest step that far from its end).
    private func splice(step: Int, fade: Int, in window: SpliceWindow, _ operation: Operation) -> Splice {
        guard operation != .decelerate else { return Splice(step: step, at: window.splice, fade: fade) }
        let at = max(window.start, window.splice - fade)
        return Splice(step: step, at: at, fade: min(fade, window.end - at - step))
    }

    /// How well the signal repeats after `step` samples: the correlation of the period before the
    /// splice point with the period after it, as NetEq measures it. Where the period before the
    /// point is (partly) history, that pair says only that the first unplayed samples match the
    /// last played ones, so the comparison goes on past the point: the unplayed samples up to
    /// where an accelerate's fade would end (`step`, or what is left after the step) must repeat
    /// too — they are what an accelerate blends. Where the period before the point is unplayed,
    /// the pair covers them.
    private func spliceCorrelation(_ samples: [Float], step: Int, in window: SpliceWindow) -> Float {
        let from = window.splice - step
        let unplayed = window.start + min(step, window.end - window.start - step)
        let to = max(window.splice, unplayed)
        return PitchPeriodSearch.correlation(samples, from: from, count: to - from, lag: step)
    }

    private func rootMeanSquare(_ samples: [Float], _ range: Range<Int>) -> Double {
        var energy = 0.0
        for i in range {
            let value = Double(samples[i])
            energy += value * value
        }
        return (energy / Double(range.count)).squareRoot()
    }
}
