// The gammatone "neurogram": a bank of 4th-order gammatone filters (Slaney's ERB filter design,
// Glasberg & Moore bandwidths), applied to each Hann-windowed 80 ms frame from rest, RMS per band.

import Foundation

/// Bands × frames magnitudes, band 0 the lowest centre frequency; `values[band][frame]`.
struct Spectrogram {
    var values: [[Double]]
    var frameCount: Int { values.first?.count ?? 0 }
}

struct GammatoneFilterbank: Sendable {
    static let earQ = 9.26449
    static let minimumBandwidth = 24.7

    /// Per band (lowest first): the four cascaded biquads' numerators and the shared denominator.
    struct Band: Sendable {
        var numerators: [(Double, Double, Double)]  // 4 stages: b0, b1, b2
        var a1: Double
        var a2: Double
        var centreFrequency: Double
    }

    let bands: [Band]
    let windowSize: Int
    let hopSize: Int
    let hann: [Double]

    init(sampleRate: Int, bandCount: Int, lowFrequency: Double, highFrequency requestedHigh: Double) {
        let high = min(requestedHigh, Double(sampleRate) / 2)
        let q = Self.earQ, minBW = Self.minimumBandwidth
        let t = 1 / Double(sampleRate)
        let step = (-log(high + q * minBW) + log(lowFrequency + q * minBW)) / Double(bandCount)
        var designed: [Band] = []
        for k in 1...bandCount {
            // k = 1 is the highest centre frequency (ERB-spaced); the list is reversed below.
            let cf = -(q * minBW) + exp(Double(k) * step) * (high + q * minBW)
            let erb = cf / q + minBW
            let b = 1.019 * 2 * Double.pi * erb
            let expBT = exp(b * t)
            let b1 = -2 * cos(2 * cf * Double.pi * t) / expBT
            let b2 = exp(-2 * b * t)
            let sinTerm = sin(2 * cf * Double.pi * t) * t
            let bPos = sinTerm * 2 * (3 + pow(2, 1.5)).squareRoot()
            let bNeg = sinTerm * 2 * (3 - pow(2, 1.5)).squareRoot()
            let a = cos(2 * cf * Double.pi * t) * 2 * t
            let a11 = -(a / expBT + bPos / expBT) / 2
            let a12 = -(a / expBT - bPos / expBT) / 2
            let a13 = -(a / expBT + bNeg / expBT) / 2
            let a14 = -(a / expBT - bNeg / expBT) / 2
            // Gain at the centre frequency, from the complex response (Slaney).
            let p1 = pow(2, 3.0 / 2)
            let s1 = (3 - p1).squareRoot(), s2 = (3 + p1).squareRoot()
            let xExp = Complex(angle: 4 * cf * Double.pi * t)
            let x01 = xExp * (-2 * t)
            let x02 = Complex(angle: 2 * cf * Double.pi * t) * (2 * exp(-b * t) * t)
            let xCos = cos(2 * cf * Double.pi * t), xSin = sin(2 * cf * Double.pi * t)
            let x1 = x01 + x02 * (xCos - s1 * xSin)
            let x2 = x01 + x02 * (xCos + s1 * xSin)
            let x3 = x01 + x02 * (xCos - s2 * xSin)
            let x4 = x01 + x02 * (xCos + s2 * xSin)
            let x5 = Complex(real: -2 / exp(2 * b * t), imaginary: 0) - xExp * 2 + (Complex(real: 1, imaginary: 0) + xExp) * (2 / exp(b * t))
            let x5Squared = x5 * x5
            let gain = ((x1 * x2 * x3 * x4) / (x5Squared * x5Squared)).magnitude
            designed.append(Band(
                numerators: [(t / gain, a11 / gain, 0), (t, a12, 0), (t, a13, 0), (t, a14, 0)],
                a1: b1, a2: b2, centreFrequency: cf))
        }
        bands = designed.reversed()
        windowSize = Int((Double(sampleRate) * 0.08).rounded())
        hopSize = Int(Double(windowSize) * 0.25)
        let n = windowSize
        hann = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n - 1)) }
    }

    func frameCount(samples: Int) -> Int {
        samples <= windowSize ? 0 : 1 + (samples - windowSize) / hopSize
    }

    /// Nil when the signal is not longer than one window.
    func spectrogram(_ signal: [Double]) -> Spectrogram? {
        let frames = frameCount(samples: signal.count)
        guard frames > 0 else { return nil }
        let bandCount = bands.count
        var values = [[Double]](repeating: [Double](repeating: 0, count: frames), count: bandCount)
        var windowed = [Double](repeating: 0, count: windowSize)
        var stageInput = [Double](repeating: 0, count: windowSize)
        for frame in 0..<frames {
            let start = frame * hopSize
            for i in 0..<windowSize { windowed[i] = signal[start + i] * hann[i] }
            for (bandIndex, band) in bands.enumerated() {
                for i in 0..<windowSize { stageInput[i] = windowed[i] }
                // Four biquads in cascade, each from rest (ViSQOL resets the filter state per frame).
                for (b0, b1, b2) in band.numerators {
                    var z1 = 0.0, z2 = 0.0
                    let a1 = band.a1, a2 = band.a2
                    stageInput.withUnsafeMutableBufferPointer { x in
                        for i in 0..<x.count {
                            let input = x[i]
                            let output = b0 * input + z1
                            z1 = b1 * input - a1 * output + z2
                            z2 = b2 * input - a2 * output
                            x[i] = output
                        }
                    }
                }
                var energy = 0.0
                for v in stageInput { energy += v * v }
                values[bandIndex][frame] = (energy / Double(windowSize)).squareRoot()
            }
        }
        return Spectrogram(values: values)
    }

    /// dB, an absolute floor at -45 dB, a per-frame floor 45 dB under the louder of the two, then
    /// both shifted so the quietest cell is 0 (ViSQOL's PrepareSpectrogramsForComparison).
    static func prepareForComparison(_ reference: Spectrogram, _ degraded: Spectrogram) -> (Spectrogram, Spectrogram) {
        func decibels(_ s: Spectrogram) -> [[Double]] {
            s.values.map { row in row.map { v in max(10 * log10(v == 0 ? Double.ulpOfOne : abs(v)), -45) } }
        }
        var ref = decibels(reference)
        var deg = decibels(degraded)
        let common = min(reference.frameCount, degraded.frameCount)
        for frame in 0..<common {
            var peak = -Double.infinity
            for band in ref.indices { peak = max(peak, ref[band][frame], deg[band][frame]) }
            let floor = peak - 45
            for band in ref.indices {
                ref[band][frame] = max(ref[band][frame], floor)
                deg[band][frame] = max(deg[band][frame], floor)
            }
        }
        var lowest = Double.infinity
        for row in ref { for v in row { lowest = min(lowest, v) } }
        for row in deg { for v in row { lowest = min(lowest, v) } }
        for band in ref.indices {
            for i in ref[band].indices { ref[band][i] -= lowest }
            for i in deg[band].indices { deg[band][i] -= lowest }
        }
        return (Spectrogram(values: ref), Spectrogram(values: deg))
    }
}

/// Just enough complex arithmetic for the gammatone gain.
struct Complex {
    var real: Double
    var imaginary: Double

    init(real: Double, imaginary: Double) { self.real = real; self.imaginary = imaginary }
    init(angle: Double) { real = cos(angle); imaginary = sin(angle) }

    var magnitude: Double { (real * real + imaginary * imaginary).squareRoot() }

    static func + (a: Complex, b: Complex) -> Complex { Complex(real: a.real + b.real, imaginary: a.imaginary + b.imaginary) }
    static func - (a: Complex, b: Complex) -> Complex { Complex(real: a.real - b.real, imaginary: a.imaginary - b.imaginary) }
    static func * (a: Complex, b: Complex) -> Complex {
        Complex(real: a.real * b.real - a.imaginary * b.imaginary, imaginary: a.real * b.imaginary + a.imaginary * b.real)
    }
    static func * (a: Complex, s: Double) -> Complex { Complex(real: a.real * s, imaginary: a.imaginary * s) }
    static func / (a: Complex, b: Complex) -> Complex {
        let d = b.real * b.real + b.imaginary * b.imaginary
        return Complex(real: (a.real * b.real + a.imaginary * b.imaginary) / d, imaginary: (a.imaginary * b.real - a.real * b.imaginary) / d)
    }
}
