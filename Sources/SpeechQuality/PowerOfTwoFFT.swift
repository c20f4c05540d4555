// A complex FFT of one power-of-two size on split real/imaginary arrays: Stockham radix-4 passes
// (one radix-2 pass last when the size is not a power of four). Stockham needs no bit-reversal pass
// and its inner loops run over contiguous memory, which is what decides the speed at ViSQOL's sizes
// (up to 2^21 points for an hour-long stream's alignment, 2^14 hundreds of times per stream).

import Foundation

final class PowerOfTwoFFT {
    let size: Int
    /// e^{-2πij/size} for j < size/4: every pass's twiddles are a strided walk through this table.
    private let cosines: UnsafeMutablePointer<Double>
    private let sines: UnsafeMutablePointer<Double>
    private let scratchReal: UnsafeMutablePointer<Double>
    private let scratchImaginary: UnsafeMutablePointer<Double>

    /// `size` must be a power of two (1 included).
    init(size: Int) {
        self.size = size
        let quarter = max(size / 4, 1)
        cosines = .allocate(capacity: quarter)
        sines = .allocate(capacity: quarter)
        scratchReal = .allocate(capacity: size)
        scratchImaginary = .allocate(capacity: size)
        // Two short tables of exact values and one complex product per entry, instead of a sine and
        // a cosine call per entry (which would cost more than the transforms of a 60 s stream).
        let block = max(1, Int(Double(quarter).squareRoot()))
        let step = -2 * Double.pi / Double(size)
        let fineCount = block, coarseCount = (quarter + block - 1) / block
        let fine = (0..<fineCount).map { (cos(step * Double($0)), sin(step * Double($0))) }
        let coarse = (0..<coarseCount).map { (cos(step * Double($0 * block)), sin(step * Double($0 * block))) }
        for j in 0..<quarter {
            let (cr, ci) = coarse[j / block], (fr, fi) = fine[j % block]
            cosines[j] = cr * fr - ci * fi
            sines[j] = cr * fi + ci * fr
        }
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
        scratchReal.deallocate()
        scratchImaginary.deallocate()
    }

    static func nextPowerOfTwo(atLeast n: Int) -> Int {
        var size = 1
        while size < n { size *= 2 }
        return size
    }

    /// e^{-2πik/size} for 0 ≤ k < size/2.
    func twiddle(_ k: Int) -> (real: Double, imaginary: Double) {
        let quarter = size / 4
        if k < quarter || quarter == 0 { return (cosines[k], sines[k]) }
        // e^{-iπ/2}·e^{-2πi(k − size/4)/size}
        return (sines[k - quarter], -cosines[k - quarter])
    }

    /// In place. Forward uses e^{-i…}; inverse uses e^{+i…} and divides by `size`.
    func transform(real: UnsafeMutablePointer<Double>, imaginary: UnsafeMutablePointer<Double>, inverse: Bool) {
        let n = size
        guard n > 1 else { return }
        var sourceReal = real, sourceImaginary = imaginary
        var targetReal = scratchReal, targetImaginary = scratchImaginary
        var length = n, stride = 1
        while length >= 4 {
            Self.radix4Pass(length: length, stride: stride, inverse: inverse,
                            cosines: cosines, sines: sines,
                            sourceReal, sourceImaginary, targetReal, targetImaginary)
            swap(&sourceReal, &targetReal)
            swap(&sourceImaginary, &targetImaginary)
            length /= 4
            stride *= 4
        }
        if length == 2 {
            for q in 0..<stride {
                let ar = sourceReal[q], ai = sourceImaginary[q]
                let br = sourceReal[q + stride], bi = sourceImaginary[q + stride]
                targetReal[q] = ar + br
                targetImaginary[q] = ai + bi
                targetReal[q + stride] = ar - br
                targetImaginary[q + stride] = ai - bi
            }
            swap(&sourceReal, &targetReal)
            swap(&sourceImaginary, &targetImaginary)
        }
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

    /// One decimation-in-frequency radix-4 pass over sub-transforms of `length` points interleaved
    /// `stride` apart.
    private static func radix4Pass(
        length: Int, stride s: Int, inverse: Bool,
        cosines: UnsafeMutablePointer<Double>, sines: UnsafeMutablePointer<Double>,
        _ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>
    ) {
        let quarter = length / 4
        // The inverse conjugates the twiddles and turns −j into +j in the butterfly.
        let sign: Double = inverse ? -1 : 1
        for p in 0..<quarter {
            let w1r = cosines[p * s], w1i = sign * sines[p * s]
            let w2r = w1r * w1r - w1i * w1i, w2i = 2 * w1r * w1i
            let w3r = w1r * w2r - w1i * w2i, w3i = w1r * w2i + w1i * w2r
            radix4Butterflies(
                count: s, from: (s * p, s * (p + quarter), s * (p + 2 * quarter), s * (p + 3 * quarter)), to: s * 4 * p,
                step: s, twiddles: (w1r, w1i, w2r, w2i, w3r, w3i), sign: sign, xr, xi, yr, yi)
        }
    }

    /// `count` radix-4 DIF butterflies: inputs at `from.k + q`, outputs at `to + j·step + q` for
    /// q < count, output j multiplied by twiddle j (j = 1, 2, 3). `sign` is −1 for the inverse.
    @inline(__always)
    static func radix4Butterflies(
        count: Int, from: (Int, Int, Int, Int), to: Int, step: Int,
        twiddles: (Double, Double, Double, Double, Double, Double), sign: Double,
        _ xr: UnsafeMutablePointer<Double>, _ xi: UnsafeMutablePointer<Double>,
        _ yr: UnsafeMutablePointer<Double>, _ yi: UnsafeMutablePointer<Double>
    ) {
        let (a, b, c, d) = from
        let (w1r, w1i, w2r, w2i, w3r, w3i) = twiddles
        let o0 = to, o1 = o0 + step, o2 = o1 + step, o3 = o2 + step
        for q in 0..<count {
            let ar = xr[a + q], ai = xi[a + q]
            let br = xr[b + q], bi = xi[b + q]
            let cr = xr[c + q], ci = xi[c + q]
            let dr = xr[d + q], di = xi[d + q]
            let apcR = ar + cr, apcI = ai + ci
            let amcR = ar - cr, amcI = ai - ci
            let bpdR = br + dr, bpdI = bi + di
            // j·(b − d) for the forward transform, −j·(b − d) for the inverse.
            let jbmdR = -sign * (bi - di), jbmdI = sign * (br - dr)
            yr[o0 + q] = apcR + bpdR
            yi[o0 + q] = apcI + bpdI
            let t1r = amcR - jbmdR, t1i = amcI - jbmdI
            yr[o1 + q] = w1r * t1r - w1i * t1i
            yi[o1 + q] = w1r * t1i + w1i * t1r
            let t2r = apcR - bpdR, t2i = apcI - bpdI
            yr[o2 + q] = w2r * t2r - w2i * t2i
            yi[o2 + q] = w2r * t2i + w2i * t2r
            let t3r = amcR + jbmdR, t3i = amcI + jbmdI
            yr[o3 + q] = w3r * t3r - w3i * t3i
            yi[o3 + q] = w3r * t3i + w3i * t3r
        }
    }
}
