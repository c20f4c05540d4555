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
    let bandCoefficients: [BandCoefficients]

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
        bandCoefficients = bands.map(BandCoefficients.init)
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
        let bandCount = bands.count, size = windowSize, lanes = FrameLanes.scalarCount
        var values = [[Double]](repeating: [Double](repeating: 0, count: frames), count: bandCount)
        // Sample i of the group's frame f at i·lanes + f; frames past the last stay zero.
        var windowed = [Float](repeating: 0, count: size * lanes)
        signal.withUnsafeBufferPointer { x in
        hann.withUnsafeBufferPointer { window in
        windowed.withUnsafeMutableBufferPointer { windowedBuffer in
            guard let x = x.baseAddress, let window = window.baseAddress, let w = windowedBuffer.baseAddress else { return }
            for first in stride(from: 0, to: frames, by: lanes) {
                let count = min(lanes, frames - first)
                if count < lanes { w.update(repeating: 0, count: size * lanes) }
                for f in 0..<count {
                    let start = x + (first + f) * hopSize
                    for i in 0..<size { w[i * lanes + f] = Float(start[i] * window[i]) }
                }
                for band in 0..<bandCount {
                    let energy = Self.filterEnergy(UnsafePointer(w), count: size, bandCoefficients[band])
                    for f in 0..<count { values[band][first + f] = (Double(energy[f]) / Double(size)).squareRoot() }
                }
            }
        }}}
        return Spectrogram(values: values)
    }

    /// Frames side by side in SIMD lanes, one band at a time: four frames fill an SSE register, where
    /// 21 bands leave lanes empty. Float: twice the lanes per instruction of Double, and the
    /// spectrogram is compared in dB, where Float's rounding in these filters does not show (MOS
    /// within 0.001 of Double filters on 60 s streams at 0–30 % loss; docs/SpeechQuality.md).
    typealias FrameLanes = SIMD4<Float>

    /// One band's cascade with each stage's b0 factored out: stage i computes y = v + z1,
    /// z1 ← (c_i·v + z2) − a1·z1, z2 ← −a2·y, where c_i = b1_i/b0_i − a1 (so the recursion through z1
    /// is one multiply and one subtract long); the b0s come back as one factor on the energy.
    struct BandCoefficients: Sendable {
        var c: (Float, Float, Float, Float)
        var a1: Float
        var negatedA2: Float
        var energyScale: Float

        init(_ band: Band) {
            func c(_ stage: Int) -> Float { Float(band.numerators[stage].1 / band.numerators[stage].0 - band.a1) }
            self.c = (c(0), c(1), c(2), c(3))
            a1 = Float(band.a1)
            negatedA2 = Float(-band.a2)
            let gain = band.numerators.reduce(1.0) { $0 * $1.0 }
            energyScale = Float(gain * gain)
        }
    }

    /// Output energy (sum of squares) of the band's 4-stage cascade over each lane's `count` samples
    /// (interleaved, `x[i·lanes + lane]`), from rest.
    static func filterEnergy(_ x: UnsafePointer<Float>, count: Int, _ k: BandCoefficients) -> FrameLanes {
        let (c0, c1, c2, c3) = k.c
        let a1 = k.a1, na2 = k.negatedA2
        var z10 = FrameLanes(), z20 = FrameLanes(), z11 = FrameLanes(), z21 = FrameLanes()
        var z12 = FrameLanes(), z22 = FrameLanes(), z13 = FrameLanes(), z23 = FrameLanes()
        var energy = FrameLanes()
        for i in 0..<count {
            let v = FrameLanes.load(x + i * FrameLanes.scalarCount)
            let y0 = v + z10
            z10 = (c0 * v + z20) - a1 * z10
            z20 = na2 * y0
            let y1 = y0 + z11
            z11 = (c1 * y0 + z21) - a1 * z11
            z21 = na2 * y1
            let y2 = y1 + z12
            z12 = (c2 * y1 + z22) - a1 * z12
            z22 = na2 * y2
            let y3 = y2 + z13
            z13 = (c3 * y2 + z23) - a1 * z13
            z23 = na2 * y3
            energy += y3 * y3
        }
        return energy * k.energyScale
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

