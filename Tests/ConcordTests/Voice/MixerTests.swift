import Testing
@testable import Concord

@Suite struct MixerTests {
    @Test func sumsStreamsWithPerStreamGain() {
        var mixer = Mixer(frameSamples: 4)
        mixer.setGain(0.5, for: 2)
        var out: [Float] = []
        mixer.mix([(1, [0.1, 0.2, -0.1, 0]), (2, [0.2, 0.2, 0.2, 0.2])], into: &out)
        let expected: [Float] = [0.2, 0.3, 0, 0.1]
        #expect(zip(out, expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func mutedStreamIsSilent() {
        var mixer = Mixer(frameSamples: 3)
        mixer.setGain(0, for: 1)
        var out: [Float] = []
        mixer.mix([(1, [0.5, 0.5, 0.5])], into: &out)
        #expect(out == [0, 0, 0])
    }

    /// Eight loud talkers at once: the mix never leaves [-1, 1] and recovers afterwards.
    @Test func loudSumIsLimitedNotClippedOrWrapped() {
        var mixer = Mixer(frameSamples: 960)
        let loud = TestSignals.sine(hz: 440, seconds: 0.02, amplitude: 0.9)
        let quiet = TestSignals.sine(hz: 440, seconds: 0.02, amplitude: 0.1)
        var out: [Float] = []
        var peaks: [Float] = []
        for _ in 0..<50 {
            mixer.mix((1...8).map { (PeerID($0), loud) }, into: &out)
            peaks.append(out.map(abs).max()!)
        }
        #expect(peaks.allSatisfy { $0 <= 1 })
        // Limited, not hard-clipped: after the first frame the waveform keeps its shape.
        #expect(TestSignals.correlation(loud, out, lag: 0) > 0.999)
        // Released: a quiet stream later comes back to unity gain.
        for _ in 0..<300 { mixer.mix([(1, quiet)], into: &out) }
        #expect(abs(out.map(abs).max()! - 0.1) < 0.002)
    }
}
