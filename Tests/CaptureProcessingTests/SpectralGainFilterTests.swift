@testable import CaptureProcessing
import Foundation
import Testing

@Suite struct SpectralGainFilterTests {
    static func run(_ input: [Float], gains: [Float]?) -> [Float] {
        let filter = SpectralGainFilter()
        var output: [Float] = []
        for start in stride(from: 0, to: input.count - 479, by: 480) {
            var chunk = Array(input[start..<start + 480])
            chunk.withUnsafeMutableBufferPointer { filter.process($0, gains: gains) }
            output += chunk
        }
        return output
    }

    static func tone(_ hertz: Double, count: Int) -> [Float] {
        (0..<count).map { Float(0.5 * sin(2 * Double.pi * hertz * Double($0) / 48_000)) }
    }

    @Test func unitGainsOnlyDelay() {
        var generator = SystemRandomNumberGenerator()
        let input = (0..<4800).map { _ in Float.random(in: -1...1, using: &generator) }
        let delay = SpectralGainFilter.delaySamples
        for gains in [nil, [Float](repeating: 1, count: SpectralGainFilter.bins)] {
            let output = Self.run(input, gains: gains)
            let worst = (delay..<input.count).map { abs(output[$0] - input[$0 - delay]) }.max() ?? 1
            #expect(worst < 1e-5, "\(worst)")
        }
    }

    /// Bins are 93.75 Hz apart: a tone at 1 kHz (bin 10.7) is taken down with its bins, one at
    /// 5 kHz (bin 53.3) is left as it was.
    @Test func aBandIsScaledAndTheRestLeftAlone() {
        var gains = [Float](repeating: 1, count: SpectralGainFilter.bins)
        for k in 5...16 { gains[k] = 0.01 }
        let count = 48_000
        let low = Self.run(Self.tone(1000, count: count), gains: gains)
        let high = Self.run(Self.tone(5000, count: count), gains: gains)
        func level(_ s: [Float]) -> Double { 10 * log10(s[4800...].reduce(0) { $0 + Double($1) * Double($1) } / Double(s.count - 4800)) }
        let reference = level(Self.tone(1000, count: count))
        #expect(level(low) < reference - 35, "\(level(low) - reference) dB")
        #expect(abs(level(high) - reference) < 0.1, "\(level(high) - reference) dB")
    }
}
