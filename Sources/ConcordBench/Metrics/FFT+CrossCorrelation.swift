import FourierTransform

extension FFT {
    /// c[L] = Σᵢ x[i]·y[i + L] for L in 0..<lags, by one complex FFT of x + i·y (two real
    /// transforms for the price of one) and one inverse, both of `size` points (a power of two).
    /// Requires x.count + lags − 1 ≤ size and y.count ≤ size, so that nothing wraps around.
    /// `scratch` is reused between calls.
    mutating func crossCorrelation(
        _ x: ArraySlice<Float>, _ y: ArraySlice<Float>, lags: Int, size n: Int, scratch z: inout ComplexBuffer
    ) -> [Double] {
        if z.count != n {
            z = ComplexBuffer(count: n)
        } else {
            for i in 0..<n {
                z.real[i] = 0
                z.imaginary[i] = 0
            }
        }
        for (offset, value) in x.prefix(n).enumerated() { z.real[offset] = Double(value) }
        for (offset, value) in y.prefix(n).enumerated() { z.imaginary[offset] = Double(value) }
        radix2(&z, inverse: false)
        // Split: X[k] = (Z[k] + conj Z[−k])/2, Y[k] = (Z[k] − conj Z[−k])/(2i); P = conj(X)·Y.
        var product = ComplexBuffer(count: n)
        for k in 0..<n {
            let m = (n - k) & (n - 1)
            let xr = (z.real[k] + z.real[m]) / 2, xi = (z.imaginary[k] - z.imaginary[m]) / 2
            let yr = (z.imaginary[k] + z.imaginary[m]) / 2, yi = -(z.real[k] - z.real[m]) / 2
            product.real[k] = xr * yr + xi * yi
            product.imaginary[k] = xr * yi - xi * yr
        }
        radix2(&product, inverse: true)
        return Array(product.real.prefix(min(lags, n)))
    }
}
