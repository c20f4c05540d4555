import FourierTransform
import Foundation

/// Real gains per frequency applied to a 48 kHz signal, 10 ms at a time: weighted overlap-add
/// of 10 ms square-root-Hann frames every 5 ms, each zero-padded to a 512-point transform (bins
/// 93.75 Hz apart). It delays the signal by `delaySamples` (5 ms); with every gain at 1 its output
/// is the input so delayed, exactly (the squared window's halves sum to 1), and no transform runs.
///
/// A chunk's two frames are transformed together, one as the real part and one as the imaginary:
/// gains that are real and the same at k and 512 − k filter each part on its own.
final class SpectralGainFilter {
    static let chunk = 480
    static let hop = 240
    static let fftSize = 512
    /// Gains per bin 0…256.
    static var bins: Int { fftSize / 2 + 1 }
    static var delaySamples: Int { hop }

    private var fft = FFT()
    private var buffer = ComplexBuffer(count: fftSize)
    /// sin(πn/480): analysis and synthesis window alike.
    private let window: [Double]
    /// The last hop of input, and the second frame's tail still to be added to the next output.
    private var previousHop: [Double]
    private var pendingTail: [Double]

    init() {
        window = (0..<Self.chunk).map { sin(Double.pi * Double($0) / Double(Self.chunk)) }
        previousHop = [Double](repeating: 0, count: Self.hop)
        pendingTail = [Double](repeating: 0, count: Self.hop)
    }

    /// One chunk of `chunk` samples, in place; `gains` has `bins` entries, or is nil for all 1.
    func process(_ samples: UnsafeMutableBufferPointer<Float>, gains: [Float]?) {
        guard samples.count == Self.chunk else { return }
        let hop = Self.hop, size = Self.chunk
        // frame A = previous hop + first half of the chunk; frame B = the chunk.
        var buffer = ComplexBuffer(count: 0)
        swap(&buffer, &self.buffer)
        defer { swap(&buffer, &self.buffer) }
        buffer.real.withUnsafeMutableBufferPointer { re in
            buffer.imaginary.withUnsafeMutableBufferPointer { im in
                for n in 0..<hop {
                    re[n] = previousHop[n] * window[n]
                    re[hop + n] = Double(samples[n]) * window[hop + n]
                }
                for n in 0..<size { im[n] = Double(samples[n]) * window[n] }
                for n in size..<Self.fftSize {
                    re[n] = 0
                    im[n] = 0
                }
            }
        }
        for n in 0..<hop { previousHop[n] = Double(samples[hop + n]) }
        if let gains {
            fft.radix2(&buffer, inverse: false)
            buffer.real.withUnsafeMutableBufferPointer { re in
                buffer.imaginary.withUnsafeMutableBufferPointer { im in
                    let size = Self.fftSize
                    for k in 0..<Self.bins {
                        let g = Double(gains[k])
                        re[k] *= g
                        im[k] *= g
                        if k > 0 && k < size / 2 {
                            re[size - k] *= g
                            im[size - k] *= g
                        }
                    }
                }
            }
            fft.radix2(&buffer, inverse: true)
        }
        // Synthesis window, then overlap-add: output = pending tail + A's head, A's tail + B's head.
        buffer.real.withUnsafeBufferPointer { re in
            buffer.imaginary.withUnsafeBufferPointer { im in
                for n in 0..<hop {
                    samples[n] = Float(pendingTail[n] + re[n] * window[n])
                    samples[hop + n] = Float(re[hop + n] * window[hop + n] + im[n] * window[n])
                    pendingTail[n] = im[hop + n] * window[hop + n]
                }
            }
        }
    }
}
