import Foundation
@testable import Concord
import SeededRandom

/// Deterministic test signals.
enum TestSignals {
    /// A voiced, speech-like signal: harmonics of a gliding 110–190 Hz pitch under a
    /// syllable-rate (4 Hz) envelope. Opus codes it as speech (SILK/hybrid).
    static func voiced(seconds: Double, amplitude: Float = 0.3) -> [Float] {
        let n = Int(seconds * Double(AudioFormat.sampleRate))
        var out = [Float](repeating: 0, count: n)
        var phase = 0.0
        for i in 0..<n {
            let t = Double(i) / Double(AudioFormat.sampleRate)
            let f0 = 150 + 40 * sin(2 * .pi * 0.7 * t)
            phase += 2 * .pi * f0 / Double(AudioFormat.sampleRate)
            var x = 0.0
            for h in 1...12 { x += sin(Double(h) * phase) / Double(h) }
            let envelope = 0.55 + 0.45 * sin(2 * .pi * 4 * t)
            out[i] = Float(x * envelope) * amplitude
        }
        return out
    }

    static func sine(hz: Double, seconds: Double, amplitude: Float = 0.5) -> [Float] {
        let n = Int(seconds * Double(AudioFormat.sampleRate))
        return (0..<n).map { Float(sin(2 * .pi * hz * Double($0) / Double(AudioFormat.sampleRate))) * amplitude }
    }

    static func frames(_ signal: [Float], frameSamples: Int) -> [[Float]] {
        stride(from: 0, to: signal.count - frameSamples + 1, by: frameSamples).map {
            Array(signal[$0..<$0 + frameSamples])
        }
    }

    /// Normalised correlation of `a` against `b` shifted right by `lag` samples, over the overlap.
    static func correlation(_ a: [Float], _ b: [Float], lag: Int) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        let start = max(0, -lag), end = min(a.count, b.count - lag)
        guard end > start else { return 0 }
        for i in start..<end {
            let x = Double(a[i]), y = Double(b[i + lag])
            ab += x * y
            aa += x * x
            bb += y * y
        }
        return aa > 0 && bb > 0 ? ab / (aa * bb).squareRoot() : 0
    }

    /// The lag in `range` at which `b` best matches `a`, and the correlation there: a coarse
    /// search on 8× box-filtered copies, then an exact search ±16 samples around the peak.
    static func bestLag(_ a: [Float], _ b: [Float], range: ClosedRange<Int>) -> (lag: Int, correlation: Double) {
        let factor = 8
        func decimate(_ x: [Float]) -> [Float] {
            stride(from: 0, to: x.count - factor + 1, by: factor).map { i in x[i..<i + factor].reduce(0, +) }
        }
        let da = decimate(a), db = decimate(b)
        var coarse = (lag: range.lowerBound / factor, correlation: -2.0)
        for lag in (range.lowerBound / factor)...(range.upperBound / factor) {
            let c = correlation(da, db, lag: lag)
            if c > coarse.correlation { coarse = (lag, c) }
        }
        var best = (lag: range.lowerBound, correlation: -2.0)
        for lag in max(range.lowerBound, coarse.lag * factor - 16)...min(range.upperBound, coarse.lag * factor + 16) {
            let c = correlation(a, b, lag: lag)
            if c > best.correlation { best = (lag, c) }
        }
        return best
    }
}
