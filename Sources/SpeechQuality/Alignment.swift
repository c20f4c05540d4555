// Time alignment by cross-correlating Hilbert envelopes (ViSQOL's global and per-patch alignment).
// Both envelopes come from one complex transform pair, and both correlation spectra from one forward
// transform: a real signal in the real part and another in the imaginary part separate by symmetry.

import Foundation

enum Alignment {
    /// Longest signal whose envelope is computed at its exact length (30 s at 16 kHz).
    static let exactEnvelopeLimit = 480_000
    /// Signals from this length on (2 s at 16 kHz; a patch is 0.4 s) are aligned in Float, the few
    /// lags that can be the maximum re-scored in Double (`bestLagOfLongSignals`).
    static let singlePrecisionLength = 32_768
    /// More candidates than this within the Float error of the maximum (a flat correlation: silence,
    /// a constant) and the whole correlation is recomputed in Double instead.
    static let maximumCandidates = 64

    /// The transform length for a signal's envelope: exact, as ViSQOL defines it, for patches; for
    /// whole streams a zero-padded power of two costs a fraction as much and moves only the last few
    /// milliseconds of an envelope whose only use is the position of a correlation peak.
    static func envelopeLength(_ count: Int) -> Int {
        count > exactEnvelopeLimit ? PowerOfTwoFFT<Double>.nextPowerOfTwo(atLeast: count) : count
    }

    /// |analytic signal| of each mean-removed signal, plus its mean back. `workspace`, when large
    /// enough, holds the transforms instead of a buffer of their own.
    static func upperEnvelopes<Scalar>(_ first: [Double], _ second: [Double], plans: FourierPlans<Scalar>,
                                       workspace: SplitComplexBuffer<Scalar>? = nil) -> ([Scalar], [Scalar]) {
        let firstLength = envelopeLength(first.count), secondLength = envelopeLength(second.count)
        func buffer(_ length: Int) -> SplitComplexBuffer<Scalar> {
            if let workspace, workspace.count >= length { return workspace }
            return SplitComplexBuffer(count: length)
        }
        if firstLength == secondLength {
            return upperEnvelopes(first, second, length: firstLength, plans: plans, buffer: buffer(firstLength))
        }
        return (upperEnvelopes(first, [], length: firstLength, plans: plans, buffer: buffer(firstLength)).0,
                upperEnvelopes(second, [], length: secondLength, plans: plans, buffer: buffer(secondLength)).0)
    }

    /// `first` in the real part, `second` (possibly empty) in the imaginary part, zero-padded to
    /// `length`. With Z their joint spectrum, −i·sgn(k)·Z is the spectrum of (Hilbert transform of the
    /// first) + i·(Hilbert transform of the second), so one inverse gives both.
    private static func upperEnvelopes<Scalar>(_ first: [Double], _ second: [Double], length: Int,
                                               plans: FourierPlans<Scalar>, buffer: SplitComplexBuffer<Scalar>) -> ([Scalar], [Scalar]) {
        guard length > 0, !first.isEmpty else { return ([], []) }
        let firstMean = first.reduce(0, +) / Double(first.count)
        let secondMean = second.isEmpty ? 0 : second.reduce(0, +) / Double(second.count)
        let re = buffer.real, im = buffer.imaginary
        for i in 0..<first.count { re[i] = Scalar(first[i] - firstMean) }
        for i in 0..<second.count { im[i] = Scalar(second[i] - secondMean) }
        (re + first.count).update(repeating: 0, count: length - first.count)
        (im + second.count).update(repeating: 0, count: length - second.count)
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
        // A constant signal's Hilbert transform is exactly zero; computed beside another signal it
        // would pick up that one's rounding noise, and a silent patch would be aligned by noise.
        let firstIsConstant = first.allSatisfy { $0 - firstMean == 0 }
        let secondIsConstant = second.allSatisfy { $0 - secondMean == 0 }
        let firstEnvelope = [Scalar](largeCount: first.count) { envelope in
            for i in 0..<first.count {
                let x = first[i] - firstMean, h = firstIsConstant ? 0 : Double(re[i])
                envelope[i] = Scalar((x * x + h * h).squareRoot() + firstMean)
            }
        }
        let secondEnvelope = [Scalar](largeCount: second.count) { envelope in
            for i in 0..<second.count {
                let x = second[i] - secondMean, h = secondIsConstant ? 0 : Double(im[i])
                envelope[i] = Scalar((x * x + h * h).squareRoot() + secondMean)
            }
        }
        return (firstEnvelope, secondEnvelope)
    }

    /// Shifts `degraded` so it lines up with `reference`: zeros prepended when it is early in time
    /// relative to the reference content, its head cut when it is late. Lags over half the reference
    /// are treated as no lag (a false match is worse than none).
    static func globallyAlign(reference: [Double], degraded: [Double], plans: FourierPlans<Double>) -> (aligned: [Double], lag: Int) {
        let lag = globalLag(reference: reference, degraded: degraded, plans: plans)
        var aligned = degraded
        shift(&aligned, by: lag)
        return (aligned, lag)
    }

    /// `globallyAlign`'s shift, in place.
    static func shift(_ signal: inout [Double], by lag: Int) {
        if lag < 0 {
            signal.removeFirst(min(-lag, signal.count))
        } else if lag > 0 {
            signal.insert(contentsOf: repeatElement(0, count: lag), at: 0)
        }
    }

    /// The lag `globallyAlign` applies: 0 when the correlation peak is over half the reference away.
    static func globalLag(reference: [Double], degraded: [Double], plans: FourierPlans<Double>) -> Int {
        let lag: Int
        if max(reference.count, degraded.count) >= singlePrecisionLength {
            // One buffer for the envelopes' transforms and then the circular correlation's (half the
            // full correlation's size): fresh memory costs.
            let singlePrecisionPlans = FourierPlans<Float>()
            let workspace = SplitComplexBuffer<Float>(count: correlationSize(reference.count, degraded.count) / 2)
            let (referenceEnvelope, degradedEnvelope) = upperEnvelopes(reference, degraded, plans: singlePrecisionPlans, workspace: workspace)
            lag = bestLagOfLongSignals(referenceEnvelope, degradedEnvelope, plans: singlePrecisionPlans, workspace: workspace)
        } else {
            let (referenceEnvelope, degradedEnvelope) = upperEnvelopes(reference, degraded, plans: plans)
            lag = bestLag(referenceEnvelope, degradedEnvelope, plans: plans)
        }
        return Double(abs(lag)) > Double(reference.count) / 2 ? 0 : lag
    }

    /// Aligns, then truncates both to a common length (ViSQOL's per-patch fine alignment).
    static func alignAndTruncate(reference: [Double], degraded: [Double], sampleRate: Int, plans: FourierPlans<Double>) -> (reference: [Double], degraded: [Double], lagSeconds: Double) {
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
