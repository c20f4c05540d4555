// Discrete Fourier transforms: a radix-2 FFT, and Bluestein's chirp-z algorithm on top of it for
// lengths that are not powers of two (ViSQOL's Hilbert envelope is defined on the exact signal
// length, so zero-padding it would change the envelope near the edges). Foundation on Linux has no
// vDSP, and a dependency for a few transform sizes would be out of proportion.

import Foundation

public struct ComplexBuffer: Sendable {
    public var real: [Double]
    public var imaginary: [Double]

    public init(count: Int) {
        real = [Double](repeating: 0, count: count)
        imaginary = [Double](repeating: 0, count: count)
    }

    public var count: Int { real.count }
}

/// Transforms with their twiddle tables and Bluestein chirps kept between calls: callers run the
/// same few sizes hundreds of times (ViSQOL's alignment per patch, the bench's latency search per
/// window).
public struct FFT: Sendable {
    private var twiddles: [Int: (cos: [Double], sin: [Double])] = [:]
    private var chirps: [Int: (real: [Double], imaginary: [Double], filter: ComplexBuffer)] = [:]

    public init() {}

    /// In-place radix-2 transform; `buffer.count` must be a power of two.
    /// Forward uses e^{-i...}; inverse uses e^{+i...} and divides by n.
    public mutating func radix2(_ buffer: inout ComplexBuffer, inverse: Bool) {
        let n = buffer.count
        guard n > 1 else { return }
        let sign: Double = inverse ? 1 : -1
        // One twiddle table for the largest stage; smaller stages step through it.
        if twiddles[n] == nil {
            let half = n / 2
            twiddles[n] = (
                (0..<half).map { cos(2 * Double.pi * Double($0) / Double(n)) },
                (0..<half).map { sin(2 * Double.pi * Double($0) / Double(n)) })
        }
        guard let (cosTable, sinTable) = twiddles[n] else { return }
        buffer.real.withUnsafeMutableBufferPointer { re in
            buffer.imaginary.withUnsafeMutableBufferPointer { im in
                cosTable.withUnsafeBufferPointer { cosines in
                    sinTable.withUnsafeBufferPointer { sines in
                        Self.butterflies(re, im, cosines, sines, sign: sign, inverse: inverse)
                    }
                }
            }
        }
    }

    /// The bit-reversal permutation, the butterfly stages and, for the inverse, the 1/n scaling.
    private static func butterflies(
        _ re: UnsafeMutableBufferPointer<Double>, _ im: UnsafeMutableBufferPointer<Double>,
        _ cosTable: UnsafeBufferPointer<Double>, _ sinTable: UnsafeBufferPointer<Double>, sign: Double, inverse: Bool
    ) {
        let n = re.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 { j ^= bit; bit >>= 1 }
            j |= bit
            if i < j {
                re.swapAt(i, j)
                im.swapAt(i, j)
            }
        }
        var length = 2
        while length <= n {
            let halfLength = length / 2
            let step = n / length
            var start = 0
            while start < n {
                for k in 0..<halfLength {
                    let wr = cosTable[k * step]
                    let wi = sign * sinTable[k * step]
                    let a = start + k
                    let b = a + halfLength
                    let tr = re[b] * wr - im[b] * wi
                    let ti = re[b] * wi + im[b] * wr
                    re[b] = re[a] - tr
                    im[b] = im[a] - ti
                    re[a] += tr
                    im[a] += ti
                }
                start += length
            }
            length *= 2
        }
        if inverse {
            let scale = 1 / Double(n)
            for i in 0..<n { re[i] *= scale; im[i] *= scale }
        }
    }

    public static func nextPowerOfTwo(atLeast n: Int) -> Int {
        var size = 1
        while size < n { size *= 2 }
        return size
    }

    /// DFT of any length (Bluestein when not a power of two).
    public mutating func transform(_ input: ComplexBuffer, inverse: Bool) -> ComplexBuffer {
        let n = input.count
        if n <= 1 { return input }
        if n & (n - 1) == 0 {
            var buffer = input
            radix2(&buffer, inverse: inverse)
            return buffer
        }
        let size = Self.nextPowerOfTwo(atLeast: 2 * n - 1)
        let key = inverse ? -n : n
        if chirps[key] == nil {
            let sign: Double = inverse ? 1 : -1
            // chirp[k] = e^{sign·iπk²/n}; k² is reduced mod 2n to keep the angle exact.
            var chirpReal = [Double](repeating: 0, count: n)
            var chirpImaginary = [Double](repeating: 0, count: n)
            for k in 0..<n {
                let square = (k * k) % (2 * n)
                let angle = Double.pi * Double(square) / Double(n)
                chirpReal[k] = cos(angle)
                chirpImaginary[k] = sign * sin(angle)
            }
            var b = ComplexBuffer(count: size)
            b.real[0] = chirpReal[0]
            b.imaginary[0] = -chirpImaginary[0]
            for k in 1..<n {
                b.real[k] = chirpReal[k]
                b.imaginary[k] = -chirpImaginary[k]
                b.real[size - k] = chirpReal[k]
                b.imaginary[size - k] = -chirpImaginary[k]
            }
            radix2(&b, inverse: false)
            chirps[key] = (chirpReal, chirpImaginary, b)
        }
        guard let (chirpReal, chirpImaginary, b) = chirps[key] else { return input }
        var a = ComplexBuffer(count: size)
        for k in 0..<n {
            // a = x · chirp
            a.real[k] = input.real[k] * chirpReal[k] - input.imaginary[k] * chirpImaginary[k]
            a.imaginary[k] = input.real[k] * chirpImaginary[k] + input.imaginary[k] * chirpReal[k]
        }
        radix2(&a, inverse: false)
        for i in 0..<size {
            let r = a.real[i] * b.real[i] - a.imaginary[i] * b.imaginary[i]
            let im = a.real[i] * b.imaginary[i] + a.imaginary[i] * b.real[i]
            a.real[i] = r
            a.imaginary[i] = im
        }
        radix2(&a, inverse: true)
        var output = ComplexBuffer(count: n)
        let scale = inverse ? 1 / Double(n) : 1
        for k in 0..<n {
            output.real[k] = (a.real[k] * chirpReal[k] - a.imaginary[k] * chirpImaginary[k]) * scale
            output.imaginary[k] = (a.real[k] * chirpImaginary[k] + a.imaginary[k] * chirpReal[k]) * scale
        }
        return output
    }
}
