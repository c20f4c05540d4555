import Foundation
import Testing

@testable import SpeechQuality

/// The hot loops (resampler, gammatone filters, patch search) against plain implementations of what
/// they compute.
@Suite("SpeechQuality's hot loops against plain implementations")
struct FastLoopTests {
    static func values(_ count: Int, seed: UInt64) -> [Double] { TransformTests.values(count, seed: seed) }

    /// Several blocks of outputs, the signal's edges included: the same sum in the same order,
    /// so the same bits.
    @Test func resamplerComputesItsDefinition() {
        let input = Self.values(10_001, seed: 3).map { Float($0 * 0.5) }
        let h = Resampler.taps, half = h.count / 2
        func x(_ i: Int) -> Double { i >= 0 && i < input.count ? Double(input[i]) : 0 }
        let expected = (0..<((input.count + 2) / 3)).map { k -> Double in
            var sum = h[half] * x(3 * k)
            for t in 0..<half { sum += h[t] * (x(3 * k + half - t) + x(3 * k - half + t)) }
            return sum
        }
        let output = Resampler.decimateBy3(input)
        #expect(output.count == expected.count)
        #expect(output == expected)
    }

    /// Seven frames (not a whole number of lane groups): each band's cascade run one frame at a time
    /// with the same Float arithmetic, and Slaney's biquads in Double within Float's rounding.
    @Test func spectrogramFiltersEachFrameFromRest() throws {
        let filterbank = GammatoneFilterbank(sampleRate: 16_000, bandCount: 21, lowFrequency: 50, highFrequency: 8_000)
        let signal = Self.values(filterbank.windowSize + 6 * filterbank.hopSize + 17, seed: 5).map { $0 * 0.3 }
        let spectrogram = try #require(filterbank.spectrogram(signal))
        #expect(spectrogram.frameCount == 7)
        for frame in 0..<7 {
            let start = frame * filterbank.hopSize
            let windowed = (0..<filterbank.windowSize).map { Float(signal[start + $0] * filterbank.hann[$0]) }
            for (index, band) in filterbank.bands.enumerated() {
                let k = filterbank.bandCoefficients[index]
                let c = [k.c.0, k.c.1, k.c.2, k.c.3]
                var z1 = [Float](repeating: 0, count: 4), z2 = z1
                var energy: Float = 0
                for sample in windowed {
                    var v = sample
                    for stage in 0..<4 {
                        let y = v + z1[stage]
                        z1[stage] = (c[stage] * v + z2[stage]) - k.a1 * z1[stage]
                        z2[stage] = k.negatedA2 * y
                        v = y
                    }
                    energy += v * v
                }
                let expected = (Double(energy * k.energyScale) / Double(filterbank.windowSize)).squareRoot()
                #expect(spectrogram.values[index][frame] == expected, "band \(index), frame \(frame)")

                var slaney = windowed.map(Double.init)
                for (b0, b1, _) in band.numerators {
                    var previousInput = 0.0, y1 = 0.0, y2 = 0.0
                    slaney = slaney.map { input in
                        let y = b0 * input + b1 * previousInput - band.a1 * y1 - band.a2 * y2
                        previousInput = input
                        y2 = y1
                        y1 = y
                        return y
                    }
                }
                let rms = (slaney.reduce(0) { $0 + $1 * $1 } / Double(filterbank.windowSize)).squareRoot()
                #expect(abs(spectrogram.values[index][frame] - rms) <= 1e-3 * rms, "band \(index), frame \(frame): Slaney \(rms)")
            }
        }
    }

    /// The search's Float similarity of every offset against NSIM in Double, on a spectrogram with
    /// nearly flat stretches (variances near 1e-7, where a covariance taken as a difference of two
    /// large Float sums would be off by about NSIM's C3 = 4.5e-4) and a reference patch cut from it.
    /// Exactly constant stretches are left out: there NSIM in Double depends on the rounding noise of
    /// a zero variance (√(σ²·1e-12) against C3), which differs with the order of any two sums.
    @Test func searchSimilarityMatchesNSIM() {
        let bands = 21, frames = 160
        let noise = Self.values(bands * frames, seed: 9)
        var rows = (0..<bands).map { band in
            (0..<frames).map { frame in 45 + 30 * noise[band * frames + frame] }
        }
        for band in 3..<9 { for frame in 40..<110 { rows[band][frame] = 62.5 + 1e-3 * noise[band * frames + frame] } }
        for frame in 70..<90 { for band in 0..<bands { rows[band][frame] = 80 + 1e-3 * noise[band * frames + frame] } }
        let flat = PatchSelection.FlatSpectrogram(Spectrogram(values: rows))
        let columns = PatchSelection.DegradedColumns(flat)
        let reference = flat.patch(at: 60, width: PatchSelection.patchFrames).enumerated().map { band, row in
            row.enumerated().map { frame, value in band % 5 == 0 && frame % 3 == 0 ? value + 2 : value }
        }
        let terms = PatchSelection.ReferenceTerms(reference, statistics: NSIM.referenceStatistics(reference))
        var similarities: [Double] = [], bandSums: [Float] = []
        let offsets = 0...(frames - 1)
        PatchSelection.meanSimilarities(terms, columns, offsets: offsets, into: &similarities, bandSums: &bandSums)
        var worst = 0.0
        for offset in offsets {
            let exact = NSIM.compare(reference, flat.patch(at: offset, width: PatchSelection.patchFrames)).similarity
            worst = max(worst, abs(similarities[offset] - exact))
        }
        #expect(worst < 1e-5, "largest difference \(worst)")
    }
}
