import Concord
import Foundation
import SeededRandom

extension SplitMix64 {
    /// Uniform in [−1, 1).
    mutating func symmetric() -> Double { unit() * 2 - 1 }
}

enum MetricsSignals {
    static let rate = 48_000.0

    /// A speech-like test signal, defined in continuous time so that it can be delayed by any
    /// fraction of a sample exactly: 16 partials at random frequencies (120–3 000 Hz) and phases,
    /// under a syllable-rate (3–7 Hz) envelope, with silent stretches where `silent(t)` holds.
    struct Partials {
        var frequencies: [Double] = []
        var phases: [Double] = []
        var amplitudes: [Double] = []
        var envelopeRate: Double
        var envelopePhase: Double

        init(seed: UInt64) {
            var random = SplitMix64(seed: seed)
            for _ in 0..<16 {
                frequencies.append(120 + random.unit() * 2_880)
                phases.append(random.unit() * 2 * .pi)
                amplitudes.append(0.02 + random.unit() * 0.04)
            }
            envelopeRate = 3 + random.unit() * 4
            envelopePhase = random.unit() * 2 * .pi
        }

        func value(at t: Double) -> Double {
            var sum = 0.0
            for k in frequencies.indices { sum += amplitudes[k] * sin(2 * .pi * frequencies[k] * t + phases[k]) }
            let envelope = 0.55 + 0.45 * sin(2 * .pi * envelopeRate * t + envelopePhase)
            return sum * envelope
        }
    }

    /// `seconds` of `signal` delayed by `delay(t)` seconds (t the output time), zero where
    /// `silentAt` says the talker was silent at the *spoken* time.
    static func render(
        _ signal: Partials, seconds: Double, delay: (Double) -> Double = { _ in 0 },
        silentAt: (Double) -> Bool = { _ in false }
    ) -> [Float] {
        let count = Int(seconds * rate)
        return (0..<count).map { index in
            let t = Double(index) / rate
            let spoken = t - delay(t)
            guard spoken >= 0, !silentAt(spoken) else { return 0 }
            return Float(signal.value(at: spoken))
        }
    }

    /// White noise, uniform in ±amplitude.
    static func noise(seconds: Double, amplitude: Double, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        return (0..<Int(seconds * rate)).map { _ in Float(random.symmetric() * amplitude) }
    }
}

extension Instant {
    static func ms(_ value: Double) -> Instant { .milliseconds(value) }
}
