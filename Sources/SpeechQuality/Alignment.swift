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

    /// The cross-correlation Σ_l reference[l + m]·degraded[l] at every lag m, by FFT over `size` ≥ 2n − 1
    /// points (n the longer signal's length, at least 2), so that no lag wraps onto another.
    struct Correlation<Scalar: FourierScalar> {
        let size: Int
        /// The correlation's samples: index 2j in `values.real[j]`, 2j + 1 in `values.imaginary[j]`.
        let values: SplitComplexBuffer<Scalar>

        /// Lags 1 − n … n − 1 in ascending order, each with its value (n ≤ size/2).
        @inline(__always) func forEachLag(upTo n: Int, _ body: (Int, Scalar) -> Void) {
            let re = values.real, im = values.imaginary
            for index in (size - n + 1)..<size { body(index - size, index & 1 == 0 ? re[index >> 1] : im[index >> 1]) }
            for index in 0..<n { body(index, index & 1 == 0 ? re[index >> 1] : im[index >> 1]) }
        }
    }

    /// The transform's input (reference in the real part, degraded in the imaginary part) is zero from
    /// n ≤ size/2 on, so its even bins are the half-size transform of the input and its odd bins that of
    /// the input times W^t (W = e^{-2πi/size}): two transforms of half the size, without the zeros.
    static func correlationSize(_ referenceCount: Int, _ degradedCount: Int) -> Int {
        PowerOfTwoFFT<Double>.nextPowerOfTwo(atLeast: 2 * max(referenceCount, degradedCount, 2) - 1)
    }

    /// `workspace`, when large enough, holds the transforms (and then the result) instead of a
    /// buffer of their own.
    static func correlation<Scalar>(_ reference: [Scalar], _ degraded: [Scalar], plans: FourierPlans<Scalar>,
                                    workspace: SplitComplexBuffer<Scalar>? = nil) -> Correlation<Scalar> {
        let n = max(reference.count, degraded.count, 2)
        let size = correlationSize(reference.count, degraded.count)
        let half = size / 2, quarter = size / 4
        let roots = RootsOfUnity(size: size)
        let buffer = workspace.flatMap { $0.count >= size ? $0 : nil } ?? SplitComplexBuffer<Scalar>(count: size)
        // Bin 2j of the whole transform at even[j], bin 2j + 1 at odd[j].
        let evenRe = buffer.real, evenIm = buffer.imaginary
        let oddRe = buffer.real + half, oddIm = buffer.imaginary + half
        for i in 0..<reference.count { evenRe[i] = reference[i] }
        for i in 0..<degraded.count { evenIm[i] = degraded[i] }
        (evenRe + reference.count).update(repeating: 0, count: half - reference.count)
        (evenIm + degraded.count).update(repeating: 0, count: half - degraded.count)
        for t in 0..<n {
            let (c, s) = roots[t]
            let wr = Scalar(c), wi = Scalar(s)
            oddRe[t] = evenRe[t] * wr - evenIm[t] * wi
            oddIm[t] = evenRe[t] * wi + evenIm[t] * wr
        }
        (oddRe + n).update(repeating: 0, count: half - n)
        (oddIm + n).update(repeating: 0, count: half - n)
        let halfFFT = plans.powerOfTwo(half)
        halfFFT.transform(real: evenRe, imaginary: evenIm, inverse: false)
        halfFFT.transform(real: oddRe, imaginary: oddIm, inverse: false)
        // With P = Z[k] and Q = conj Z[−k]: A = (P + Q)/2 and B = (P − Q)/2i are the two spectra, and
        // A·conj(B) = i·(P + Q)·conj(P − Q)/4. Pairs (k, −k) are rewritten together; −k has k's parity.
        func correlate(_ re: UnsafeMutablePointer<Scalar>, _ im: UnsafeMutablePointer<Scalar>, _ j: Int, _ m: Int) {
            let pr = re[j], pi = im[j], qr = re[m], qi = -im[m]
            let sr = pr + qr, si = pi + qi
            let dr = pr - qr, di = -(pi - qi)  // conj(P − Q)
            let mr = sr * dr - si * di, mi = sr * di + si * dr
            let cr = -mi / 4, ci = mr / 4
            if m != j {
                // At −k the roles of P and Q swap: C[−k] = conj C[k].
                re[m] = cr
                im[m] = -ci
            }
            re[j] = cr
            im[j] = ci
        }
        for j in 0...(half / 2) { correlate(evenRe, evenIm, j, (half - j) % half) }  // k = 2j, −k = 2(half − j)
        for j in 0..<(half / 2) { correlate(oddRe, oddIm, j, half - 1 - j) }  // k = 2j + 1, −k = 2(half − 1 − j) + 1
        // The correlation is real, so its inverse is one of half the size: with E and O the spectra of
        // its even and odd samples, C[k] = E[k] + W^k·O[k] and C[k + half] = E[k] − W^k·O[k], and the
        // inverse of Y = E + i·O holds the even samples in its real part, the odd in its imaginary.
        // Y[k] for even k goes to even[k/2], for odd k to odd[k/2]: each reads only its own positions.
        func pack(_ re: UnsafeMutablePointer<Scalar>, _ im: UnsafeMutablePointer<Scalar>, _ j: Int, _ k: Int) {
            let er = (re[j] + re[j + quarter]) / 2, ei = (im[j] + im[j + quarter]) / 2
            let dr = (re[j] - re[j + quarter]) / 2, di = (im[j] - im[j + quarter]) / 2
            let (c, s) = roots[k]  // W^k; O = d·W^{-k}
            let wr = Scalar(c), wi = Scalar(s)
            let oddR = dr * wr + di * wi, oddI = di * wr - dr * wi
            re[j] = er - oddI
            im[j] = ei + oddR
        }
        for j in 0..<quarter {
            pack(evenRe, evenIm, j, 2 * j)
            pack(oddRe, oddIm, j, 2 * j + 1)
        }
        // Y's inverse from the inverses of its even and odd bins, each a quarter of the size:
        // y[m] = (ye[m] + W^{-2m}·yo[m])/2 and y[m + quarter] = (ye[m] − W^{-2m}·yo[m])/2, into even[].
        let quarterFFT = plans.powerOfTwo(quarter)
        quarterFFT.transform(real: evenRe, imaginary: evenIm, inverse: true)
        quarterFFT.transform(real: oddRe, imaginary: oddIm, inverse: true)
        for m in 0..<quarter {
            let (c, s) = roots[2 * m]
            let wr = Scalar(c), wi = -Scalar(s)
            let yr = oddRe[m] * wr - oddIm[m] * wi, yi = oddRe[m] * wi + oddIm[m] * wr
            let er = evenRe[m], ei = evenIm[m]
            evenRe[m] = (er + yr) / 2
            evenIm[m] = (ei + yi) / 2
            evenRe[m + quarter] = (er - yr) / 2
            evenIm[m + quarter] = (ei - yi) / 2
        }
        return Correlation(size: size, values: buffer)
    }

    /// The lag (samples) maximising the cross-correlation; negative when `degraded` is late.
    static func bestLag(_ reference: [Double], _ degraded: [Double], plans: FourierPlans<Double>) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 1 else { return 0 }
        if let lag = lagOfSilence(reference, degraded) { return lag }
        let correlation = correlation(reference, degraded, plans: plans)
        // Candidates in order -maxLag ... maxLag; the first maximum wins, as in ViSQOL.
        var best = 1 - n
        var bestValue = -Double.infinity
        correlation.forEachLag(upTo: n) { lag, value in
            if value > bestValue {
                bestValue = value
                best = lag
            }
        }
        return best
    }

    /// `bestLag` of Float envelopes: the correlation by Float transforms picks the lags that can be the
    /// maximum (within a bound on its rounding error of the largest value), and Double sums decide
    /// between them. Float transforms of a minute of speech cost a third of Double ones.
    static func bestLagOfLongSignals(_ reference: [Float], _ degraded: [Float], plans: FourierPlans<Float>,
                                     workspace: SplitComplexBuffer<Float>? = nil) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 1 else { return 0 }
        if let lag = lagOfSilence(reference, degraded) { return lag }
        let correlation = correlation(reference, degraded, plans: plans, workspace: workspace)
        var largest = -Float.infinity
        correlation.forEachLag(upTo: n) { _, value in largest = max(largest, value) }
        // |error| of an FFT correlation ≲ ε·log2(size)·‖reference‖·‖degraded‖; measured on speech it
        // stays under a fifth of that, and the candidates are the lags within ten times of it.
        func norm(_ x: [Float]) -> Double { x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        let bound = Double(Float.ulpOfOne) * log2(Double(correlation.size)) * norm(reference) * norm(degraded)
        let threshold = Double(largest) - 10 * bound
        var candidates: [Int] = [], candidateCount = 0
        correlation.forEachLag(upTo: n) { lag, value in
            guard Double(value) >= threshold else { return }
            candidateCount += 1
            if candidateCount <= maximumCandidates { candidates.append(lag) }
        }
        if candidateCount > maximumCandidates {
            return bestLag(reference.map(Double.init), degraded.map(Double.init), plans: FourierPlans<Double>())
        }
        // In ascending order: the first maximum wins, as in bestLag.
        var best = candidates.first ?? 0
        var bestValue = -Double.infinity
        for lag in candidates {
            let value = directCorrelation(reference, degraded, lag: lag)
            if value > bestValue {
                bestValue = value
                best = lag
            }
        }
        return best
    }

    /// The correlation with an all-zero envelope is zero at every lag, so its first maximum is the
    /// first lag; by transform it would be rounding noise (from the other signal, sharing the
    /// transform), and the lag whatever the noise made it.
    static func lagOfSilence<Scalar: FourierScalar>(_ reference: [Scalar], _ degraded: [Scalar]) -> Int? {
        guard reference.allSatisfy({ $0 == 0 }) || degraded.allSatisfy({ $0 == 0 }) else { return nil }
        return 1 - max(reference.count, degraded.count)
    }

    /// Σ_l reference[l + lag]·degraded[l] in Double.
    static func directCorrelation(_ reference: [Float], _ degraded: [Float], lag: Int) -> Double {
        let from = max(0, -lag), to = min(degraded.count, reference.count - lag)
        guard from < to else { return 0 }
        return reference.withUnsafeBufferPointer { r in
            degraded.withUnsafeBufferPointer { d in
                var sums = SIMD4<Double>()
                var l = from
                while l + 4 <= to {
                    let x = SIMD4<Double>(Double(r[l + lag]), Double(r[l + lag + 1]), Double(r[l + lag + 2]), Double(r[l + lag + 3]))
                    let y = SIMD4<Double>(Double(d[l]), Double(d[l + 1]), Double(d[l + 2]), Double(d[l + 3]))
                    sums += x * y
                    l += 4
                }
                var sum = sums.sum()
                while l < to {
                    sum += Double(r[l + lag]) * Double(d[l])
                    l += 1
                }
                return sum
            }
        }
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
            // One buffer for the envelopes' transforms and then the correlation's: fresh memory costs.
            let singlePrecisionPlans = FourierPlans<Float>()
            let workspace = SplitComplexBuffer<Float>(count: correlationSize(reference.count, degraded.count))
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
