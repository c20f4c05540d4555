import ConcordLive
import Testing

@Suite struct InputLevelTests {
    @Test func silenceReadsTheFloor() {
        let level = InputLevel(measuring: [Float](repeating: 0, count: 480))
        #expect(level == .silence)
        #expect(level.peakDBFS == -120)
        #expect(level.rmsDBFS == -120)
        #expect(InputLevel(measuring: []) == .silence)
        // Quieter than the floor is clamped to it, never −∞ or NaN.
        #expect(InputLevel(measuring: [Float](repeating: 1e-9, count: 480)).peakDBFS == -120)
        #expect(InputLevel.dbfs(amplitude: .nan) == -120)
    }

    @Test func fullScaleSquareIsZeroDBFS() {
        let square = (0..<480).map { $0 % 48 < 24 ? Float(1) : -1 }
        let level = InputLevel(measuring: square)
        #expect(abs(level.peakDBFS) < 1e-4)
        #expect(abs(level.rmsDBFS) < 1e-4)
    }

    @Test func halfScaleSquareIsMinusSixDBFS() {
        let square = (0..<480).map { $0 % 48 < 24 ? Float(0.5) : -0.5 }
        let level = InputLevel(measuring: square)
        #expect(abs(level.peakDBFS - -6.0206) < 1e-3)
        #expect(abs(level.rmsDBFS - -6.0206) < 1e-3)
    }

    @Test func fullScaleSineIsZeroPeakAndMinusThreeRMS() {
        // 1 kHz: 10 ms is exactly 10 periods, and sample 12 of each 48 is the crest.
        let level = InputLevel(measuring: sine(count: 480, frequency: 1000))
        #expect(abs(level.peakDBFS) < 1e-3)
        #expect(abs(level.rmsDBFS - -3.0103) < 1e-3)
        let quiet = InputLevel(measuring: sine(count: 480, frequency: 1000, amplitude: 0.01))
        #expect(abs(quiet.peakDBFS - -40) < 1e-3)
        #expect(abs(quiet.rmsDBFS - -43.0103) < 1e-3)
    }

    @Test func singleClickSetsThePeakNotTheRMS() {
        var frame = [Float](repeating: 0, count: 480)
        frame[100] = 0.5
        let level = InputLevel(measuring: frame)
        #expect(abs(level.peakDBFS - -6.0206) < 1e-3)
        // RMS of one 0.5 sample in 480: 0.5/√480 → −32.83 dBFS.
        #expect(abs(level.rmsDBFS - -32.8330) < 1e-3)
    }
}
