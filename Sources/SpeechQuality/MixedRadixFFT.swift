// A complex FFT for lengths whose only prime factors are 2, 3 and 5: Stockham passes of radix 4, 2,
// 5 and 3. A speech patch is 0.4 s, 6 400 samples at 16 kHz (2^8·5^2): transformed directly, its
// envelope costs a fifth of what Bluestein's algorithm (two power-of-two transforms of 16 384) does.

import Foundation

final class MixedRadixFFT<Scalar: FourierScalar> {
    let length: Int
    /// Radices in the order the passes apply them.
    private let radices: [Int]
    /// e^{-2πij/length} for j < length.
    private let cosines: UnsafeMutablePointer<Scalar>
    private let sines: UnsafeMutablePointer<Scalar>
    private let scratchReal: UnsafeMutablePointer<Scalar>
    private let scratchImaginary: UnsafeMutablePointer<Scalar>
    /// cos and sin of 2π/5 and 4π/5, for the radix-5 butterflies.
    private let fifthCosines = (Scalar(cos(2 * Double.pi / 5)), Scalar(cos(4 * Double.pi / 5)))
    private let fifthSines = (Scalar(sin(2 * Double.pi / 5)), Scalar(sin(4 * Double.pi / 5)))
    /// A pass's butterfly roots and one butterfly's inputs (radix 5 at most).
    private let rootStorage = UnsafeMutablePointer<Scalar>.allocate(capacity: 2 * 5 * 5)
    private let laneInputStorage = UnsafeMutablePointer<Scalar.Lanes>.allocate(capacity: 2 * 5)
    private let scalarInputStorage = UnsafeMutablePointer<Scalar>.allocate(capacity: 2 * 5)

    /// Nil when `length` has a prime factor other than 2, 3 and 5.
    init?(length: Int) {
        guard length > 1 else { return nil }
        var rest = length
        var radices: [Int] = []
        for radix in [4, 2, 5, 3] {
            while rest % radix == 0 {
                radices.append(radix)
                rest /= radix
            }
        }
        guard rest == 1 else { return nil }
        self.length = length
        self.radices = radices
        let step = -2 * Double.pi / Double(length)
        cosines = .allocate(capacity: length)
        sines = .allocate(capacity: length)
        for j in 0..<length {
            cosines[j] = Scalar(cos(step * Double(j)))
            sines[j] = Scalar(sin(step * Double(j)))
        }
        scratchReal = LargeMemory.allocate(length, of: Scalar.self)
        scratchImaginary = LargeMemory.allocate(length, of: Scalar.self)
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
        LargeMemory.free(scratchReal)
        LargeMemory.free(scratchImaginary)
        rootStorage.deallocate()
        laneInputStorage.deallocate()
        scalarInputStorage.deallocate()
    }

    /// In place. Forward uses e^{-i…}; inverse uses e^{+i…} and divides by `length`.
    func transform(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool) {
        let n = length
        var sourceReal = real, sourceImaginary = imaginary
        var targetReal = scratchReal, targetImaginary = scratchImaginary
        var subLength = n, stride = 1
        for radix in radices {
            pass(radix: radix, length: subLength, stride: stride, inverse: inverse,
                 sourceReal, sourceImaginary, targetReal, targetImaginary)
            swap(&sourceReal, &targetReal)
            swap(&sourceImaginary, &targetImaginary)
            subLength /= radix
            stride *= radix
        }
        if sourceReal != real {
            real.update(from: sourceReal, count: n)
            imaginary.update(from: sourceImaginary, count: n)
        }
        if inverse { PowerOfTwoFFT<Scalar>.scale(real, imaginary, count: n, by: 1 / Scalar(n)) }
    }

    /// One decimation-in-frequency pass: sub-transforms of `length` points interleaved `stride`
    /// apart become `radix` sub-transforms each, outputs twiddled by e^{∓2πi·p·k/length}.
    private func pass(
        radix: Int, length: Int, stride s: Int, inverse: Bool,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) {
        let m = length / radix
        let sign: Scalar = inverse ? -1 : 1
        // The butterfly's own roots e^{∓2πi·j·k/radix}, entries (j·k mod radix)·(length/radix) of the
        // table, at j·radix + k (real) and radix² + j·radix + k (imaginary).
        let roots = rootStorage, laneInputs = laneInputStorage, scalarInputs = scalarInputStorage
        if radix != 4 {
            for j in 0..<radix {
                for k in 0..<radix {
                    let root = (j * k) % radix * (self.length / radix)
                    roots[j * radix + k] = cosines[root]
                    roots[radix * radix + j * radix + k] = sign * sines[root]
                }
            }
        }
        var first = 0
        if radix == 4 && s == 1 {
            typealias V = Scalar.Lanes
            while first + Scalar.laneCount <= m {
                let twiddles = (V.load(cosines + first), sign * V.load(sines + first),
                                V.gather(cosines + 2 * first, stride: 2), sign * V.gather(sines + 2 * first, stride: 2),
                                V.gather(cosines + 3 * first, stride: 3), sign * V.gather(sines + 3 * first, stride: 3))
                PowerOfTwoFFT<Scalar>.radix4FirstPassButterflies(at: first, quarter: m, twiddles: twiddles, sign: sign, xr, xi, yr, yi)
                first += Scalar.laneCount
            }
        }
        for p in first..<m {
            let inputBase = s * p, outputBase = s * radix * p
            if radix == 4 {
                let w1r = cosines[p * s], w1i = sign * sines[p * s]
                let w2r = cosines[2 * p * s], w2i = sign * sines[2 * p * s]
                let w3r = cosines[3 * p * s], w3i = sign * sines[3 * p * s]
                PowerOfTwoFFT<Scalar>.radix4Butterflies(
                    count: s, from: (inputBase, inputBase + s * m, inputBase + 2 * s * m, inputBase + 3 * s * m),
                    to: outputBase, step: s, twiddles: (w1r, w1i, w2r, w2i, w3r, w3i), sign: sign, xr, xi, yr, yi)
                continue
            }
            var q = 0
            if radix == 5 {
                while q + Scalar.laneCount <= s {
                    radix5(Scalar.Lanes.self, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s, sign: sign, xr, xi, yr, yi)
                    q += Scalar.laneCount
                }
                while q < s {
                    radix5(Scalar.self, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s, sign: sign, xr, xi, yr, yi)
                    q += 1
                }
                continue
            }
            while q + Scalar.laneCount <= s {
                butterfly(Scalar.Lanes.self, radix: radix, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s,
                          sign: sign, roots: roots, inputs: laneInputs, xr, xi, yr, yi)
                q += Scalar.laneCount
            }
            while q < s {
                butterfly(Scalar.self, radix: radix, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s,
                          sign: sign, roots: roots, inputs: scalarInputs, xr, xi, yr, yi)
                q += 1
            }
        }
    }

    /// A radix-5 DFT as `butterfly` computes it, from the sums and differences of the inputs at ±j:
    /// with s_j = a_j + a_{5−j}, d_j = a_j − a_{5−j}, output k = a0 + Σ_j cos(2πjk/5)·s_j ∓ i·Σ_j sin(2πjk/5)·d_j.
    @inline(__always)
    private func radix5<V: FourierLanes>(
        _: V.Type, p: Int, q: Int, inputStride: Int, outputBase: Int, stride s: Int, sign: Scalar,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) where V.Element == Scalar {
        let base = s * p + q
        let a0r = V.load(xr + base), a0i = V.load(xi + base)
        let a1r = V.load(xr + base + inputStride), a1i = V.load(xi + base + inputStride)
        let a2r = V.load(xr + base + 2 * inputStride), a2i = V.load(xi + base + 2 * inputStride)
        let a3r = V.load(xr + base + 3 * inputStride), a3i = V.load(xi + base + 3 * inputStride)
        let a4r = V.load(xr + base + 4 * inputStride), a4i = V.load(xi + base + 4 * inputStride)
        let s1r = a1r + a4r, s1i = a1i + a4i, d1r = a1r - a4r, d1i = a1i - a4i
        let s2r = a2r + a3r, s2i = a2i + a3i, d2r = a2r - a3r, d2i = a2i - a3i
        let (c1, c2) = fifthCosines, n1 = sign * fifthSines.0, n2 = sign * fifthSines.1
        // Real parts of the cosine sums, then the sine sums (times −i for the forward transform).
        let e1r = a0r + (c1 * s1r + c2 * s2r), e1i = a0i + (c1 * s1i + c2 * s2i)
        let e2r = a0r + (c2 * s1r + c1 * s2r), e2i = a0i + (c2 * s1i + c1 * s2i)
        let o1r = n1 * d1r + n2 * d2r, o1i = n1 * d1i + n2 * d2i
        let o2r = n2 * d1r - n1 * d2r, o2i = n2 * d1i - n1 * d2i
        // Output k = e ∓ i·o: real part e.r + o.i, imaginary part e.i − o.r (k = 1, 2), the conjugate
        // pairing for k = 4, 3.
        @inline(__always) func output(_ k: Int, _ sr: V, _ si: V) {
            let twiddle = p * k * s
            let wr = cosines[twiddle], wi = sign * sines[twiddle]
            (wr * sr - wi * si).store(to: yr + outputBase + k * s + q)
            (wr * si + wi * sr).store(to: yi + outputBase + k * s + q)
        }
        output(0, a0r + (s1r + s2r), a0i + (s1i + s2i))
        output(1, e1r + o1i, e1i - o1r)
        output(2, e2r + o2i, e2i - o2r)
        output(3, e2r - o2i, e2i + o2r)
        output(4, e1r - o1i, e1i + o1r)
    }

    /// A radix-2, 3 or 5 DFT of the inputs at `s·p + j·inputStride + q` into the outputs at
    /// `outputBase + k·stride + q`, output k twiddled by e^{∓2πi·p·k·stride/length}. `inputs` holds
    /// 2·radix lane groups.
    @inline(__always)
    private func butterfly<V: FourierLanes>(
        _: V.Type, radix: Int, p: Int, q: Int, inputStride: Int, outputBase: Int, stride s: Int, sign: Scalar,
        roots: UnsafeMutablePointer<Scalar>, inputs: UnsafeMutablePointer<V>,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) where V.Element == Scalar {
        let inputBase = s * p + q
        for j in 0..<radix {
            inputs[j] = V.load(xr + inputBase + j * inputStride)
            inputs[radix + j] = V.load(xi + inputBase + j * inputStride)
        }
        for k in 0..<radix {
            var sr = inputs[0], si = inputs[radix]
            for j in 1..<radix {
                let rr = roots[j * radix + k], ri = roots[radix * radix + j * radix + k]
                sr = sr + (rr * inputs[j] - ri * inputs[radix + j])
                si = si + (ri * inputs[j] + rr * inputs[radix + j])
            }
            let twiddle = p * k * s
            let wr = cosines[twiddle], wi = sign * sines[twiddle]
            (wr * sr - wi * si).store(to: yr + outputBase + k * s + q)
            (wr * si + wi * sr).store(to: yi + outputBase + k * s + q)
        }
    }
}
