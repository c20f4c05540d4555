import Foundation
import Testing

@testable import SpeechQuality

@Suite("SpeechQuality's transforms and alignment against their definitions")
struct TransformTests {
    /// Deterministic values in [-1, 1) (a 64-bit LCG).
    static func values(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 52) - 1
        }
    }

    /// The DFT by its definition, O(n²).
    static func definition(_ re: [Double], _ im: [Double], inverse: Bool) -> ([Double], [Double]) {
        let n = re.count
        let sign: Double = inverse ? 1 : -1
        var outRe = [Double](repeating: 0, count: n), outIm = outRe
        for k in 0..<n {
            var sr = 0.0, si = 0.0
            for j in 0..<n {
                let angle = sign * 2 * Double.pi * Double((j * k) % n) / Double(n)
                sr += re[j] * cos(angle) - im[j] * sin(angle)
                si += re[j] * sin(angle) + im[j] * cos(angle)
            }
            outRe[k] = inverse ? sr / Double(n) : sr
            outIm[k] = inverse ? si / Double(n) : si
        }
        return (outRe, outIm)
    }

    // Powers of four and of two, 2^a·3^b·5^c (mixed radix) and lengths with other primes (Bluestein).
    @Test(arguments: [2, 4, 8, 16, 32, 256, 512, 3, 5, 6, 12, 15, 100, 360, 400, 7, 79, 97, 243 * 2 + 1])
    func everyLengthMatchesTheDefinition(length: Int) {
        let plans = FourierPlans<Double>()
        let dft = plans.exactLength(length)
        for inverse in [false, true] {
            let re = Self.values(length, seed: UInt64(length)), im = Self.values(length, seed: UInt64(length) + 99)
            let (expectedRe, expectedIm) = Self.definition(re, im, inverse: inverse)
            let buffer = SplitComplexBuffer<Double>(count: length)
            for i in 0..<length {
                buffer.real[i] = re[i]
                buffer.imaginary[i] = im[i]
            }
            dft.transform(real: buffer.real, imaginary: buffer.imaginary, inverse: inverse)
            var worst = 0.0
            for i in 0..<length {
                worst = max(worst, abs(buffer.real[i] - expectedRe[i]), abs(buffer.imaginary[i] - expectedIm[i]))
            }
            #expect(worst < 1e-9, "length \(length), inverse \(inverse): error \(worst)")
        }
    }

    /// |x + i·H(x)| with the analytic signal built from the definition, plus the mean.
    static func envelopeByDefinition(_ signal: [Double]) -> [Double] {
        let n = signal.count
        let mean = signal.reduce(0, +) / Double(n)
        var (re, im) = definition(signal.map { $0 - mean }, [Double](repeating: 0, count: n), inverse: false)
        for k in 0..<n {
            let factor: Double = k == 0 || 2 * k == n ? 1 : (2 * k < n ? 2 : 0)
            re[k] *= factor
            im[k] *= factor
        }
        let (ar, ai) = definition(re, im, inverse: true)
        return (0..<n).map { (ar[$0] * ar[$0] + ai[$0] * ai[$0]).squareRoot() + mean }
    }

    @Test func envelopesOfEqualAndUnequalLengthsMatchTheDefinition() {
        let plans = FourierPlans<Double>()
        let a = Self.values(300, seed: 1).map { $0 + 0.2 }, b = Self.values(300, seed: 2), c = Self.values(257, seed: 3)
        let (envelopeA, envelopeB) = Alignment.upperEnvelopes(a, b, plans: plans)
        let (_, envelopeC) = Alignment.upperEnvelopes(a, c, plans: plans)
        for (computed, signal) in [(envelopeA, a), (envelopeB, b), (envelopeC, c)] {
            let expected = Self.envelopeByDefinition(signal)
            #expect(computed.count == signal.count)
            #expect(zip(computed, expected).allSatisfy { abs($0 - $1) < 1e-9 })
        }
    }

    @Test func bestLagIsTheArgmaxOfTheCrossCorrelation() {
        let plans = FourierPlans<Double>()
        let reference = Self.values(500, seed: 4)
        for (shift, length) in [(0, 500), (37, 480), (-23, 520), (250, 300)] {
            let degraded = (0..<length).map { i -> Double in
                let j = i - shift
                return j >= 0 && j < reference.count ? reference[j] : 0
            }
            // Directly: the correlation at lag m is Σ reference[l + m]·degraded[l], so a late degraded
            // signal peaks at a negative lag.
            let n = max(reference.count, degraded.count)
            var bestLag = 0, bestValue = -Double.infinity
            for lag in -(n - 1)...(n - 1) {
                var sum = 0.0
                for l in 0..<degraded.count where l + lag >= 0 && l + lag < reference.count { sum += reference[l + lag] * degraded[l] }
                if sum > bestValue + 1e-9 { bestValue = sum; bestLag = lag }
            }
            #expect(bestLag == -shift)
            #expect(Alignment.bestLag(reference, degraded, plans: plans) == bestLag, "shift \(shift)")
        }
    }

    /// A few impulses with complex amplitudes: their DFT is a short sum per bin, so transforms too
    /// large for the O(n²) definition are checked at every bin.
    static func impulses(count: Int) -> [(position: Int, real: Double, imaginary: Double)] {
        let positions = values(3, seed: UInt64(count)).map { Int(($0 + 1) / 2 * Double(count - 1)) }
        let amplitudes = values(6, seed: UInt64(count) + 1)
        return positions.enumerated().map { ($1, amplitudes[2 * $0], amplitudes[2 * $0 + 1]) }
    }

    static func largestError<Scalar: FourierScalar>(_: Scalar.Type, size: Int) -> Double {
        let plans = FourierPlans<Scalar>()
        let fft = plans.powerOfTwo(size)
        let buffer = SplitComplexBuffer<Scalar>(count: size)
        var worst = 0.0
        for inverse in [false, true] {
            buffer.real.update(repeating: 0, count: size)
            buffer.imaginary.update(repeating: 0, count: size)
            let spikes = impulses(count: size)
            for spike in spikes {
                buffer.real[spike.position] += Scalar(spike.real)
                buffer.imaginary[spike.position] += Scalar(spike.imaginary)
            }
            fft.transform(real: buffer.real, imaginary: buffer.imaginary, inverse: inverse)
            let sign: Double = inverse ? 1 : -1
            for k in 0..<size {
                var re = 0.0, im = 0.0
                for spike in spikes {
                    let angle = sign * 2 * Double.pi * Double((spike.position * k) % size) / Double(size)
                    re += Double(Scalar(spike.real)) * cos(angle) - Double(Scalar(spike.imaginary)) * sin(angle)
                    im += Double(Scalar(spike.real)) * sin(angle) + Double(Scalar(spike.imaginary)) * cos(angle)
                }
                let scale = inverse ? 1 / Double(size) : 1
                worst = max(worst, abs(Double(buffer.real[k]) - re * scale) / scale, abs(Double(buffer.imaginary[k]) - im * scale) / scale)
            }
        }
        return worst
    }

    // Four-step sizes (4096 on), square and not, in both precisions; the amplitudes are under 1.
    @Test(arguments: [4_096, 8_192, 1 << 16, 1 << 17])
    func fourStepTransformsMatchTheDefinition(size: Int) {
        #expect(Self.largestError(Double.self, size: size) < 1e-12, "Double, \(size) points")
        #expect(Self.largestError(Float.self, size: size) < 1e-4, "Float, \(size) points")
    }

    /// Envelopes of a minute of speech are aligned in Float, the candidate lags re-scored in Double:
    /// the lag must be the one the Double correlation picks, for signals with a clear peak, with
    /// several near-equal peaks (a repeated signal) and with none (constant signals).
    @Test func singlePrecisionAlignmentPicksTheDoubleLag() {
        let n = 40_000
        let noise = Self.values(n, seed: 11).map { abs($0) }
        let repeated = (0..<n).map { noise[$0 % 5_000] }
        let cases: [(String, [Float], [Float])] = [
            ("shifted", noise.map(Float.init), (0..<n).map { Float($0 >= 777 ? noise[$0 - 777] * 0.8 + 0.05 : 0.05) }),
            ("far", noise.map(Float.init), (0..<n).map { Float($0 >= 30_000 ? noise[$0 - 30_000] : 0) }),
            ("repeated", repeated.map(Float.init), (0..<(n - 123)).map { Float(repeated[$0 + 123]) }),
            ("constant", [Float](repeating: 0.3, count: n), [Float](repeating: 0.3, count: n + 500)),
        ]
        for (name, reference, degraded) in cases {
            let expected = Alignment.bestLag(reference.map(Double.init), degraded.map(Double.init), plans: FourierPlans<Double>())
            let lag = Alignment.bestLagOfLongSignals(reference, degraded, plans: FourierPlans<Float>())
            #expect(lag == expected, "\(name): \(lag), Double picks \(expected)")
        }
    }

    /// A silent piece (digital zeros, as speech pauses are) has an envelope of exact zeros and a
    /// correlation of zero at every lag, so no lag: computed beside the other signal in one transform,
    /// its envelope would be that signal's rounding noise and the lag wherever the noise peaked.
    @Test func aSilentSignalIsNotAlignedByRoundingNoise() {
        let noise = Self.values(6_400, seed: 21).map { $0 * 0.01 }
        let silence = [Double](repeating: 0, count: 6_400)
        let (silentEnvelope, _) = Alignment.upperEnvelopes(silence, noise, plans: FourierPlans<Double>())
        #expect(silentEnvelope.allSatisfy { $0 == 0 })
        #expect(Alignment.globalLag(reference: silence, degraded: noise, plans: FourierPlans<Double>()) == 0)
        #expect(Alignment.globalLag(reference: noise, degraded: silence, plans: FourierPlans<Double>()) == 0)
        let long = Self.values(40_000, seed: 22).map { $0 * 0.01 }
        #expect(Alignment.globalLag(reference: long, degraded: [Double](repeating: 0, count: 41_000), plans: FourierPlans<Double>()) == 0)
    }

    /// The circular correlation over half the points settles a lag near zero by itself, and declines
    /// (for the full correlation to decide) when the peak is among the far lags it only has in sums.
    @Test func circularCorrelationSettlesNearLagsOnly() throws {
        let n = 40_000
        let noise = Self.values(n, seed: 11).map { Float(abs($0)) }
        let near = (0..<n).map { $0 >= 777 ? noise[$0 - 777] : 0 }
        let far = (0..<n).map { $0 >= 30_000 ? noise[$0 - 30_000] : 0 }
        let length = Alignment.correlationSize(n, n) / 2
        let plans = FourierPlans<Float>()
        let candidates = try #require(Alignment.circularCandidates(noise, near, length: length, margin: 1e-3, plans: plans, workspace: nil))
        #expect(candidates.contains(-777))
        #expect(Alignment.bestOf(candidates, noise, near) == -777)
        #expect(Alignment.circularCandidates(noise, far, length: length, margin: 1e-3, plans: plans, workspace: nil) == nil)
    }
}
