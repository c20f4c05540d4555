// A complex FFT of one power-of-two size on split real/imaginary arrays. Sizes that fit in the caches
// run Stockham radix-4 passes (one radix-2 pass last when the size is not a power of four): no
// bit-reversal pass, contiguous inner loops, SIMD lanes over consecutive butterflies. Larger ones run
// as a four-step transform over cache-sized pieces (FourStepFFT.swift).

import Foundation

final class PowerOfTwoFFT<Scalar: FourierScalar> {
    let size: Int
    /// Transforms done side by side: element j of transform b is at j·batch + b.
    let batch: Int
    /// e^{-2πij/size} for j < size/4: every pass's twiddles are a strided walk through this table.
    private let cosines: UnsafeMutablePointer<Scalar>
    private let sines: UnsafeMutablePointer<Scalar>
    /// `size · batch` values; plans may share one (FourierPlans), as they never run at the same time.
    private let scratch: SplitComplexBuffer<Scalar>
    private let fourStep: FourStepFFT<Scalar>?

    /// From this size on the four-step transform is faster, even in cache: its pieces run in SIMD
    /// lanes from the first pass on, where Stockham's first pass goes one butterfly at a time.
    static var fourStepThreshold: Int { 4_096 }

    /// `size` must be a power of two (1 included). `scratch`, when given, must hold `size` values.
    convenience init(size: Int, scratch: SplitComplexBuffer<Scalar>? = nil) {
        self.init(size: size, batch: 1, scratch: scratch ?? SplitComplexBuffer(count: size))
    }

    /// A plan for `batch` transforms of `size` points stored interleaved (see `transformBatch`).
    convenience init(size: Int, batch: Int) {
        self.init(size: size, batch: batch, scratch: SplitComplexBuffer(count: size * batch))
    }

    private init(size: Int, batch: Int, scratch: SplitComplexBuffer<Scalar>) {
        self.size = size
        self.batch = batch
        self.scratch = scratch
        let large = batch == 1 && size >= Self.fourStepThreshold
        let roots = RootsOfUnity(size: size)
        let quarter = large ? 1 : max(size / 4, 1)
        cosines = .allocate(capacity: quarter)
        sines = .allocate(capacity: quarter)
        for j in 0..<quarter {
            let (c, s) = roots[j]
            cosines[j] = Scalar(c)
            sines[j] = Scalar(s)
        }
        fourStep = large ? FourStepFFT(size: size, roots: roots) : nil
    }

    deinit {
        cosines.deallocate()
        sines.deallocate()
    }

    static func nextPowerOfTwo(atLeast n: Int) -> Int {
        var size = 1
        while size < n { size *= 2 }
        return size
    }

    /// In place. Forward uses e^{-i…}; inverse uses e^{+i…} and divides by `size`.
    func transform(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool) {
        if let fourStep {
            fourStep.transform(real: real, imaginary: imaginary, inverse: inverse, scratch: (scratch.real, scratch.imaginary))
        } else {
            transformBatch(real: real, imaginary: imaginary, inverse: inverse)
        }
        if inverse { Self.scale(real, imaginary, count: size * batch, by: 1 / Scalar(size)) }
    }

    /// In place over `size · batch` values, unscaled: the inverse is `size` times the true inverse.
    func transformBatch(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool) {
        let n = size
        guard n > 1 else { return }
        var sourceReal = real, sourceImaginary = imaginary
        var targetReal = scratch.real, targetImaginary = scratch.imaginary
        var length = n, stride = 1
        while length >= 4 {
            Self.radix4Pass(length: length, stride: stride, batch: batch, inverse: inverse,
                            cosines: cosines, sines: sines,
                            sourceReal, sourceImaginary, targetReal, targetImaginary)
            swap(&sourceReal, &targetReal)
            swap(&sourceImaginary, &targetImaginary)
            length /= 4
            stride *= 4
        }
        if length == 2 {
            let half = stride * batch
            for q in 0..<half {
                let ar = sourceReal[q], ai = sourceImaginary[q]
                let br = sourceReal[q + half], bi = sourceImaginary[q + half]
                targetReal[q] = ar + br
                targetImaginary[q] = ai + bi
                targetReal[q + half] = ar - br
                targetImaginary[q + half] = ai - bi
            }
            swap(&sourceReal, &targetReal)
            swap(&sourceImaginary, &targetImaginary)
        }
        if sourceReal != real {
            real.update(from: sourceReal, count: n * batch)
            imaginary.update(from: sourceImaginary, count: n * batch)
        }
    }

    static func scale(_ real: UnsafeMutablePointer<Scalar>, _ imaginary: UnsafeMutablePointer<Scalar>, count: Int, by factor: Scalar) {
        for i in 0..<count {
            real[i] *= factor
            imaginary[i] *= factor
        }
    }

    /// One decimation-in-frequency radix-4 pass over sub-transforms of `length` points interleaved
    /// `stride` apart (times `batch` for side-by-side transforms).
    private static func radix4Pass(
        length: Int, stride s: Int, batch: Int, inverse: Bool,
        cosines: UnsafeMutablePointer<Scalar>, sines: UnsafeMutablePointer<Scalar>,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) {
        let quarter = length / 4
        let step = s * batch
        // The inverse conjugates the twiddles and turns −j into +j in the butterfly.
        let sign: Scalar = inverse ? -1 : 1
        var first = 0
        if step == 1 {
            let lanes = Scalar.laneCount
            while first + lanes <= quarter {
                typealias V = Scalar.Lanes
                let w1r = V.load(cosines + first), w1i = sign * V.load(sines + first)
                let w2r = w1r * w1r - w1i * w1i, w2i = Scalar(2) * w1r * w1i
                let w3r = w1r * w2r - w1i * w2i, w3i = w1r * w2i + w1i * w2r
                radix4FirstPassButterflies(at: first, quarter: quarter, twiddles: (w1r, w1i, w2r, w2i, w3r, w3i), sign: sign, xr, xi, yr, yi)
                first += lanes
            }
        }
        for p in first..<quarter {
            let w1r = cosines[p * s], w1i = sign * sines[p * s]
            let w2r = w1r * w1r - w1i * w1i, w2i = 2 * w1r * w1i
            let w3r = w1r * w2r - w1i * w2i, w3i = w1r * w2i + w1i * w2r
            radix4Butterflies(
                count: step, from: (step * p, step * (p + quarter), step * (p + 2 * quarter), step * (p + 3 * quarter)),
                to: step * 4 * p, step: step, twiddles: (w1r, w1i, w2r, w2i, w3r, w3i), sign: sign, xr, xi, yr, yi)
        }
    }

    /// `count` radix-4 DIF butterflies: inputs at `from.k + q`, outputs at `to + j·step + q` for
    /// q < count, output j multiplied by twiddle j (j = 1, 2, 3). `sign` is −1 for the inverse.
    /// A lane group of butterflies at a time, the rest one by one.
    @inline(__always)
    static func radix4Butterflies(
        count: Int, from: (Int, Int, Int, Int), to: Int, step: Int,
        twiddles: (Scalar, Scalar, Scalar, Scalar, Scalar, Scalar), sign: Scalar,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) {
        let lanes = Scalar.laneCount
        var q = 0
        while q + lanes <= count {
            radix4Butterfly(Scalar.Lanes.self, at: q, from: from, to: to, step: step, twiddles: twiddles, sign: sign, xr, xi, yr, yi)
            q += lanes
        }
        while q < count {
            radix4Butterfly(Scalar.self, at: q, from: from, to: to, step: step, twiddles: twiddles, sign: sign, xr, xi, yr, yi)
            q += 1
        }
    }

    @inline(__always)
    private static func radix4Butterfly<V: FourierLanes>(
        _: V.Type, at q: Int, from: (Int, Int, Int, Int), to: Int, step: Int,
        twiddles: (Scalar, Scalar, Scalar, Scalar, Scalar, Scalar), sign: Scalar,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) where V.Element == Scalar {
        let (a, b, c, d) = from
        let o0 = to + q, o1 = o0 + step, o2 = o1 + step, o3 = o2 + step
        let (w1r, w1i, w2r, w2i, w3r, w3i) = twiddles
        let y = radix4(V.load(xr + a + q), V.load(xi + a + q), V.load(xr + b + q), V.load(xi + b + q),
                       V.load(xr + c + q), V.load(xi + c + q), V.load(xr + d + q), V.load(xi + d + q),
                       twiddles: (V(repeating: w1r), V(repeating: w1i), V(repeating: w2r), V(repeating: w2i),
                                  V(repeating: w3r), V(repeating: w3i)), sign: sign)
        y.0.store(to: yr + o0)
        y.1.store(to: yi + o0)
        y.2.store(to: yr + o1)
        y.3.store(to: yi + o1)
        y.4.store(to: yr + o2)
        y.5.store(to: yi + o2)
        y.6.store(to: yr + o3)
        y.7.store(to: yi + o3)
    }

    /// Butterflies `first` … `first + laneCount − 1` of a first pass (stride 1, one transform): there
    /// butterfly p reads x[p + j·quarter] and writes y[4p + j] with its own twiddles, so the lanes run
    /// over p, and each lane's four outputs are interleaved on the way out.
    @inline(__always)
    static func radix4FirstPassButterflies(
        at first: Int, quarter: Int,
        twiddles: (Scalar.Lanes, Scalar.Lanes, Scalar.Lanes, Scalar.Lanes, Scalar.Lanes, Scalar.Lanes), sign: Scalar,
        _ xr: UnsafeMutablePointer<Scalar>, _ xi: UnsafeMutablePointer<Scalar>,
        _ yr: UnsafeMutablePointer<Scalar>, _ yi: UnsafeMutablePointer<Scalar>
    ) {
        typealias V = Scalar.Lanes
        let a = first, b = first + quarter, c = b + quarter, d = c + quarter
        let y = radix4(V.load(xr + a), V.load(xi + a), V.load(xr + b), V.load(xi + b),
                       V.load(xr + c), V.load(xi + c), V.load(xr + d), V.load(xi + d), twiddles: twiddles, sign: sign)
        V.storeInterleaved(y.0, y.2, y.4, y.6, to: yr + 4 * first)
        V.storeInterleaved(y.1, y.3, y.5, y.7, to: yi + 4 * first)
    }

    /// One radix-4 DIF butterfly: outputs 0…3 (real, imaginary), output j times twiddle j.
    @inline(__always)
    private static func radix4<V: FourierLanes>(
        _ ar: V, _ ai: V, _ br: V, _ bi: V, _ cr: V, _ ci: V, _ dr: V, _ di: V,
        twiddles: (V, V, V, V, V, V), sign: Scalar
    ) -> (V, V, V, V, V, V, V, V) where V.Element == Scalar {
        let (w1r, w1i, w2r, w2i, w3r, w3i) = twiddles
        let apcR = ar + cr, apcI = ai + ci
        let amcR = ar - cr, amcI = ai - ci
        let bpdR = br + dr, bpdI = bi + di
        // j·(b − d) for the forward transform, −j·(b − d) for the inverse.
        let jbmdR = -sign * (bi - di), jbmdI = sign * (br - dr)
        let t1r = amcR - jbmdR, t1i = amcI - jbmdI
        let t2r = apcR - bpdR, t2i = apcI - bpdI
        let t3r = amcR + jbmdR, t3i = amcI + jbmdI
        return (apcR + bpdR, apcI + bpdI,
                w1r * t1r - w1i * t1i, w1r * t1i + w1i * t1r,
                w2r * t2r - w2i * t2i, w2r * t2i + w2i * t2r,
                w3r * t3r - w3i * t3i, w3r * t3i + w3i * t3r)
    }
}

/// e^{-2πim/size} for any 0 ≤ m < size, as the product of two exact values from tables of about
/// √size entries each (a sine and a cosine call per value would cost more than the transforms).
final class RootsOfUnity {
    let size: Int
    private let fineBits: Int
    private let fineMask: Int
    /// cos and sin of the fine steps j < 2^fineBits, then of the coarse steps j·2^fineBits.
    private let fine: UnsafeMutablePointer<Double>
    private let coarse: UnsafeMutablePointer<Double>

    init(size: Int) {
        self.size = size
        var bits = 0
        while 1 << (2 * (bits + 1)) <= size { bits += 1 }
        fineBits = bits
        fineMask = (1 << bits) - 1
        let step = -2 * Double.pi / Double(max(size, 1))
        let fineCount = 1 << bits, coarseCount = max(1, (size - 1) >> bits + 1)
        fine = .allocate(capacity: 2 * fineCount)
        coarse = .allocate(capacity: 2 * coarseCount)
        for j in 0..<fineCount {
            fine[2 * j] = cos(step * Double(j))
            fine[2 * j + 1] = sin(step * Double(j))
        }
        for j in 0..<coarseCount {
            coarse[2 * j] = cos(step * Double(j << bits))
            coarse[2 * j + 1] = sin(step * Double(j << bits))
        }
    }

    deinit {
        fine.deallocate()
        coarse.deallocate()
    }

    @inline(__always) subscript(m: Int) -> (Double, Double) {
        let c = coarse + 2 * (m >> fineBits), f = fine + 2 * (m & fineMask)
        let cr = c[0], ci = c[1], fr = f[0], fi = f[1]
        return (cr * fr - ci * fi, cr * fi + ci * fr)
    }
}

