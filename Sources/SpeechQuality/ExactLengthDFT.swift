// The DFT of any length: a power-of-two or mixed-radix FFT when the length allows, otherwise
// Bluestein's chirp-z algorithm on a power-of-two FFT. ViSQOL defines the Hilbert envelope of a patch
// on the patch's exact length, so zero-padding it to a power of two would move the envelope near the
// patch edges.

import Foundation

final class ExactLengthDFT<Scalar: FourierScalar> {
    let length: Int
    private enum Algorithm {
        case powerOfTwo(PowerOfTwoFFT<Scalar>)
        case mixedRadix(MixedRadixFFT<Scalar>)
        case bluestein(BluesteinDFT<Scalar>)
    }
    private let algorithm: Algorithm

    init(length: Int, plans: FourierPlans<Scalar>) {
        self.length = length
        if length > 0, length & (length - 1) == 0 {
            algorithm = .powerOfTwo(plans.powerOfTwo(length))
        } else if let mixedRadix = MixedRadixFFT<Scalar>(length: length) {
            algorithm = .mixedRadix(mixedRadix)
        } else {
            algorithm = .bluestein(BluesteinDFT(length: length, fft: plans.powerOfTwo(PowerOfTwoFFT<Scalar>.nextPowerOfTwo(atLeast: 2 * length - 1))))
        }
    }

    /// In place over `length` values. Forward uses e^{-i…}; inverse uses e^{+i…} and divides by `length`.
    func transform(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool) {
        guard length > 1 else { return }
        switch algorithm {
        case let .powerOfTwo(fft): fft.transform(real: real, imaginary: imaginary, inverse: inverse)
        case let .mixedRadix(fft): fft.transform(real: real, imaginary: imaginary, inverse: inverse)
        case let .bluestein(dft): dft.transform(real: real, imaginary: imaginary, inverse: inverse)
        }
    }
}

/// Bluestein: the DFT as a convolution with the chirp e^{-iπk²/length}, done by a power-of-two FFT of
/// at least 2·length − 1 points.
final class BluesteinDFT<Scalar: FourierScalar> {
    let length: Int
    private let fft: PowerOfTwoFFT<Scalar>
    private let chirpReal: [Scalar]
    private let chirpImaginary: [Scalar]
    /// The spectrum of the conjugate chirp, wrapped to `fft.size`.
    private let filter: SplitComplexBuffer<Scalar>
    private let work: SplitComplexBuffer<Scalar>

    /// `fft.size` must be at least 2·length − 1.
    init(length: Int, fft: PowerOfTwoFFT<Scalar>) {
        self.length = length
        self.fft = fft
        let size = fft.size
        work = SplitComplexBuffer(count: size)
        var cr = [Scalar](repeating: 0, count: length), ci = cr
        for k in 0..<length {
            // k² reduced mod 2·length keeps the angle exact for long signals.
            let angle = Double.pi * Double((k * k) % (2 * length)) / Double(length)
            cr[k] = Scalar(cos(angle))
            ci[k] = Scalar(-sin(angle))
        }
        filter = SplitComplexBuffer(count: size)
        let fr = filter.real, fi = filter.imaginary
        if length > 0 {
            fr[0] = cr[0]
            fi[0] = -ci[0]
        }
        for k in 1..<max(1, length) {
            fr[k] = cr[k]; fi[k] = -ci[k]
            fr[size - k] = cr[k]; fi[size - k] = -ci[k]
        }
        fft.transform(real: fr, imaginary: fi, inverse: false)
        chirpReal = cr; chirpImaginary = ci
    }

    func transform(real: UnsafeMutablePointer<Scalar>, imaginary: UnsafeMutablePointer<Scalar>, inverse: Bool) {
        let n = length, size = fft.size
        // The inverse is the conjugate of the forward transform of the conjugate, over n.
        let conjugate: Scalar = inverse ? -1 : 1
        let fr = filter.real, fi = filter.imaginary
        chirpReal.withUnsafeBufferPointer { cr in
        chirpImaginary.withUnsafeBufferPointer { ci in
            let ar = work.real, ai = work.imaginary
            for k in 0..<n {
                let xr = real[k], xi = conjugate * imaginary[k]
                ar[k] = xr * cr[k] - xi * ci[k]
                ai[k] = xr * ci[k] + xi * cr[k]
            }
            (ar + n).update(repeating: 0, count: size - n)
            (ai + n).update(repeating: 0, count: size - n)
            fft.transform(real: ar, imaginary: ai, inverse: false)
            for k in 0..<size {
                let r = ar[k] * fr[k] - ai[k] * fi[k]
                let i = ar[k] * fi[k] + ai[k] * fr[k]
                ar[k] = r
                ai[k] = i
            }
            fft.transform(real: ar, imaginary: ai, inverse: true)
            let scale = inverse ? 1 / Scalar(n) : 1
            for k in 0..<n {
                real[k] = (ar[k] * cr[k] - ai[k] * ci[k]) * scale
                imaginary[k] = conjugate * (ar[k] * ci[k] + ai[k] * cr[k]) * scale
            }
        }}
    }
}

/// The transforms one score needs, built on first use and kept for the patches that follow.
final class FourierPlans<Scalar: FourierScalar> {
    private var powersOfTwo: [Int: PowerOfTwoFFT<Scalar>] = [:]
    private var exactLengths: [Int: ExactLengthDFT<Scalar>] = [:]
    /// The largest scratch handed out so far: a stream's plans (2^20 and 2^19 points) share one
    /// instead of each touching megabytes of fresh memory.
    private var scratch: SplitComplexBuffer<Scalar>?

    func powerOfTwo(_ size: Int) -> PowerOfTwoFFT<Scalar> {
        if let plan = powersOfTwo[size] { return plan }
        if scratch.map({ $0.count < size }) ?? true { scratch = SplitComplexBuffer(count: size) }
        let plan = PowerOfTwoFFT<Scalar>(size: size, scratch: scratch)
        powersOfTwo[size] = plan
        return plan
    }

    func exactLength(_ length: Int) -> ExactLengthDFT<Scalar> {
        if let plan = exactLengths[length] { return plan }
        let plan = ExactLengthDFT(length: length, plans: self)
        exactLengths[length] = plan
        return plan
    }
}
