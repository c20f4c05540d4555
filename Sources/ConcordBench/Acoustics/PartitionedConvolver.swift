import FourierTransform

/// A signal that arrives block by block through a long impulse response, at a cost per block of
/// two FFTs and one complex multiply-add per partition whatever the response's length: uniformly
/// partitioned overlap-save. The response is cut into partitions of one block; each block's
/// spectrum is kept for as many blocks as there are partitions, and each output block sums every
/// partition's spectrum times the spectrum of the input that many blocks back.
struct PartitionedConvolver {
    let block: Int
    /// FFT length: a power of two of at least 2 × block − 1, so that the last `block` outputs of
    /// each circular convolution are the linear ones.
    let size: Int
    private var partitions: [ComplexBuffer]
    /// The input's spectra, newest at `newest`, going back one block per slot.
    private var spectra: [ComplexBuffer]
    private var newest = 0
    /// The last `size` input samples.
    private var window: [Double]
    /// Where each block's output is summed (kept, so a block allocates nothing but its result).
    private var sum: ComplexBuffer
    private var fft = FFT()

    init(impulse: [Float], block: Int) {
        self.block = block
        size = FFT.nextPowerOfTwo(atLeast: 2 * block)
        let count = max(1, (impulse.count + block - 1) / block)
        var fft = FFT()
        var partitions: [ComplexBuffer] = []
        for j in 0..<count {
            var h = ComplexBuffer(count: size)
            for i in 0..<block where j * block + i < impulse.count { h.real[i] = Double(impulse[j * block + i]) }
            fft.radix2(&h, inverse: false)
            partitions.append(h)
        }
        self.partitions = partitions
        self.fft = fft
        spectra = [ComplexBuffer](repeating: ComplexBuffer(count: size), count: count)
        window = [Double](repeating: 0, count: size)
        sum = ComplexBuffer(count: size)
    }

    /// The next `block` outputs, for the next `block` inputs (a shorter input is padded with zeros).
    mutating func process(_ input: ArraySlice<Float>) -> [Float] {
        let (size, block) = (size, block)
        window.withUnsafeMutableBufferPointer { w in
            for i in 0..<(size - block) { w[i] = w[i + block] }
            for i in 0..<block { w[size - block + i] = i < input.count ? Double(input[input.startIndex + i]) : 0 }
        }
        newest = (newest + 1) % spectra.count
        spectra[newest].real.withUnsafeMutableBufferPointer { r in
            window.withUnsafeBufferPointer { w in for k in 0..<size { r[k] = w[k] } }
        }
        spectra[newest].imaginary.withUnsafeMutableBufferPointer { i in for k in 0..<size { i[k] = 0 } }
        fft.radix2(&spectra[newest], inverse: false)
        sum.real.withUnsafeMutableBufferPointer { yr in
            sum.imaginary.withUnsafeMutableBufferPointer { yi in
                for k in 0..<size {
                    yr[k] = 0
                    yi[k] = 0
                }
                for j in 0..<partitions.count {
                    let h = partitions[j]
                    let s = spectra[(newest - j + spectra.count) % spectra.count]
                    h.real.withUnsafeBufferPointer { hr in
                        h.imaginary.withUnsafeBufferPointer { hi in
                            s.real.withUnsafeBufferPointer { sr in
                                s.imaginary.withUnsafeBufferPointer { si in
                                    for k in 0..<size {
                                        yr[k] += sr[k] * hr[k] - si[k] * hi[k]
                                        yi[k] += sr[k] * hi[k] + si[k] * hr[k]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        fft.radix2(&sum, inverse: true)
        return (size - block..<size).map { Float(sum.real[$0]) }
    }
}
