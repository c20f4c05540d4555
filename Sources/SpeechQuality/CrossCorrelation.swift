// Cross-correlation of two envelopes by FFT, for the global and per-patch alignment. The reference
// goes in the real part and the degraded signal in the imaginary part of one complex transform, so one
// forward transform gives both spectra; the correlation is real, so its inverse is one of half the
// size. It is first taken circularly over half the points, which settles the lag whenever the far
// lags (there only in sums) cannot reach the peak. Long signals run in Float, with the few lags that
// can be the maximum re-scored in Double.

import Foundation

extension Alignment {
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

    /// With Z the joint spectrum, P = Z[k] and Q = conj Z[−k] (at `j` and `m`): A = (P + Q)/2 and
    /// B = (P − Q)/2i are the two spectra, and A·conj(B) = i·(P + Q)·conj(P − Q)/4 replaces both bins.
    @inline(__always)
    static func correlateSpectra<Scalar: FourierScalar>(_ re: UnsafeMutablePointer<Scalar>, _ im: UnsafeMutablePointer<Scalar>,
                                                      _ j: Int, _ m: Int) {
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

    /// A real signal's inverse transform as one of half the size: with E and O the spectra of its
    /// even and odd samples, C[k] = E[k] + W^k·O[k] and C[k + half] = E[k] − W^k·O[k], so from C[k] (at
    /// `j`) and C[k + half] (at `partner`) comes Y[k] = E[k] + i·O[k], whose inverse holds the even
    /// samples in its real part and the odd in its imaginary. Y[k] replaces C[k].
    @inline(__always)
    static func packRealInverse<Scalar: FourierScalar>(_ re: UnsafeMutablePointer<Scalar>, _ im: UnsafeMutablePointer<Scalar>,
                                                     _ j: Int, _ partner: Int, twiddle: (Double, Double)) {
        let er = (re[j] + re[partner]) / 2, ei = (im[j] + im[partner]) / 2
        let dr = (re[j] - re[partner]) / 2, di = (im[j] - im[partner]) / 2
        let wr = Scalar(twiddle.0), wi = Scalar(twiddle.1)  // W^k; O = d·W^{-k}
        let oddR = dr * wr + di * wi, oddI = di * wr - dr * wi
        re[j] = er - oddI
        im[j] = ei + oddR
    }

    /// The points of the full correlation: at least 2n − 1, a power of two.
    static func correlationSize(_ referenceCount: Int, _ degradedCount: Int) -> Int {
        PowerOfTwoFFT<Double>.nextPowerOfTwo(atLeast: 2 * max(referenceCount, degradedCount, 2) - 1)
    }

    /// The full correlation. The transform's input (reference in the real part, degraded in the
    /// imaginary part) is zero from n ≤ size/2 on, so its even bins are the half-size transform of the
    /// input and its odd bins that of the input times W^t (W = e^{-2πi/size}): two transforms of half
    /// the size, without the zeros. `workspace`, when large enough, holds the transforms (and then the
    /// result) instead of a buffer of their own.
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
        // −k has k's parity.
        for j in 0...(half / 2) { correlateSpectra(evenRe, evenIm, j, (half - j) % half) }  // k = 2j, −k = 2(half − j)
        for j in 0..<(half / 2) { correlateSpectra(oddRe, oddIm, j, half - 1 - j) }  // k = 2j + 1, −k = 2(half − 1 − j) + 1
        // The correlation is real, so its inverse is one of half the size: with E and O the spectra of
        // its even and odd samples, C[k] = E[k] + W^k·O[k] and C[k + half] = E[k] − W^k·O[k], and the
        // inverse of Y = E + i·O holds the even samples in its real part, the odd in its imaginary.
        // Y[k] for even k goes to even[k/2], for odd k to odd[k/2]: each reads only its own positions.
        for j in 0..<quarter {
            packRealInverse(evenRe, evenIm, j, j + quarter, twiddle: roots[2 * j])
            packRealInverse(oddRe, oddIm, j, j + quarter, twiddle: roots[2 * j + 1])
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

    /// The circular correlation over `length` ≥ n points, half the transform `correlation` needs:
    /// value i is c(i) + c(i − length). Near lag 0 one of the two lags has no overlap, so the value is
    /// that lag's exactly; the far lags come in pairs summed.
    struct CircularCorrelation<Scalar: FourierScalar> {
        let length: Int
        let referenceCount: Int
        let degradedCount: Int
        /// Value 2j in `values.real[j]`, 2j + 1 in `values.imaginary[j]`.
        let values: SplitComplexBuffer<Scalar>

        @inline(__always) func value(_ i: Int) -> Double {
            Double(i & 1 == 0 ? values.real[i >> 1] : values.imaginary[i >> 1])
        }

        /// The exact lags in ascending order, each with its value. Value i holds lag i (overlapping
        /// when i < referenceCount) and lag i − length (overlapping when i − length > −degradedCount).
        @inline(__always) func forEachExactLag(_ body: (Int, Double) -> Void) {
            for i in max(referenceCount, length - degradedCount + 1)..<length { body(i - length, value(i)) }
            for i in 0..<max(0, min(referenceCount, length - degradedCount + 1)) { body(i, value(i)) }
        }

        /// Whether no far lag can reach the exact lags' largest value `best`. Every correlation value
        /// is at least −`negativeBound`, so a sum bounds each of its two lags within that; `margin`
        /// bounds the rounding of each value.
        func farLagsStayBelow(_ best: Double, margin: Double, negativeBound: Double) -> Bool {
            var largestSum = -Double.infinity
            for i in (length - degradedCount + 1)..<max(length - degradedCount + 1, referenceCount) {
                largestSum = max(largestSum, value(i))
            }
            return best > margin && largestSum + negativeBound + 2 * margin < best
        }
    }

    static func circularCorrelation<Scalar>(_ reference: [Scalar], _ degraded: [Scalar], length: Int, plans: FourierPlans<Scalar>,
                                            workspace: SplitComplexBuffer<Scalar>? = nil) -> CircularCorrelation<Scalar> {
        let half = length / 2
        let buffer = workspace.flatMap { $0.count >= length ? $0 : nil } ?? SplitComplexBuffer<Scalar>(count: length)
        let re = buffer.real, im = buffer.imaginary
        for i in 0..<reference.count { re[i] = reference[i] }
        for i in 0..<degraded.count { im[i] = degraded[i] }
        (re + reference.count).update(repeating: 0, count: length - reference.count)
        (im + degraded.count).update(repeating: 0, count: length - degraded.count)
        plans.powerOfTwo(length).transform(real: re, imaginary: im, inverse: false)
        for j in 0...half { correlateSpectra(re, im, j, (length - j) % length) }
        let roots = RootsOfUnity(size: length)
        for k in 0..<half { packRealInverse(re, im, k, k + half, twiddle: roots[k]) }
        plans.powerOfTwo(half).transform(real: re, imaginary: im, inverse: true)
        return CircularCorrelation(length: length, referenceCount: reference.count, degradedCount: degraded.count, values: buffer)
    }

    /// B with every correlation value ≥ −B: the largest of each envelope times the other's negative
    /// parts summed (0 when both are ≥ 0, as envelopes of speech nearly are).
    static func negativeBound<Scalar: FourierScalar>(_ reference: [Scalar], _ degraded: [Scalar]) -> Double {
        func negativeMass(_ x: [Scalar]) -> Double { x.reduce(0) { $0 + Double(max(-$1, 0)) } }
        func largest(_ x: [Scalar]) -> Double { Double(max(x.max() ?? 0, 0)) }
        return largest(reference) * negativeMass(degraded) + largest(degraded) * negativeMass(reference)
    }

    /// ε·log2(size)·‖reference‖·‖degraded‖ bounds the rounding of an FFT correlation; measured on
    /// speech its error stays under a fifth of that. The margin is ten times it.
    static func roundingMargin<Scalar: FourierScalar>(_ reference: [Scalar], _ degraded: [Scalar], size: Int) -> Double {
        func norm(_ x: [Scalar]) -> Double { x.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        return 10 * Double(Scalar.ulpOfOne) * log2(Double(size)) * norm(reference) * norm(degraded)
    }

    /// The lag (samples) maximising the cross-correlation; negative when `degraded` is late.
    static func bestLag(_ reference: [Double], _ degraded: [Double], plans: FourierPlans<Double>) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 1 else { return 0 }
        if let lag = lagOfSilence(reference, degraded) { return lag }
        let size = correlationSize(reference.count, degraded.count)
        let circular = circularCorrelation(reference, degraded, length: size / 2, plans: plans)
        var bestNear = 0, bestNearValue = -Double.infinity
        circular.forEachExactLag { lag, value in
            if value > bestNearValue {
                bestNearValue = value
                bestNear = lag
            }
        }
        if circular.farLagsStayBelow(bestNearValue, margin: roundingMargin(reference, degraded, size: size),
                                     negativeBound: negativeBound(reference, degraded)) {
            return bestNear
        }
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
    /// between them. Float transforms of a minute of speech cost half as much as Double ones.
    static func bestLagOfLongSignals(_ reference: [Float], _ degraded: [Float], plans: FourierPlans<Float>,
                                     workspace: SplitComplexBuffer<Float>? = nil) -> Int {
        let n = max(reference.count, degraded.count)
        guard n > 1 else { return 0 }
        if let lag = lagOfSilence(reference, degraded) { return lag }
        let size = correlationSize(reference.count, degraded.count)
        let margin = roundingMargin(reference, degraded, size: size)
        if let candidates = circularCandidates(reference, degraded, length: size / 2, margin: margin, plans: plans, workspace: workspace) {
            return bestOf(candidates, reference, degraded)
        }
        let correlation = correlation(reference, degraded, plans: plans, workspace: workspace)
        var largest = -Float.infinity
        correlation.forEachLag(upTo: n) { _, value in largest = max(largest, value) }
        let threshold = Double(largest) - margin
        var candidates: [Int] = [], candidateCount = 0
        correlation.forEachLag(upTo: n) { lag, value in
            guard Double(value) >= threshold else { return }
            candidateCount += 1
            if candidateCount <= maximumCandidates { candidates.append(lag) }
        }
        if candidateCount > maximumCandidates {
            return bestLag(reference.map(Double.init), degraded.map(Double.init), plans: FourierPlans<Double>())
        }
        return bestOf(candidates, reference, degraded)
    }

    /// The candidate lags from the circular correlation over `length` points: the exact lags within
    /// `margin` of the best, or nil when a far lag might reach it (or too many are that close).
    static func circularCandidates(_ reference: [Float], _ degraded: [Float], length: Int, margin: Double,
                                   plans: FourierPlans<Float>, workspace: SplitComplexBuffer<Float>?) -> [Int]? {
        let circular = circularCorrelation(reference, degraded, length: length, plans: plans, workspace: workspace)
        var best = -Double.infinity
        circular.forEachExactLag { _, value in best = max(best, value) }
        guard circular.farLagsStayBelow(best, margin: margin, negativeBound: negativeBound(reference, degraded)) else { return nil }
        var candidates: [Int] = []
        circular.forEachExactLag { lag, value in
            if value >= best - margin { candidates.append(lag) }
        }
        return candidates.count <= maximumCandidates ? candidates : nil
    }

    /// The first of `candidates` (ascending) with the largest correlation summed in Double.
    static func bestOf(_ candidates: [Int], _ reference: [Float], _ degraded: [Float]) -> Int {
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
}
