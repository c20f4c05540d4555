import Testing
@testable import SimNet

@Suite struct PresetTests {
    @Test func requiredPresetsExist() {
        for name in ["lan", "wifi", "wifi-congested", "4g", "3g", "edge", "intercontinental", "satellite",
                     "wifi-lossy", "4g-lossy", "intercontinental-lossy", "satellite-lossy"] {
            #expect(PathConditions.preset(named: name) != nil, "\(name)")
        }
        #expect(PathConditions.preset(named: "nope") == nil)
        #expect(Set(PathConditions.presetNames).count == PathConditions.presets.count)
        for p in PathConditions.presets {
            #expect(!p.summary.isEmpty && !p.source.isEmpty)
        }
    }

    @Test(arguments: PathConditions.presetNames)
    func presetBehavesAsDocumented(_ name: String) {
        // Mean delay ≥ base delay and loss near the model's stationary rate (loose: 10 SE, using the
        // i.i.d. SE inflated ×3 for burstiness; this is a sanity check, the models are tested above).
        let c = PathConditions.preset(named: name)!
        let n = 20_000
        let res = probe(c, count: n, interval: .milliseconds(20), size: 160)
        let expectedLoss = c.loss.stationaryLossRate
        let rate = Double(res.counters.droppedLoss) / Double(n)
        let se = 3 * (max(expectedLoss, 1e-4) * (1 - expectedLoss) / Double(n)).squareRoot()
        #expect(abs(rate - expectedLoss) < 10 * se, "\(name) loss \(rate) vs \(expectedLoss)")
        #expect(res.counters.droppedQueueOverflow == 0)  // 64 kbit/s of voice fits every preset
        let meanDelay = res.arrivals.map { $0.delay.milliseconds }.reduce(0, +) / Double(res.arrivals.count)
        #expect(meanDelay >= c.delay.milliseconds * 0.99)
    }
}
