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

    // MARK: - Inputs that must not trap

    @Test func shortOrMisplacedInputIsRefused() {
        var stretcher = TimeStretcher()
        var empty: [Float] = []
        #expect(stretcher.accelerate(&empty) == .refused(.shortInput(available: 0)))
        #expect(stretcher.decelerate(&empty) == .refused(.shortInput(available: 0)))
        var short = [Float](repeating: 0.1, count: TimeStretcher.requiredSamples - 1)
        #expect(stretcher.accelerate(&short) == .refused(.shortInput(available: TimeStretcher.requiredSamples - 1)))
        var enough = Self.periodic(period: 400, count: 2_000)
        #expect(stretcher.accelerate(&enough, at: 600) == .refused(.shortInput(available: 1_400)))
        #expect(stretcher.accelerate(&enough, at: -1) == .refused(.shortInput(available: 0)))
        #expect(stretcher.accelerate(&enough, at: 5_000) == .refused(.shortInput(available: 0)))
        #expect(stretcher.accelerate(&enough, at: .max) == .refused(.shortInput(available: 0)))
        #expect(stretcher.decelerate(&enough, limit: 0) == .refused(.stepAboveLimit(step: 1)))
        #expect(stretcher.decelerate(&enough, limit: .min) == .refused(.stepAboveLimit(step: 1)))
        #expect(enough == Self.periodic(period: 400, count: 2_000))
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
