// A complex FFT for lengths whose only prime factors are 2, 3 and 5: Stockham passes of radix 4, 2,
// 5 and 3. A speech patch is 0.4 s, 6 400 samples at 16 kHz (2^8·5^2): transformed directly, its
// envelope costs a fifth of what Bluestein's algorithm (two power-of-two transforms of 16 384) does.

import Foundation

final class MixedRadixFFT {
    let length: Int
    /// Radices in the order the passes apply them.
    private let radices: [Int]
    /// e^{-2πij/length} for j < length.
    private let cosines: [Double]
    private let sines: [Double]
    private let scratchReal: UnsafeMutablePointer<Double>
    private let scratchImaginary: UnsafeMutablePointer<Double>

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
        cosines = (0..<length).map { cos(step * Double($0)) }
        sines = (0..<length).map { sin(step * Double($0)) }
        scratchReal = .allocate(capacity: length)
        scratchImaginary = .allocate(capacity: length)
    }

    deinit {
        scratchReal.deallocate()
        scratchImaginary.deallocate()
    }

    /// In place. Forward uses e^{-i…}; inverse uses e^{+i…} and divides by `length`.
    func transform(real: UnsafeMutablePointer<Double>, imaginary: UnsafeMutablePointer<Double>, inverse: Bool) {
        let n = length
        var sourceReal = real, sourceImaginary = imaginary
        var targetReal = scratchReal, targetImaginary = scratchImaginary
        var subLength = n, stride = 1
        cosines.withUnsafeBufferPointer { cosBuffer in
        sines.withUnsafeBufferPointer { sinBuffer in
            guard let cosTable = cosBuffer.baseAddress, let sinTable = sinBuffer.baseAddress else { return }
            for radix in radices {
                Self.pass(radix: radix, length: subLength, stride: stride, total: n, inverse: inverse,
                          cosines: cosTable, sines: sinTable,
                          sourceReal, sourceImaginary, targetReal, targetImaginary)
                swap(&sourceReal, &targetReal)
                swap(&sourceImaginary, &targetImaginary)
                subLength /= radix
                stride *= radix
            }
        }}
        if sourceReal != real {
            real.update(from: sourceReal, count: n)
            imaginary.update(from: sourceImaginary, count: n)
        }
        if inverse {
            let scale = 1 / Double(n)
            for i in 0..<n {
                real[i] *= scale
                imaginary[i] *= scale
            }
        }
    }

    /// One decimation-in-frequency pass: sub-transforms of `length` points interleaved `stride`
    /// apart become `radix` sub-transforms each, outputs twiddled by e^{∓2πi·p·k/length}.
    private static func pass(
        radix: Int, length: Int, stride s: Int, total: Int, inverse: Bool,
        cosines: UnsafePointer<Double>, sines: UnsafePointer<Double>,
        _ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>
    ) {
        let m = length / radix
        let sign: Double = inverse ? -1 : 1
        // e^{∓2πi·j/radix}, the butterfly's own roots: index (j·k mod radix)·(total/radix) in the table.
        let rootStep = total / radix
        var rootReal = [Double](repeating: 0, count: radix), rootImaginary = rootReal
        for j in 0..<radix {
            rootReal[j] = cosines[j * rootStep]
            rootImaginary[j] = sign * sines[j * rootStep]
        }
        var ar = [Double](repeating: 0, count: radix), ai = ar
        for p in 0..<m {
            let inputBase = s * p, outputBase = s * radix * p
            if radix == 4 {
                let w1r = cosines[p * s], w1i = sign * sines[p * s]
                let w2r = cosines[2 * p * s], w2i = sign * sines[2 * p * s]
                let w3r = cosines[3 * p * s], w3i = sign * sines[3 * p * s]
                PowerOfTwoFFT.radix4Butterflies(
                    count: s, from: (inputBase, inputBase + s * m, inputBase + 2 * s * m, inputBase + 3 * s * m),
                    to: outputBase, step: s, twiddles: (w1r, w1i, w2r, w2i, w3r, w3i), sign: sign, xr, xi, yr, yi)
                continue
            }
            for q in 0..<s {
                for j in 0..<radix {
                    ar[j] = xr[inputBase + j * s * m + q]
                    ai[j] = xi[inputBase + j * s * m + q]
                }
                for k in 0..<radix {
                    var sr = 0.0, si = 0.0
                    for j in 0..<radix {
                        let root = (j * k) % radix
                        sr += ar[j] * rootReal[root] - ai[j] * rootImaginary[root]
                        si += ar[j] * rootImaginary[root] + ai[j] * rootReal[root]
                    }
                    let twiddle = p * k * s
                    let wr = cosines[twiddle], wi = sign * sines[twiddle]
                    yr[outputBase + k * s + q] = wr * sr - wi * si
                    yi[outputBase + k * s + q] = wr * si + wi * sr
                }
            }
        }
    }
}
