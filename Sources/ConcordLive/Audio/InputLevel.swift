import Foundation
import Synchronization

/// The level of a block of input samples in dB relative to full scale (±1.0).
///
/// A full-scale square wave has peak and RMS of 0 dBFS; a full-scale sine 0 dBFS peak and
/// −3.01 dBFS RMS. Silence (and anything quieter than ``floorDBFS``) reads ``floorDBFS`` rather
/// than −∞, so the value is always finite and easy to print or plot.
public struct InputLevel: Sendable, Equatable, CustomStringConvertible {
    /// The lowest level reported: −120 dBFS, below the noise floor of any real microphone
    /// (24-bit audio bottoms out near −144 dBFS, 16-bit near −96).
    public static let floorDBFS: Float = -120

    /// The level of digital silence.
    public static let silence = InputLevel(peakDBFS: floorDBFS, rmsDBFS: floorDBFS)

    /// 20·log10 of the largest absolute sample.
    public var peakDBFS: Float
    /// 20·log10 of the root mean square of the samples.
    public var rmsDBFS: Float

    public init(peakDBFS: Float, rmsDBFS: Float) {
        self.peakDBFS = peakDBFS
        self.rmsDBFS = rmsDBFS
    }

    /// Measures `samples` (the empty block measures as silence).
    public init(measuring samples: UnsafeBufferPointer<Float>) {
        guard !samples.isEmpty else {
            self = .silence
            return
        }
        var peak: Float = 0
        var sumOfSquares: Double = 0
        for sample in samples {
            peak = max(peak, abs(sample))
            sumOfSquares += Double(sample) * Double(sample)
        }
        let rms = Float((sumOfSquares / Double(samples.count)).squareRoot())
        self.init(peakDBFS: Self.dbfs(amplitude: peak), rmsDBFS: Self.dbfs(amplitude: rms))
    }

    /// Measures `samples`.
    public init(measuring samples: [Float]) {
        self = samples.withUnsafeBufferPointer { InputLevel(measuring: $0) }
    }

    /// 20·log10(amplitude), clamped below at ``floorDBFS`` (also for zero and NaN).
    public static func dbfs(amplitude: Float) -> Float {
        guard amplitude > 0 else { return floorDBFS }
        return max(20 * log10(amplitude), floorDBFS)
    }

    public var description: String {
        String(format: "peak %.1f dBFS, RMS %.1f dBFS", peakDBFS, rmsDBFS)
    }
}

/// The input level meter: written by the engine thread after each `read`, read by any thread
/// (a UI, a status line). A mutex is fine here: it is taken once per frame on the engine
/// thread, never in a device callback.
final class InputLevelMeter: Sendable {
    private let current = Mutex(InputLevel.silence)

    var level: InputLevel { current.withLock { $0 } }

    func update(_ frame: UnsafeBufferPointer<Float>) {
        let measured = InputLevel(measuring: frame)
        current.withLock { $0 = measured }
    }

    func update(_ frame: [Float]) {
        frame.withUnsafeBufferPointer { update($0) }
    }
}
