// Bailey's four-step FFT for transforms larger than the caches. Stockham's passes each stream the
// whole array through memory (ten passes over 16 MB for a minute of speech); here the array is read
// and written twice, in pieces that fit in L2: size = rows · columns, element n = columns·n1 + n2
// (n1 < rows, n2 < columns), and
//     X[k1 + rows·k2] = Σ_{n2} W_columns^{n2·k2} · W_size^{n2·k1} · Σ_{n1} x[columns·n1 + n2] W_rows^{n1·k1}.
// Step one transforms the columns (stride `columns`) in place and applies W_size^{n2·k1}; step two
// transforms the rows and writes them transposed. Each step takes a cache line's worth of columns
// or rows at once, interleaved, so memory moves in whole lines and the butterflies fill SIMD lanes.

final class FourStepFFT<Scalar: FourierScalar> {
    /// Columns or rows per piece: one 64-byte cache line of each.
    static var blockWidth: Int { 64 / MemoryLayout<Scalar>.stride }
    let size: Int
    let rows: Int
    let columns: Int
    private let columnTransforms: PowerOfTwoFFT<Scalar>
    private let rowTransforms: PowerOfTwoFFT<Scalar>
    private let roots: RootsOfUnity
    /// W_size^{lane·k1} at k1·blockWidth + lane: with W_size^{first·k1} it gives a piece's twiddles.
    private let laneRootsReal: UnsafeMutablePointer<Scalar>
    private let laneRootsImaginary: UnsafeMutablePointer<Scalar>
    private let blockReal: UnsafeMutablePointer<Scalar>
    private let blockImaginary: UnsafeMutablePointer<Scalar>

    /// `size` must be a power of two of at least `blockWidth`².
    init(size: Int, roots: RootsOfUnity) {
        let width = Self.blockWidth
        self.size = size
        var rows = 1
        while rows * rows < size { rows *= 2 }
        self.rows = rows
        columns = size / rows
        columnTransforms = PowerOfTwoFFT(size: rows, batch: width)
        rowTransforms = PowerOfTwoFFT(size: columns, batch: width)
        self.roots = roots
        laneRootsReal = .allocate(capacity: rows * width)
        laneRootsImaginary = .allocate(capacity: rows * width)
        for k1 in 0..<rows {
            for lane in 0..<width {
                let (c, s) = roots[lane * k1]
                laneRootsReal[k1 * width + lane] = Scalar(c)
                laneRootsImaginary[k1 * width + lane] = Scalar(s)
            }
        }
        blockReal = LargeMemory.allocate(max(rows, columns) * width, of: Scalar.self)
        blockImaginary = LargeMemory.allocate(max(rows, columns) * width, of: Scalar.self)
    }

    deinit {
        laneRootsReal.deallocate()
        laneRootsImaginary.deallocate()
        LargeMemory.free(blockReal)
        LargeMemory.free(blockImaginary)
    }

    /// Transforms `real`/`imaginary` in place (unscaled), with `scratch` (`size` values each).
    func transform(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool,
                   scratch: (real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>)) {
        let width = Self.blockWidth, lanes = Scalar.laneCount
        let br = blockReal, bi = blockImaginary
        let sign: Scalar = inverse ? -1 : 1
        typealias Lanes = Scalar.Lanes
        for first in stride(from: 0, to: columns, by: width) {
            for n1 in 0..<rows {
                (br + n1 * width).update(from: real + columns * n1 + first, count: width)
                (bi + n1 * width).update(from: imaginary + columns * n1 + first, count: width)
            }
            columnTransforms.transformBatch(real: br, imaginary: bi, inverse: inverse)
            for k1 in 0..<rows {
                let (baseReal, baseImaginary) = roots[first * k1]
                let cr = Scalar(baseReal), ci = sign * Scalar(baseImaginary)
                for lane in stride(from: 0, to: width, by: lanes) {
                    let at = k1 * width + lane
                    let lr = Lanes.load(laneRootsReal + at), li = sign * Lanes.load(laneRootsImaginary + at)
                    let wr = cr * lr - ci * li, wi = cr * li + ci * lr
                    let xr = Lanes.load(br + at), xi = Lanes.load(bi + at)
                    (xr * wr - xi * wi).store(to: real + columns * k1 + first + lane)
                    (xr * wi + xi * wr).store(to: imaginary + columns * k1 + first + lane)
                }
            }
        }
        let (outReal, outImaginary) = scratch
        for first in stride(from: 0, to: rows, by: width) {
            Self.interleave(rows: real + columns * first, columns: columns, into: br)
            Self.interleave(rows: imaginary + columns * first, columns: columns, into: bi)
            rowTransforms.transformBatch(real: br, imaginary: bi, inverse: inverse)
            for k2 in 0..<columns {
                (outReal + first + rows * k2).update(from: br + k2 * width, count: width)
                (outImaginary + first + rows * k2).update(from: bi + k2 * width, count: width)
            }
        }
        real.update(from: outReal, count: size)
        imaginary.update(from: outImaginary, count: size)
    }

    /// `blockWidth` rows of `columns` values each, interleaved: value n of row r to block[n·blockWidth + r].
    /// Four rows by four columns at a time, transposed in SIMD registers.
    private static func interleave(rows: UnsafeMutablePointer<Scalar>, columns: Int, into block: UnsafeMutablePointer<Scalar>) {
        typealias Quad = SIMD4<Scalar>
        let width = blockWidth
        for group in stride(from: 0, to: width, by: 4) {
            let r0 = rows + group * columns, r1 = r0 + columns, r2 = r1 + columns, r3 = r2 + columns
            var n = 0
            while n + 4 <= columns {
                let a = Quad.load(r0 + n), b = Quad.load(r1 + n), c = Quad.load(r2 + n), d = Quad.load(r3 + n)
                Quad(a[0], b[0], c[0], d[0]).store(to: block + n * width + group)
                Quad(a[1], b[1], c[1], d[1]).store(to: block + (n + 1) * width + group)
                Quad(a[2], b[2], c[2], d[2]).store(to: block + (n + 2) * width + group)
                Quad(a[3], b[3], c[3], d[3]).store(to: block + (n + 3) * width + group)
                n += 4
            }
        }
    }
}
