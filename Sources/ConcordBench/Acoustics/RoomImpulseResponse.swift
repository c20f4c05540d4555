import FourierTransform
import Foundation
import SeededRandom

/// How a loudspeaker's sound reaches a microphone in a room, as an impulse response at the
/// engine's 48 kHz.
///
/// The synthetic model is the statistical one of room acoustics (Polack): after the direct path,
/// a Gaussian noise whose envelope decays 60 dB over the reverberation time RT60. A laptop on a
/// desk in an office is about RT60 0.2–0.4 s with the echo 0–10 dB below what the loudspeaker
/// plays at the microphone.
public enum RoomImpulseResponse {
    /// Unit energy (Σ h² = 1), `seconds` long, the direct path at sample 0.
    public static func synthetic(rt60Seconds: Double, seconds: Double, seed: UInt64) -> [Float] {
        let rate = Double(48_000)
        let count = max(1, Int(seconds * rate))
        var random = SplitMix64(seed: seed)
        func gaussian() -> Double {
            // Box–Muller.
            let u = max(random.unit(), 1e-300)
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * random.unit())
        }
        // Amplitude falls by 60 dB (×10⁻³) over rt60: e^(−6.9078 t / rt60).
        let decay = 6.907_755_279 / max(rt60Seconds, 1e-3) / rate
        var impulse = (0..<count).map { i in Float(gaussian() * exp(-decay * Double(i))) }
        impulse[0] = max(abs(impulse[0]), 1)
        let energy = impulse.reduce(0.0) { $0 + Double($1) * Double($1) }
        let scale = Float(1 / energy.squareRoot())
        return impulse.map { $0 * scale }
    }

    /// `signal` through `impulse` (full length of `signal`, the tail past its end cut), by one
    /// FFT: for offline use on whole recordings.
    public static func convolve(_ signal: [Float], with impulse: [Float]) -> [Float] {
        guard !signal.isEmpty, !impulse.isEmpty else { return [Float](repeating: 0, count: signal.count) }
        let size = FFT.nextPowerOfTwo(atLeast: signal.count + impulse.count - 1)
        var fft = FFT()
        var x = ComplexBuffer(count: size)
        var h = ComplexBuffer(count: size)
        for (i, v) in signal.enumerated() { x.real[i] = Double(v) }
        for (i, v) in impulse.enumerated() { h.real[i] = Double(v) }
        fft.radix2(&x, inverse: false)
        fft.radix2(&h, inverse: false)
        for k in 0..<size {
            let (a, b, c, d) = (x.real[k], x.imaginary[k], h.real[k], h.imaginary[k])
            x.real[k] = a * c - b * d
            x.imaginary[k] = a * d + b * c
        }
        fft.radix2(&x, inverse: true)
        return (0..<signal.count).map { Float(x.real[$0]) }
    }
}
