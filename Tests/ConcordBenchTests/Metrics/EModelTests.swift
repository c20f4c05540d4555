import Concord
import Testing

@testable import ConcordBench
import SeededRandom

@Suite struct MetricsEModelTests {
    @Test func cleanZeroDelayPathIsTheDefaultRating() {
        let r = EModel.rFactor(oneWayDelayMilliseconds: 0, ppl: 0)
        #expect(r == 93.2)
        // 1 + 0.035·93.2 + 7e-6·93.2·33.2·6.8 = 4.40929…
        let mos = EModel.mos(rFactor: r)
        #expect(abs(mos - 4.409285824) < 1e-9)
        #expect((mos * 100).rounded() / 100 == 4.41)
    }

    @Test func delayImpairmentByColeAndRosenbluth() {
        // 100 ms: below the knee, Id = 2.4.
        #expect(abs(EModel.rFactor(oneWayDelayMilliseconds: 100, ppl: 0) - 90.8) < 1e-12)
        // 200 ms: Id = 4.8 + 0.11·22.7 = 7.297 → R = 85.903, MOS = 4.22618…
        let r = EModel.rFactor(oneWayDelayMilliseconds: 200, ppl: 0)
        #expect(abs(r - 85.903) < 1e-9)
        #expect(abs(EModel.mos(rFactor: r) - 4.226180123814712) < 1e-9)
        // 400 ms (G.114's planning limit): 9.6 + 0.11·222.7 = 34.097 → R = 59.103.
        #expect(abs(EModel.rFactor(oneWayDelayMilliseconds: 400, ppl: 0) - 59.103) < 1e-9)
        #expect(EModel.delayImpairment(oneWayMilliseconds: -5) == 0)
    }

    @Test func lossImpairmentWithOpusValues() {
        // Ppl = Bpl (random): Ie,eff = 95·25.1/(25.1 + 25.1) = 47.5.
        #expect(abs(EModel.effectiveEquipmentImpairment(ppl: 25.1, burstR: 1) - 47.5) < 1e-12)
        // 1 % random: 95/26.1 = 3.6398…
        #expect(abs(EModel.effectiveEquipmentImpairment(ppl: 1, burstR: 1) - 95 / 26.1) < 1e-12)
        // Bursty loss hurts more than random loss at the same rate.
        #expect(EModel.effectiveEquipmentImpairment(ppl: 5, burstR: 2) > EModel.effectiveEquipmentImpairment(ppl: 5, burstR: 1))
        #expect(EModel.effectiveEquipmentImpairment(ppl: 0, burstR: 3) == EModel.opusIe)
    }

    @Test func monotonicInLossAndDelay() {
        var previous = Double.infinity
        for step in 0...40 {
            let r = EModel.rFactor(oneWayDelayMilliseconds: 80, ppl: Double(step) * 0.5)
            #expect(r < previous)
            previous = r
        }
        previous = .infinity
        for d in stride(from: 0.0, through: 800, by: 25) {
            let r = EModel.rFactor(oneWayDelayMilliseconds: d, ppl: 2)
            #expect(r < previous)
            previous = r
        }
    }

    @Test func mosClampsAndStaysFinite() {
        #expect(EModel.mos(rFactor: -20) == 1)
        #expect(EModel.mos(rFactor: 0) == 1)
        #expect(EModel.mos(rFactor: 100) == 4.5)
        #expect(EModel.mos(rFactor: 130) == 4.5)
        #expect(EModel.mos(rFactor: .nan) == 1)
        #expect(EModel.rFactor(oneWayDelayMilliseconds: .nan, ppl: .nan).isFinite)
        // Loss beyond 100 % is clamped.
        #expect(EModel.rFactor(oneWayDelayMilliseconds: 0, ppl: 250) == EModel.rFactor(oneWayDelayMilliseconds: 0, ppl: 100))
    }

    @Test func burstRatioOfKnownPatterns() {
        // Strict alternation: p = 1, r = 1 → BurstR = 0.5 (smoother than random).
        #expect(EModel.burstRatio(lost: (0..<100).map { $0 % 2 == 1 }) == 0.5)
        // 10 runs of 4 losses each followed by 16 good frames (200 frames), counted by hand:
        // fine frames with a successor = 160 − 1 = 159 (the last frame has none), of which 9 go
        // to a loss (the last run of good frames is not followed by one) → p = 9/159;
        // lost frames with a successor = 40, of which 10 go to fine → r = 1/4.
        var pattern: [Bool] = []
        for _ in 0..<10 { pattern += Array(repeating: true, count: 4) + Array(repeating: false, count: 16) }
        let expected = 1 / (9.0 / 159 + 0.25)
        #expect(abs(EModel.burstRatio(lost: pattern) - expected) < 1e-12)
        #expect(EModel.burstRatio(lost: []) == 1)
        #expect(EModel.burstRatio(lost: [false, false, true]) == 1)
    }

    @Test func burstRatioOfIndependentLossIsOne() {
        // Bernoulli(0.1) over 100 000 frames: p̂ has s.d. √(0.09/90 000) = 0.001 and r̂ has
        // s.d. √(0.09/10 000) = 0.003, so BurstR = 1/(p̂ + r̂) is within ±0.02 with wide margin.
        var random = SplitMix64(seed: 107)
        let pattern = (0..<100_000).map { _ in random.unit() < 0.1 }
        #expect(abs(EModel.burstRatio(lost: pattern) - 1) < 0.02)
    }
}
