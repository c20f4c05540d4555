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
        let size = windowSize
        for frame in 0..<frames {
            let start = frame * hopSize
            for i in 0..<size { windowed[i] = signal[start + i] * hann[i] }
            // Two bands per pass, all four stages per sample: independent recursions side by side
            // keep the filters' latency from serialising the work. Plain scalars (not SIMD types)
            // so debug builds stay usable.
            var first = 0
            while first < bandCount {
                let second = min(first + 1, bandCount - 1)
                let (e0, e1) = Self.filterPair(windowed, bands[first], bands[second])
                values[first][frame] = (e0 / Double(size)).squareRoot()
                values[second][frame] = (e1 / Double(size)).squareRoot()
                first += 2
            }
        }
        return Spectrogram(values: values)
    }

    /// Output energy (sum of squares) of two bands' 4-stage cascades over `x`, each from rest.
    /// Transposed direct form II; b2 is zero for every gammatone stage.
    static func filterPair(_ x: [Double], _ p: Band, _ q: Band) -> (Double, Double) {
        let pa1 = p.a1, pa2 = p.a2, qa1 = q.a1, qa2 = q.a2
        let (pb00, pb01, _) = p.numerators[0], (pb10, pb11, _) = p.numerators[1]
        let (pb20, pb21, _) = p.numerators[2], (pb30, pb31, _) = p.numerators[3]
        let (qb00, qb01, _) = q.numerators[0], (qb10, qb11, _) = q.numerators[1]
        let (qb20, qb21, _) = q.numerators[2], (qb30, qb31, _) = q.numerators[3]
        var pz10 = 0.0, pz20 = 0.0, pz11 = 0.0, pz21 = 0.0, pz12 = 0.0, pz22 = 0.0, pz13 = 0.0, pz23 = 0.0
        var qz10 = 0.0, qz20 = 0.0, qz11 = 0.0, qz21 = 0.0, qz12 = 0.0, qz22 = 0.0, qz13 = 0.0, qz23 = 0.0
        var pe = 0.0, qe = 0.0
        x.withUnsafeBufferPointer { input in
            for v in input {
                let py0 = pb00 * v + pz10
                pz10 = pb01 * v - pa1 * py0 + pz20
                pz20 = 0 - pa2 * py0
                let qy0 = qb00 * v + qz10
                qz10 = qb01 * v - qa1 * qy0 + qz20
                qz20 = 0 - qa2 * qy0
                let py1 = pb10 * py0 + pz11
                pz11 = pb11 * py0 - pa1 * py1 + pz21
                pz21 = 0 - pa2 * py1
                let qy1 = qb10 * qy0 + qz11
                qz11 = qb11 * qy0 - qa1 * qy1 + qz21
                qz21 = 0 - qa2 * qy1
                let py2 = pb20 * py1 + pz12
                pz12 = pb21 * py1 - pa1 * py2 + pz22
                pz22 = 0 - pa2 * py2
                let qy2 = qb20 * qy1 + qz12
                qz12 = qb21 * qy1 - qa1 * qy2 + qz22
                qz22 = 0 - qa2 * qy2
                let py3 = pb30 * py2 + pz13
                pz13 = pb31 * py2 - pa1 * py3 + pz23
                pz23 = 0 - pa2 * py3
                let qy3 = qb30 * qy2 + qz13
                qz13 = qb31 * qy2 - qa1 * qy3 + qz23
                qz23 = 0 - qa2 * qy3
                pe += py3 * py3
                qe += qy3 * qy3
            }
        }
        return (pe, qe)
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
