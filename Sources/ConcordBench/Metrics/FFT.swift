import Foundation

/// A small iterative radix-2 complex FFT (double precision), enough for the cross-correlation
/// latency search: Foundation on Linux has no vDSP, and a dependency for one transform size
/// would be out of proportion.
struct FFT {
    let size: Int
    private let cosines: [Double]
    private let sines: [Double]
    private let reversed: [Int]

    /// `size` must be a power of two ≥ 2.
    init(size: Int) {
        precondition(size >= 2 && size & (size - 1) == 0, "FFT size must be a power of two")
        self.size = size
        let half = size / 2
        cosines = (0..<half).map { cos(-2 * Double.pi * Double($0) / Double(size)) }
        sines = (0..<half).map { sin(-2 * Double.pi * Double($0) / Double(size)) }
        let bits = size.trailingZeroBitCount
        reversed = (0..<size).map { index in
            var value = 0
            for bit in 0..<bits where index & (1 << bit) != 0 { value |= 1 << (bits - 1 - bit) }
            return value
        }
    }

    /// The smallest power of two ≥ `count` (and ≥ 2).
    static func size(atLeast count: Int) -> Int {
        var size = 2
        while size < count { size <<= 1 }
        return size
    }

    /// In-place transform; `inverse` uses the conjugate twiddles and scales by 1/size.
    func transform(real: inout [Double], imaginary: inout [Double], inverse: Bool = false) {
        let n = size
        real.withUnsafeMutableBufferPointer { re in
            imaginary.withUnsafeMutableBufferPointer { im in
                cosines.withUnsafeBufferPointer { c in
                    sines.withUnsafeBufferPointer { s in
                        for i in 0..<n {
                            let j = reversed[i]
                            if j > i {
                                re.swapAt(i, j)
                                im.swapAt(i, j)
                            }
                        }
                        let sign = inverse ? -1.0 : 1.0
                        var length = 2
                        while length <= n {
                            let halfLength = length / 2
                            let step = n / length
                            var start = 0
                            while start < n {
                                for k in 0..<halfLength {
                                    let wr = c[k * step], wi = sign * s[k * step]
                                    let a = start + k, b = a + halfLength
                                    let tr = re[b] * wr - im[b] * wi
                                    let ti = re[b] * wi + im[b] * wr
                                    re[b] = re[a] - tr
                                    im[b] = im[a] - ti
                                    re[a] += tr
                                    im[a] += ti
                                }
                                start += length
                            }
                            length <<= 1
                        }
                        if inverse {
                            let scale = 1 / Double(n)
                            for i in 0..<n {
                                re[i] *= scale
                                im[i] *= scale
                            }
                        }
                    }
                }
            }
        }
    }

    /// c[L] = Σᵢ x[i]·y[i + L] for L in 0..<lags, by one complex FFT of x + i·y (two real
    /// transforms for the price of one) and one inverse. Requires x.count + lags − 1 ≤ size and
    /// y.count ≤ size, so that nothing wraps around.
    func crossCorrelation(_ x: ArraySlice<Float>, _ y: ArraySlice<Float>, lags: Int, real: inout [Double], imaginary: inout [Double]) -> [Double] {
        let n = size
        if real.count != n { real = [Double](repeating: 0, count: n) } else { for i in 0..<n { real[i] = 0 } }
        if imaginary.count != n { imaginary = [Double](repeating: 0, count: n) } else { for i in 0..<n { imaginary[i] = 0 } }
        for (offset, value) in x.prefix(n).enumerated() { real[offset] = Double(value) }
        for (offset, value) in y.prefix(n).enumerated() { imaginary[offset] = Double(value) }
        transform(real: &real, imaginary: &imaginary)
        // Split: X[k] = (Z[k] + conj Z[−k])/2, Y[k] = (Z[k] − conj Z[−k])/(2i); P = conj(X)·Y.
        var pr = [Double](repeating: 0, count: n), pi = [Double](repeating: 0, count: n)
        for k in 0..<n {
            let m = (n - k) & (n - 1)
            let xr = (real[k] + real[m]) / 2, xi = (imaginary[k] - imaginary[m]) / 2
            let yr = (imaginary[k] + imaginary[m]) / 2, yi = -(real[k] - real[m]) / 2
            pr[k] = xr * yr + xi * yi
            pi[k] = xr * yi - xi * yr
        }
        transform(real: &pr, imaginary: &pi, inverse: true)
        return Array(pr.prefix(min(lags, n)))
    }
}
