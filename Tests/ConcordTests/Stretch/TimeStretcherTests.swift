import Foundation
import SeededRandom
import Testing
@testable import Concord

@Suite struct TimeStretcherTests {
    /// Harmonics 1…8 of a fundamental whose period is exactly `period` samples, at amplitude ~0.4.
    static func periodic(period: Int, count: Int) -> [Float] {
        (0..<count).map { n in
            var x = 0.0
            for h in 1...8 {
                x += sin(2 * .pi * Double(h * n) / Double(period) + Double(h) * 0.7) / Double(h)
            }
            return Float(x * 0.2)
        }
    }

    /// One period of white noise, repeated: as periodic as `periodic` and as rich as a buzzy voice,
    /// but like itself at no shift other than whole periods. (`periodic` is smooth, and a lag of a
    /// fraction of its period can match it locally — which a window too short to hold the period
    /// cannot tell from a period, as NetEq's test could not either.)
    static func repeatedNoise(period: Int, count: Int) -> [Float] {
        let cycle = noise(count: period, amplitude: 0.5, seed: UInt64(period))
        return (0..<count).map { cycle[$0 % period] }
    }

    static func noise(count: Int, amplitude: Float, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(random.unit() * 2 - 1) * amplitude }
    }

    static func largestJump(_ x: [Float]) -> Float {
        zip(x.dropFirst(), x).map { abs($0 - $1) }.max() ?? 0
    }

    // MARK: - Periodic signals

    @Test(arguments: [150, 240, 400, 700])
    func accelerateRemovesExactlyOnePeriodOfAPeriodicSignal(period: Int) {
        let original = Self.periodic(period: period, count: 3_000)
        var samples = original
        var stretcher = TimeStretcher()
        let outcome = stretcher.accelerate(&samples)
        #expect(outcome.samples == period)
        guard case .periodic(_, let found, let correlation) = outcome else {
            Issue.record("expected a periodic splice, got \(outcome)")
            return
        }
        #expect(found == period)
        #expect(correlation > 0.999)
        #expect(samples.count == original.count - period)
        // Dropping a whole period of a periodic signal leaves the signal itself: the output is the
        // original, cut short at the end — no seam anywhere.
        let error = zip(samples, original).map { abs($0 - $1) }.max() ?? 0
        #expect(error < 1e-4)
    }

    @Test(arguments: [150, 240, 400, 700])
    func decelerateInsertsExactlyOnePeriodOfAPeriodicSignal(period: Int) {
        let original = Self.periodic(period: period, count: 3_000)
        var samples = original
        var stretcher = TimeStretcher()
        let outcome = stretcher.decelerate(&samples, limit: 720)
        #expect(outcome == .periodic(samples: period, period: period, correlation: outcome.correlation))
        #expect(samples.count == original.count + period)
        let extended = Self.periodic(period: period, count: samples.count)
        let error = zip(samples, extended).map { abs($0 - $1) }.max() ?? 0
        #expect(error < 1e-4)
    }

    @Test func aPeriodBetweenSamplesIsSplicedWithoutADiscontinuity() {
        // 123.4 Hz: 388.98 samples, so no whole-sample lag repeats exactly.
        let original = (0..<3_000).map { n -> Float in
            var x = 0.0
            for h in 1...8 { x += sin(2 * .pi * 123.4 * Double(h * n) / 48_000 + Double(h)) / Double(h) }
            return Float(x * 0.2)
        }
        var stretcher = TimeStretcher()
        var shorter = original
        var longer = original
        #expect(stretcher.accelerate(&shorter).samples == 389)
        #expect(stretcher.decelerate(&longer).samples == 389)
        // A seam would show as a jump larger than anything the waveform does by itself.
        let natural = Self.largestJump(original)
        #expect(Self.largestJump(shorter) <= natural * 1.05)
        #expect(Self.largestJump(longer) <= natural * 1.05)
    }

    @Test func aGlidingVoiceIsSplicedAtItsInstantaneousPitch() {
        // TestSignals.voiced glides 110–190 Hz; every 10 ms position should splice at 48 000 / f0.
        let signal = TestSignals.voiced(seconds: 2)
        var stretcher = TimeStretcher()
        for start in stride(from: 0, to: signal.count - TimeStretcher.requiredSamples, by: 480) {
            var samples = signal
            let outcome = stretcher.accelerate(&samples, at: start)
            guard case .periodic(_, let period, _) = outcome else {
                Issue.record("start \(start): \(outcome)")
                continue
            }
            let t = Double(start + TimeStretcher.requiredSamples / 2) / 48_000
            let expected = 48_000 / (150 + 40 * sin(2 * .pi * 0.7 * t))
            #expect(abs(Double(period) - expected) / expected < 0.02, "start \(start): period \(period), expected \(expected)")
        }
    }

    @Test func fastModeRemovesAsManyPeriodsAsFitIn15Milliseconds() {
        var samples = Self.periodic(period: 240, count: 3_000)
        var stretcher = TimeStretcher()
        #expect(stretcher.accelerate(&samples, mode: .fast).samples == 720)
        var limited = Self.periodic(period: 240, count: 3_000)
        #expect(stretcher.accelerate(&limited, mode: .fast, limit: 500).samples == 480)
    }

    @Test func aPeriodLongerThanTheLimitIsRefused() {
        let original = Self.periodic(period: 400, count: 3_000)
        var samples = original
        var stretcher = TimeStretcher()
        #expect(stretcher.accelerate(&samples, limit: 300) == .refused(.stepAboveLimit(step: 400)))
        #expect(stretcher.decelerate(&samples, limit: 399) == .refused(.stepAboveLimit(step: 400)))
        #expect(samples == original)
    }

    // MARK: - Noise and quiet

    @Test func loudWhiteNoiseIsRefused() {
        let original = Self.noise(count: 3_000, amplitude: 0.5, seed: 7)
        var samples = original
        var stretcher = TimeStretcher()
        let accelerated = stretcher.accelerate(&samples)
        let decelerated = stretcher.decelerate(&samples)
        guard case .refused(.aperiodic(_, let correlation)) = accelerated else {
            Issue.record("expected a refusal, got \(accelerated)")
            return
        }
        // Independent samples: the correlation of two periods of n ≥ 120 samples has a standard
        // deviation of 1/√n ≤ 0.09, so 0.9 is ten deviations away.
        #expect(correlation < 0.5)
        #expect(decelerated.samples == 0)
        #expect(samples == original)
    }

    @Test func loudNoiseIsRefusedEvenInFastMode() {
        var samples = Self.noise(count: 3_000, amplitude: 0.5, seed: 11)
        var stretcher = TimeStretcher()
        #expect(stretcher.accelerate(&samples, mode: .fast).samples == 0)
    }

    @Test(arguments: [1, 5, 37, 720])
    func nearSilenceAcceptsSmallSteps(step: Int) {
        // −70 dBFS noise: any splice of it is inaudible.
        let original = Self.noise(count: 3_000, amplitude: 0.0005, seed: 3)
        var stretcher = TimeStretcher()
        var shorter = original
        var longer = original
        #expect(stretcher.accelerate(&shorter, limit: step) == .quiet(samples: step))
        #expect(stretcher.decelerate(&longer, limit: step) == .quiet(samples: step))
        #expect(shorter.count == original.count - step)
        #expect(longer.count == original.count + step)
        // A crossfade never leaves the range of the two signals it blends.
        #expect(Self.largestJump(shorter) <= 2 * 0.0005)
        #expect(Self.largestJump(longer) <= 2 * 0.0005)
    }

    @Test func theQuietLevelDecidesWhatCountsAsQuiet() {
        let original = Self.noise(count: 3_000, amplitude: 0.05, seed: 5)  // RMS 0.029
        var samples = original
        var strict = TimeStretcher()
        #expect(strict.accelerate(&samples, limit: 10).samples == 0)
        var lenient = TimeStretcher(quietLevel: 0.03)
        #expect(lenient.accelerate(&samples, limit: 10) == .quiet(samples: 10))
    }

    @Test func digitalSilenceIsQuiet() {
        var samples = [Float](repeating: 0, count: 2_000)
        var stretcher = TimeStretcher()
        #expect(stretcher.accelerate(&samples) == .quiet(samples: TimeStretcher.maximumPeriod))
        #expect(samples == [Float](repeating: 0, count: 2_000 - TimeStretcher.maximumPeriod))
    }

    // MARK: - The buffer around the head

    @Test func samplesBeforeStartAndBeyondTheWindowAreUntouched() {
        let prefix = Self.noise(count: 1_000, amplitude: 0.5, seed: 9)
        let periodic = Self.periodic(period: 400, count: 3_000)
        let original = prefix + periodic
        var stretcher = TimeStretcher()
        var samples = original
        #expect(stretcher.accelerate(&samples, at: 1_000).samples == 400)
        #expect(Array(samples[..<1_000]) == prefix)
        // Everything after the removed period is the original, shifted down.
        let tail = 1_000 + TimeStretcher.requiredSamples / 2 + 400
        #expect(Array(samples[(tail - 400)...]) == Array(original[tail...]))
    }

    @Test func removedAndInsertedCountsAddUp() throws {
        let speech = try Fixtures.samples("a.wav")
        var samples = Array(speech[0..<96_000])
        var stretcher = TimeStretcher()
        var random = SplitMix64(seed: 42)
        var removed = 0, inserted = 0, accepted = 0
        for _ in 0..<400 {
            let before = samples.count
            let start = Int(random.next() % UInt64(samples.count - TimeStretcher.requiredSamples + 1))
            let limit = 1 + Int(random.next() % 800)
            let outcome: TimeStretchOutcome
            if random.next() & 1 == 0 {
                outcome = stretcher.accelerate(&samples, at: start, mode: random.next() & 1 == 0 ? .normal : .fast, limit: limit)
                removed += outcome.samples
                #expect(samples.count == before - outcome.samples)
            } else {
                outcome = stretcher.decelerate(&samples, at: start, limit: limit)
                inserted += outcome.samples
                #expect(samples.count == before + outcome.samples)
            }
            #expect(outcome.samples <= limit)
            if outcome.samples > 0 { accepted += 1 }
        }
        #expect(samples.count == 96_000 - removed + inserted)
        // Speech is mostly voiced or quiet: most positions allow a splice, some must not.
        #expect(accepted > 100)
        #expect(accepted < 400)
    }

    @Test func noStateCarriesFromOneCallToTheNext() throws {
        let speech = try Fixtures.samples("b.wav")
        var used = TimeStretcher()
        for start in stride(from: 0, to: 40_000, by: 997) {
            var scratch = speech
            _ = used.decelerate(&scratch, at: start)
        }
        for start in stride(from: 0, to: 40_000, by: 1_201) {
            var fresh = TimeStretcher()
            var a = speech, b = speech
            #expect(used.accelerate(&a, at: start) == fresh.accelerate(&b, at: start))
            #expect(a == b)
        }
    }

    // MARK: - Less than 30 ms ahead

    /// The longest period a call can splice with `milliseconds` of unplayed samples after `start`:
    /// half of them without history; with 15 ms of history, all of them for a decelerate, and all
    /// but the shortest fade (2.5 ms) for an accelerate.
    static func longestPeriod(milliseconds: Int, history: Bool, accelerating: Bool) -> Int {
        let ahead = milliseconds * 48
        guard history else { return ahead / 2 }
        return min(TimeStretcher.maximumPeriod, accelerating ? ahead - TimeStretcher.minimumPeriod : ahead)
    }

    /// For each look-ahead, a period that fits with 15 ms of history but not without it (of `repeatedNoise`).
    static let shortWindows = [(milliseconds: 8, period: 240), (12, 400), (20, 700)]

    @Test(arguments: [(milliseconds: 8, period: 150), (12, 240), (20, 400)])
    func aShortWindowStretchesAPeriodOfUpToHalfOfIt(milliseconds: Int, period: Int) {
        let original = Self.periodic(period: period, count: milliseconds * 48)
        var stretcher = TimeStretcher()
        var shorter = original
        let removed = stretcher.accelerate(&shorter, limit: 720)
        #expect(removed == .periodic(samples: period, period: period, correlation: removed.correlation))
        #expect(removed.correlation > 0.999)
        // One whole period of a periodic signal gone: the rest is the signal itself, cut short.
        #expect(shorter.count == original.count - period)
        #expect((zip(shorter, original).map { abs($0 - $1) }.max() ?? 1) < 1e-4)
        var longer = original
        let inserted = stretcher.decelerate(&longer, limit: 720)
        #expect(inserted == .periodic(samples: period, period: period, correlation: inserted.correlation))
        let extended = Self.periodic(period: period, count: longer.count)
        #expect((zip(longer, extended).map { abs($0 - $1) }.max() ?? 1) < 1e-4)
    }

    @Test(arguments: shortWindows)
    func historyLetsAShortWindowStretchALongerPeriod(milliseconds: Int, period: Int) {
        let history = TimeStretcher.maximumPeriod
        let original = Self.repeatedNoise(period: period, count: history + milliseconds * 48)
        var stretcher = TimeStretcher()

        var shorter = original
        let removed = stretcher.accelerate(&shorter, at: history, history: history, limit: 720)
        #expect(removed == .periodic(samples: period, period: period, correlation: removed.correlation))
        #expect(removed.correlation > 0.999)
        #expect(shorter.count == original.count - period)
        // The history is untouched and the output goes on from it as the signal does: across
        // `start` and across the splice the result is the periodic signal itself.
        #expect(shorter[..<history].map(\.bitPattern) == original[..<history].map(\.bitPattern))
        #expect((zip(shorter, original).map { abs($0 - $1) }.max() ?? 1) < 1e-4)

        var longer = original
        let inserted = stretcher.decelerate(&longer, at: history, history: history, limit: 720)
        #expect(inserted == .periodic(samples: period, period: period, correlation: inserted.correlation))
        #expect(longer[..<history].map(\.bitPattern) == original[..<history].map(\.bitPattern))
        let extended = Self.repeatedNoise(period: period, count: longer.count)
        #expect((zip(longer, extended).map { abs($0 - $1) }.max() ?? 1) < 1e-4)
    }

    @Test(arguments: shortWindows)
    func withoutHistoryAPeriodLongerThanHalfTheWindowIsRefusedSayingSo(milliseconds: Int, period: Int) {
        let original = Self.repeatedNoise(period: period, count: TimeStretcher.maximumPeriod + milliseconds * 48)
        var stretcher = TimeStretcher()
        var samples = original
        let longest = Self.longestPeriod(milliseconds: milliseconds, history: false, accelerating: true)
        // The history is there but not declared: it must not be read, so the period cannot be found.
        for outcome in [
            stretcher.accelerate(&samples, at: TimeStretcher.maximumPeriod, limit: 720),
            stretcher.decelerate(&samples, at: TimeStretcher.maximumPeriod, limit: 720),
        ] {
            guard case .refused(.aperiodicWithin(let searched, _, let correlation)) = outcome else {
                Issue.record("expected a refusal for want of look-ahead, got \(outcome)")
                continue
            }
            #expect(searched == longest)
            #expect(searched < period)
            #expect(correlation < TimeStretcher.periodicThreshold)
        }
        #expect(samples == original)
    }

    @Test(arguments: [(milliseconds: 8, period: 300), (8, 500), (12, 500), (12, 600)])
    func withHistoryAPeriodLongerThanTheWindowIsRefusedSayingSo(milliseconds: Int, period: Int) {
        let history = TimeStretcher.maximumPeriod
        let original = Self.repeatedNoise(period: period, count: history + milliseconds * 48)
        var stretcher = TimeStretcher()
        var samples = original
        let accelerated = stretcher.accelerate(&samples, at: history, history: history, limit: 720)
        let longestAccelerate = Self.longestPeriod(milliseconds: milliseconds, history: true, accelerating: true)
        guard case .refused(.aperiodicWithin(longestAccelerate, _, _)) = accelerated else {
            Issue.record("expected a refusal searching up to \(longestAccelerate), got \(accelerated)")
            return
        }
        let decelerated = stretcher.decelerate(&samples, at: history, history: history, limit: 720)
        let longestDecelerate = Self.longestPeriod(milliseconds: milliseconds, history: true, accelerating: false)
        if period > longestDecelerate {
            guard case .refused(.aperiodicWithin(longestDecelerate, _, _)) = decelerated else {
                Issue.record("expected a refusal searching up to \(longestDecelerate), got \(decelerated)")
                return
            }
        } else {
            // Decelerate needs no fade after its period, so it reaches further.
            #expect(decelerated.samples == period)
        }
        #expect(samples.count == original.count + decelerated.samples)
        #expect(samples[..<history] == original[..<history])
    }

    @Test(arguments: [12, 16, 20])
    func aVoiceBetweenSamplesIsSplicedAcrossTheStartWithoutADiscontinuity(milliseconds: Int) {
        // 123.4 Hz: 388.98 samples, so no splice is exact and every crossfade is really used.
        let history = TimeStretcher.maximumPeriod
        let count = history + milliseconds * 48
        let original = (0..<count).map { n -> Float in
            var x = 0.0
            for h in 1...8 { x += sin(2 * .pi * 123.4 * Double(h * n) / 48_000 + Double(h)) / Double(h) }
            return Float(x * 0.2)
        }
        let natural = Self.largestJump(original)
        var stretcher = TimeStretcher()
        var shorter = original
        var longer = original
        let removed = stretcher.accelerate(&shorter, at: history, history: history).samples
        let inserted = stretcher.decelerate(&longer, at: history, history: history).samples
        #expect(removed == 389)
        #expect(inserted == 389)
        #expect(shorter[..<history] == original[..<history])
        #expect(longer[..<history] == original[..<history])
        // A seam, at `start` or at the splice, would show as a jump larger than anything the
        // waveform does by itself.
        #expect(Self.largestJump(shorter) <= natural * 1.05)
        #expect(Self.largestJump(longer) <= natural * 1.05)
    }

    @Test(arguments: [8, 12, 20])
    func aShortQuietWindowTakesTheLongestStepItHolds(milliseconds: Int) {
        let history = TimeStretcher.maximumPeriod
        let original = Self.noise(count: history + milliseconds * 48, amplitude: 0.0005, seed: 17)
        var stretcher = TimeStretcher()
        for withHistory in [false, true] {
            let declared = withHistory ? history : 0
            var shorter = original
            var longer = original
            let removed = stretcher.accelerate(&shorter, at: history, history: declared)
            let inserted = stretcher.decelerate(&longer, at: history, history: declared)
            #expect(removed == .quiet(samples: Self.longestPeriod(milliseconds: milliseconds, history: withHistory, accelerating: true)))
            #expect(inserted == .quiet(samples: Self.longestPeriod(milliseconds: milliseconds, history: withHistory, accelerating: false)))
            var limited = original
            #expect(stretcher.accelerate(&limited, at: history, history: declared, limit: 7) == .quiet(samples: 7))
            #expect(shorter[..<history] == original[..<history])
            #expect(longer[..<history] == original[..<history])
            #expect(Self.largestJump(shorter) <= 2 * 0.0005)
            #expect(Self.largestJump(longer) <= 2 * 0.0005)
        }
    }

    @Test func givenTheFullWindowHistoryChangesNothing() throws {
        let speech = try Fixtures.samples("c.wav")
        var stretcher = TimeStretcher()
        for start in stride(from: 0, to: 60_000, by: 613) {
            for mode in [TimeStretcher.Mode.normal, .fast] {
                var plain = speech, withHistory = speech
                #expect(stretcher.accelerate(&plain, at: start, mode: mode) == stretcher.accelerate(&withHistory, at: start, history: start, mode: mode))
                #expect(plain == withHistory)
            }
            var plain = speech, withHistory = speech
            #expect(stretcher.decelerate(&plain, at: start) == stretcher.decelerate(&withHistory, at: start, history: 720))
            #expect(plain == withHistory)
        }
    }

    @Test func nothingBeforeTheStartIsEverWritten() throws {
        let speech = try Fixtures.samples("a.wav")
        var stretcher = TimeStretcher()
        var random = SplitMix64(seed: 23)
        var accepted = 0
        for _ in 0..<600 {
            let offset = 1_000 + Int(random.next() % UInt64(speech.count - 4_000))
            let start = Int(random.next() % 1_000)
            let available = 240 + Int(random.next() % 1_300)
            let history = Int(random.next() % 900)
            let original = Array(speech[(offset - start)..<(offset + available)])
            var samples = original
            let change: Int
            switch random.next() % 3 {
            case 0: change = -stretcher.accelerate(&samples, at: start, history: history).samples
            case 1: change = -stretcher.accelerate(&samples, at: start, history: history, mode: .fast, limit: 1_000).samples
            default: change = stretcher.decelerate(&samples, at: start, history: history).samples
            }
            if change != 0 { accepted += 1 }
            #expect(samples.count == original.count + change)
            #expect(samples[..<start].map(\.bitPattern) == original[..<start].map(\.bitPattern))
        }
        // Short windows still splice often enough for the check to mean something.
        #expect(accepted > 100)
    }

    // MARK: - Inputs that must not trap

    @Test func shortOrMisplacedInputIsRefused() {
        var stretcher = TimeStretcher()
        var empty: [Float] = []
        #expect(stretcher.accelerate(&empty) == .refused(.shortInput(available: 0)))
        #expect(stretcher.decelerate(&empty) == .refused(.shortInput(available: 0)))
        var short = Self.periodic(period: 150, count: TimeStretcher.minimumSamples - 1)
        let shortOriginal = short
        #expect(stretcher.accelerate(&short, history: 720) == .refused(.shortInput(available: TimeStretcher.minimumSamples - 1)))
        #expect(stretcher.decelerate(&short) == .refused(.shortInput(available: TimeStretcher.minimumSamples - 1)))
        #expect(short == shortOriginal)
        var enough = Self.periodic(period: 400, count: 2_000)
        #expect(stretcher.accelerate(&enough, at: 1_761) == .refused(.shortInput(available: 239)))
        #expect(stretcher.accelerate(&enough, at: -1) == .refused(.shortInput(available: 0)))
        #expect(stretcher.accelerate(&enough, at: 5_000) == .refused(.shortInput(available: 0)))
        #expect(stretcher.accelerate(&enough, at: .max) == .refused(.shortInput(available: 0)))
        #expect(stretcher.accelerate(&enough, at: .min, history: .max) == .refused(.shortInput(available: 0)))
        #expect(stretcher.decelerate(&enough, limit: 0) == .refused(.stepAboveLimit(step: 1)))
        #expect(stretcher.decelerate(&enough, limit: .min) == .refused(.stepAboveLimit(step: 1)))
        #expect(enough == Self.periodic(period: 400, count: 2_000))
    }

    /// Every length from nothing to past the full window, at every kind of start and history, on
    /// signals the window sees as quiet, periodic, aperiodic or broken: each call either changes
    /// the length by what it reports or leaves the array alone, and never traps.
    @Test func shortAndOddInputsDoNotTrap() {
        var stretcher = TimeStretcher()
        let shapes: [[Float]] = [
            [Float](repeating: 0, count: 2_400),
            Self.periodic(period: 131, count: 2_400),
            Self.periodic(period: 701, count: 2_400),
            Self.noise(count: 2_400, amplitude: 0.5, seed: 13),
            (0..<2_400).map { $0 % 2 == 0 ? Float.greatestFiniteMagnitude : -.greatestFiniteMagnitude },
            (0..<2_400).map { $0 == 900 ? Float.nan : 0.1 },
        ]
        let histories = [Int.min, -1, 0, 1, 119, 120, 479, 720, 721, Int.max]
        for shape in shapes {
            for count in [0, 1, 2, 119, 239, 240, 241, 243, 359, 480, 481, 577, 961, 1_439, 1_440, 1_441, 2_400] {
                for start in [0, 1, 7, 120, 720, 960].filter({ $0 <= count }) {
                    for history in histories {
                        for limit in [Int.min, 0, 1, 119, 500, Int.max] {
                            let original = Array(shape[..<count])
                            var shorter = original
                            let removed = stretcher.accelerate(&shorter, at: start, history: history, mode: limit == 500 ? .fast : .normal, limit: limit)
                            #expect(shorter.count == count - removed.samples)
                            #expect(removed.samples <= max(limit, 0))
                            var longer = original
                            let inserted = stretcher.decelerate(&longer, at: start, history: history, limit: limit)
                            #expect(longer.count == count + inserted.samples)
                            #expect(inserted.samples <= max(limit, 0))
                        }
                    }
                }
            }
        }
    }
    @Test(arguments: [Float.greatestFiniteMagnitude, 1e30, 1, Float.leastNonzeroMagnitude])
    func extremeLevelsDoNotTrap(level: Float) {
        var stretcher = TimeStretcher()
        let shapes: [[Float]] = [
            [Float](repeating: level, count: 2_000),
            (0..<2_000).map { $0 % 2 == 0 ? level : -level },
            Self.periodic(period: 300, count: 2_000).map { $0 * level },
        ]
        for shape in shapes {
            var samples = shape
            let removed = stretcher.accelerate(&samples, mode: .fast).samples
            #expect(samples.count == shape.count - removed)
            let inserted = stretcher.decelerate(&samples).samples
            #expect(samples.count == shape.count - removed + inserted)
        }
    }

    @Test func nonFiniteSamplesAreRefused() {
        var stretcher = TimeStretcher()
        for bad in [Float.nan, .infinity, -.infinity] {
            var samples = Self.periodic(period: 400, count: 2_000)
            samples[900] = bad
            let original = samples
            #expect(stretcher.accelerate(&samples, mode: .fast) == .refused(.notFinite))
            #expect(stretcher.decelerate(&samples) == .refused(.notFinite))
            #expect(samples.count == 2_000)
            #expect(zip(samples, original).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) })
        }
    }
}

extension TimeStretchOutcome {
    /// The correlation of a periodic splice, for comparing outcomes whose correlation is not exact.
    fileprivate var correlation: Float {
        if case .periodic(_, _, let correlation) = self { return correlation }
        return .nan
    }
}
