// Time alignment by cross-correlating Hilbert envelopes (ViSQOL's global and per-patch alignment).
// Both envelopes come from one complex transform pair, and both correlation spectra from one forward
// transform: a real signal in the real part and another in the imaginary part separate by symmetry.

import Foundation

enum Alignment {
    /// Longest signal whose envelope is computed at its exact length (30 s at 16 kHz).
    static let exactEnvelopeLimit = 480_000

    /// The transform length for a signal's envelope: exact, as ViSQOL defines it, for patches; for
    /// whole streams a zero-padded power of two costs a fraction as much and moves only the last few
    /// milliseconds of an envelope whose only use is the position of a correlation peak.
    static func envelopeLength(_ count: Int) -> Int {
        count > exactEnvelopeLimit ? PowerOfTwoFFT.nextPowerOfTwo(atLeast: count) : count
    }

    /// |analytic signal| of each mean-removed signal, plus its mean back.
    static func upperEnvelopes(_ first: [Double], _ second: [Double], plans: FourierPlans) -> ([Double], [Double]) {
        let firstLength = envelopeLength(first.count), secondLength = envelopeLength(second.count)
        if firstLength == secondLength {
            return upperEnvelopes(first, second, length: firstLength, plans: plans)
        }
        return (upperEnvelopes(first, [], length: firstLength, plans: plans).0,
                upperEnvelopes(second, [], length: secondLength, plans: plans).0)
    }

    /// `first` in the real part, `second` (possibly empty) in the imaginary part, zero-padded to
    /// `length`. With Z their joint spectrum, −i·sgn(k)·Z is the spectrum of (Hilbert transform of the
    /// first) + i·(Hilbert transform of the second), so one inverse gives both.
    private static func upperEnvelopes(_ first: [Double], _ second: [Double], length: Int, plans: FourierPlans) -> ([Double], [Double]) {
        guard length > 0, !first.isEmpty else { return ([], []) }
        let firstMean = first.reduce(0, +) / Double(first.count)
        let secondMean = second.isEmpty ? 0 : second.reduce(0, +) / Double(second.count)
        let buffer = SplitComplexBuffer(count: length)
        let re = buffer.real, im = buffer.imaginary
        for i in 0..<first.count { re[i] = first[i] - firstMean }
        for i in 0..<second.count { im[i] = second[i] - secondMean }
        let dft = plans.exactLength(length)
        dft.transform(real: re, imaginary: im, inverse: false)
        // sgn(k): +1 for positive frequencies, −1 for negative ones, 0 at DC and (even lengths) Nyquist.
        let positiveEnd = length % 2 == 0 ? length / 2 : (length + 1) / 2
        re[0] = 0
        im[0] = 0
        for k in 1..<max(1, positiveEnd) {
            let r = re[k]
            re[k] = im[k]
            im[k] = -r
        }
        if length % 2 == 0 {
            re[length / 2] = 0
            im[length / 2] = 0
        }
        for k in (length / 2 + 1)..<max(length / 2 + 1, length) {
            let r = re[k]
            re[k] = -im[k]
            im[k] = r
        }
        dft.transform(real: re, imaginary: im, inverse: true)
        var firstEnvelope = [Double](repeating: 0, count: first.count)
        for i in 0..<first.count {
            let x = first[i] - firstMean, h = re[i]
            firstEnvelope[i] = (x * x + h * h).squareRoot() + firstMean
        }
        var secondEnvelope = [Double](repeating: 0, count: second.count)
        for i in 0..<second.count {
            let x = second[i] - secondMean, h = im[i]
            secondEnvelope[i] = (x * x + h * h).squareRoot() + secondMean
        }
        return (firstEnvelope, secondEnvelope)
    }

    /// The lag (samples) maximising the cross-correlation; negative when `degraded` is late.
    static func bestLag(_ reference: [Double], _ degraded: [Double], plans: FourierPlans) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 0 else { return 0 }
        let maxLag = n - 1
        let fft = plans.powerOfTwo(PowerOfTwoFFT.nextPowerOfTwo(atLeast: 2 * n - 1))
        let size = fft.size
        let buffer = SplitComplexBuffer(count: size)
        let re = buffer.real, im = buffer.imaginary
        for i in 0..<reference.count { re[i] = reference[i] }
        for i in 0..<degraded.count { im[i] = degraded[i] }
        fft.transform(real: re, imaginary: im, inverse: false)
        // With P = Z[k] and Q = conj Z[−k]: A = (P + Q)/2 and B = (P − Q)/2i are the two spectra, and
        // A·conj(B) = i·(P + Q)·conj(P − Q)/4. Pairs (k, −k) are rewritten together.
        func product(_ pr: Double, _ pi: Double, _ qr: Double, _ qi: Double) -> (Double, Double) {
            let sr = pr + qr, si = pi + qi
            let dr = pr - qr, di = -(pi - qi)  // conj(P − Q)
            let mr = sr * dr - si * di, mi = sr * di + si * dr
            return (-mi / 4, mr / 4)
        }
        for k in 0...(size / 2) {
            let m = (size - k) % size
            let (pr, pi) = (re[k], im[k]), (qr, qi) = (re[m], -im[m])
            let (cr, ci) = product(pr, pi, qr, qi)
            if m != k {
                // At −k the roles of P and Q swap: C[−k] = conj C[k].
                re[m] = cr
                im[m] = -ci
            }
            re[k] = cr
            im[k] = ci
        }
        // The correlation is real, so its inverse transform is one of half the size: with E and O the
        // spectra of its even and odd samples, C[k] = E[k] + W^k·O[k] and C[k + size/2] = E[k] − W^k·O[k],
        // and the inverse of E + i·O holds the even samples in its real part, the odd in its imaginary.
        let half = size / 2
        let halfFFT = plans.powerOfTwo(max(half, 1))
        if half > 0 {
            for k in 0..<half {
                let er = (re[k] + re[k + half]) / 2, ei = (im[k] + im[k + half]) / 2
                let dr = (re[k] - re[k + half]) / 2, di = (im[k] - im[k + half]) / 2
                let (wr, wi) = fft.twiddle(k)  // W^k; O = d·W^{-k}
                let oddR = dr * wr + di * wi, oddI = di * wr - dr * wi
                re[k] = er - oddI
                im[k] = ei + oddR
            }
            halfFFT.transform(real: re, imaginary: im, inverse: true)
        }
        func correlation(_ index: Int) -> Double {
            half == 0 ? re[0] : (index % 2 == 0 ? re[index / 2] : im[index / 2])
        }
        // Candidates in order -maxLag ... maxLag; the first maximum wins, as in ViSQOL.
        var bestIndex = 0
        var bestValue = -Double.infinity
        for position in 0...(2 * maxLag) {
            let lag = position - maxLag
            let value = correlation((lag + size) % size)
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
    static func globallyAlign(reference: [Double], degraded: [Double], plans: FourierPlans) -> (aligned: [Double], lag: Int) {
        let lag = globalLag(reference: reference, degraded: degraded, plans: plans)
        if lag == 0 { return (degraded, 0) }
        if lag < 0 {
            return (Array(degraded[min(-lag, degraded.count)...]), lag)
        }
        return ([Double](repeating: 0, count: lag) + degraded, lag)
    }

    /// The lag `globallyAlign` applies: 0 when the correlation peak is over half the reference away.
    static func globalLag(reference: [Double], degraded: [Double], plans: FourierPlans) -> Int {
        let (referenceEnvelope, degradedEnvelope) = upperEnvelopes(reference, degraded, plans: plans)
        let lag = bestLag(referenceEnvelope, degradedEnvelope, plans: plans)
        return Double(abs(lag)) > Double(reference.count) / 2 ? 0 : lag
    }

    /// Aligns, then truncates both to a common length (ViSQOL's per-patch fine alignment).
    static func alignAndTruncate(reference: [Double], degraded: [Double], sampleRate: Int, plans: FourierPlans) -> (reference: [Double], degraded: [Double], lagSeconds: Double) {
        let (alignedDegraded, lag) = globallyAlign(reference: reference, degraded: degraded, plans: plans)
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

/// Zeroed split real/imaginary storage for the transforms, freed with its owner.
final class SplitComplexBuffer {
    let count: Int
    let real: UnsafeMutablePointer<Double>
    let imaginary: UnsafeMutablePointer<Double>

    init(count: Int) {
        self.count = count
        real = .allocate(capacity: max(count, 1))
        imaginary = .allocate(capacity: max(count, 1))
        real.initialize(repeating: 0, count: max(count, 1))
        imaginary.initialize(repeating: 0, count: max(count, 1))
    }

    deinit {
        real.deallocate()
        imaginary.deallocate()
    }
}
