import Concord
import Testing

@testable import ConcordBench

@Suite struct MetricsCrossCorrelationTests {
    /// A 250 ms lag range keeps these debug-build tests quick; the method is the same.
    private let settings = CrossCorrelationLatency.Settings(maximumLagMilliseconds: 250)
    private let oneSample = 1000 / 48_000.0

    @Test func findsAFractionalDelayWindowByWindowAcrossSilences() {
        let signal = MetricsSignals.Partials(seed: 1)
        // Talker silent from 2.0 to 3.3 s.
        let silent: (Double) -> Bool = { $0 >= 2.0 && $0 < 3.3 }
        let source = MetricsSignals.render(signal, seconds: 7, silentAt: silent)
        let track = MetricsSignals.render(signal, seconds: 7, delay: { _ in 0.0734 }, silentAt: silent)
        let windows = CrossCorrelationLatency.analyze(source: source, track: track, settings: settings)
        // Window [2, 3) is entirely silent and skipped; the others are analysed.
        #expect(windows.count == 6)
        #expect(!windows.contains { $0.sourceStart == 96_000 })
        for window in windows {
            #expect(window.accepted, "window at \(window.sourceStart): ρ = \(window.correlation)")
            #expect(abs(window.latencyMilliseconds - 73.4) <= oneSample, "\(window.latencyMilliseconds) ms")
            #expect(window.correlation > 0.9)
        }
    }

    @Test func findsAnIntegerDelayOfNoise() {
        let source = MetricsSignals.noise(seconds: 4, amplitude: 0.3, seed: 11)
        let delay = 3_523  // 73.396 ms
        let track = [Float](repeating: 0, count: delay) + source
        let windows = CrossCorrelationLatency.analyze(source: source, track: track, settings: settings)
        #expect(windows.count == 4)
        for window in windows {
            #expect(window.accepted)
            #expect(abs(window.lagSamples - Double(delay)) <= 1)
        }
    }

    @Test func rejectsADifferentSignal() {
        let source = MetricsSignals.render(MetricsSignals.Partials(seed: 1), seconds: 5)
        let other = MetricsSignals.render(MetricsSignals.Partials(seed: 2), seconds: 5, delay: { _ in 0.0734 })
        let windows = CrossCorrelationLatency.analyze(source: source, track: other, settings: settings)
        #expect(windows.count == 5)
        #expect(windows.allSatisfy { !$0.accepted && $0.correlation < 0.5 })
        let noise = CrossCorrelationLatency.analyze(
            source: MetricsSignals.noise(seconds: 3, amplitude: 0.3, seed: 5),
            track: MetricsSignals.noise(seconds: 3.5, amplitude: 0.3, seed: 6), settings: settings)
        #expect(noise.count == 3 && noise.allSatisfy { !$0.accepted })
    }

    @Test func tracksADelayChangeHalfway() {
        let signal = MetricsSignals.Partials(seed: 9)
        let source = MetricsSignals.render(signal, seconds: 8)
        // 40 ms until t = 4 s of playout, 120 ms afterwards.
        let track = MetricsSignals.render(signal, seconds: 8.2, delay: { $0 < 4 ? 0.040 : 0.120 })
        let windows = CrossCorrelationLatency.analyze(source: source, track: track, settings: settings)
        #expect(windows.count == 8)
        for window in windows {
            let second = window.sourceStart / 48_000
            if second <= 2 {
                #expect(window.accepted && abs(window.latencyMilliseconds - 40) <= oneSample)
            } else if second >= 4 {
                #expect(window.accepted && abs(window.latencyMilliseconds - 120) <= oneSample)
            }
        }
    }

    @Test func quietOrEmptyInputsGiveNoWindows() {
        #expect(CrossCorrelationLatency.analyze(source: [], track: []).isEmpty)
        #expect(CrossCorrelationLatency.analyze(source: [Float](repeating: 0, count: 96_000), track: [Float](repeating: 0, count: 96_000)).isEmpty)
        let faint = MetricsSignals.noise(seconds: 2, amplitude: 0.001, seed: 1)  // −65 dBFS RMS
        #expect(CrossCorrelationLatency.analyze(source: faint, track: faint, settings: settings).isEmpty)
        // A loud source against an empty track is analysed and rejected.
        let loud = MetricsSignals.noise(seconds: 2, amplitude: 0.3, seed: 1)
        let rejected = CrossCorrelationLatency.analyze(source: loud, track: [0], settings: settings)
        #expect(rejected.count == 2 && rejected.allSatisfy { !$0.accepted && $0.correlation == 0 })
    }
}
