// Time alignment by cross-correlating Hilbert envelopes (ViSQOL's global and per-patch alignment).

import FourierTransform
import Foundation

enum Alignment {
    /// Longest signal whose envelope is computed at its exact length (30 s at 16 kHz).
    static let exactEnvelopeLimit = 480_000

    /// |analytic signal| of the mean-removed signal, plus the mean back.
    static func upperEnvelope(_ signal: [Double], fft: inout FFT) -> [Double] {
        let n = signal.count
        guard n > 0 else { return [] }
        let mean = signal.reduce(0, +) / Double(n)
        // Exact-length transforms (Bluestein) for patches, as ViSQOL defines the envelope; for whole
        // streams a zero-padded power of two costs a third as much and moves only the last few
        // milliseconds of an envelope whose only use is the position of a correlation peak.
        let length = n > Self.exactEnvelopeLimit ? FFT.nextPowerOfTwo(atLeast: n) : n
        var input = ComplexBuffer(count: length)
        for i in 0..<n { input.real[i] = signal[i] - mean }
        var spectrum = fft.transform(input, inverse: false)
        // Analytic signal: keep DC (and Nyquist for even n), double positive frequencies, zero the rest.
        let positiveEnd = length % 2 == 0 ? length / 2 : (length + 1) / 2
        for k in 1..<max(1, positiveEnd) {
            spectrum.real[k] *= 2
            spectrum.imaginary[k] *= 2
        }
        let zeroStart = length % 2 == 0 ? length / 2 + 1 : (length + 1) / 2
        for k in zeroStart..<length {
            spectrum.real[k] = 0
            spectrum.imaginary[k] = 0
        }
        let analytic = fft.transform(spectrum, inverse: true)
        return (0..<signal.count).map { (analytic.real[$0] * analytic.real[$0] + analytic.imaginary[$0] * analytic.imaginary[$0]).squareRoot() + mean }
    }

    /// The lag (samples) maximising the cross-correlation; positive when `degraded` is late.
    static func bestLag(_ reference: [Double], _ degraded: [Double], fft: inout FFT) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 0 else { return 0 }
        let maxLag = n - 1
        let size = FFT.nextPowerOfTwo(atLeast: 2 * n - 1)
        var a = ComplexBuffer(count: size)
        var b = ComplexBuffer(count: size)
        for i in 0..<reference.count { a.real[i] = reference[i] }
        for i in 0..<degraded.count { b.real[i] = degraded[i] }
        fft.radix2(&a, inverse: false)
        fft.radix2(&b, inverse: false)
        for i in 0..<size {
            // a · conj(b)
            let r = a.real[i] * b.real[i] + a.imaginary[i] * b.imaginary[i]
            let im = a.imaginary[i] * b.real[i] - a.real[i] * b.imaginary[i]
            a.real[i] = r
            a.imaginary[i] = im
        }
        fft.radix2(&a, inverse: true)
        // Candidates in order -maxLag ... maxLag; the first maximum wins, as in ViSQOL.
        var bestIndex = 0
        var bestValue = -Double.infinity
        for position in 0...(2 * maxLag) {
            let lag = position - maxLag
            let value = a.real[(lag + size) % size]
            if value > bestValue {
                bestValue = value
                bestIndex = position
            }
        }
        return bestIndex - maxLag
    }

    /// Shifts `degraded` so it lines up with `reference`: zeros prepended when it is early in time
    /// relative to the reference content, its head cut when it is late. Lags over half the reference
    /// are treated as no lag (a false match is worse than none).
    static func globallyAlign(reference: [Double], degraded: [Double], fft: inout FFT) -> (aligned: [Double], lag: Int) {
        let lag = bestLag(upperEnvelope(reference, fft: &fft), upperEnvelope(degraded, fft: &fft), fft: &fft)
        if lag == 0 || Double(abs(lag)) > Double(reference.count) / 2 { return (degraded, 0) }
        if lag < 0 {
            return (Array(degraded[min(-lag, degraded.count)...]), lag)
        }
        return ([Double](repeating: 0, count: lag) + degraded, lag)
    }

    /// Aligns, then truncates both to a common length (ViSQOL's per-patch fine alignment).
    static func alignAndTruncate(reference: [Double], degraded: [Double], sampleRate: Int, fft: inout FFT) -> (reference: [Double], degraded: [Double], lagSeconds: Double) {
        let (alignedDegraded, lag) = globallyAlign(reference: reference, degraded: degraded, fft: &fft)
        let lagSeconds = Double(lag) / Double(sampleRate)
        var ref = reference[...]
        var deg = alignedDegraded[...]
        if ref.count > deg.count {
            ref = ref.prefix(deg.count)
        } else if ref.count < deg.count {
            let lagSamples = Int(lagSeconds * Double(sampleRate))
            if lagSamples > 0 {
                ref = ref.dropFirst(lagSamples)
                deg = deg.dropFirst(lagSamples).prefix(ref.count)
            } else {
                deg = deg.prefix(ref.count)
            }
        }
        let common = min(ref.count, deg.count)
        return (Array(ref.prefix(common)), Array(deg.prefix(common)), lagSeconds)
    }
}
