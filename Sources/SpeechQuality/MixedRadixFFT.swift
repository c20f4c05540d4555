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
        scratchReal = TransformMemory.allocate(length, of: Scalar.self)
        scratchImaginary = TransformMemory.allocate(length, of: Scalar.self)
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
        TransformMemory.free(scratchReal)
        TransformMemory.free(scratchImaginary)
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
        for p in 0..<m {
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
            while q + Scalar.laneCount <= s {
                butterfly(Scalar.Lanes.self, radix: radix, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s,
                          sign: sign, xr, xi, yr, yi)
                q += Scalar.laneCount
            }
            while q < s {
                butterfly(Scalar.self, radix: radix, p: p, q: q, inputStride: s * m, outputBase: outputBase, stride: s,
                          sign: sign, xr, xi, yr, yi)
                q += 1
            }
        }
    }

    /// A radix-2, 3 or 5 DFT of the inputs at `s·p + j·inputStride + q` into the outputs at
    /// `outputBase + k·stride + q`, output k twiddled by e^{∓2πi·p·k·stride/length}.
    @inline(__always)
    private func butterfly<V: FourierLanes>(
        _: V.Type, radix: Int, p: Int, q: Int, inputStride: Int, outputBase: Int, stride s: Int, sign: Scalar,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) where V.Element == Scalar {
        // The butterfly's own roots e^{∓2πi·j/radix} are entries (j·k mod radix)·(length/radix) of the table.
        let rootStep = length / radix, inputBase = s * p + q
        withUnsafeTemporaryAllocation(of: V.self, capacity: 2 * radix) { inputs in
            for j in 0..<radix {
                inputs[j] = V.load(xr + inputBase + j * inputStride)
                inputs[radix + j] = V.load(xi + inputBase + j * inputStride)
            }
            for k in 0..<radix {
                var sr = inputs[0], si = inputs[radix]
                for j in 1..<radix {
                    let root = (j * k) % radix * rootStep
                    let rr = cosines[root], ri = sign * sines[root]
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
}
