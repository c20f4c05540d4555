import Concord
import Testing

@testable import ConcordBench
import SeededRandom

@Suite struct MetricsRFC3611Tests {
    /// "1" received, "0" lost, "X" discarded (both count as lost here).
    private func pattern(_ text: String) -> [Bool] { text.map { $0 != "1" } }
    private func received(_ n: Int) -> String { String(repeating: "1", count: n) }

    @Test func noLossIsOneGap() {
        let report = BurstGapAnalyzer.analyze(lost: pattern(received(50)), packetMilliseconds: 20)
        #expect(report == BurstGapReport(burstDensity: 0, gapDensity: 0, burstDurationMs: 0, gapDurationMs: 1_000, meanLossRunPackets: 0))
    }

    @Test func isolatedLossIsInAGap() {
        let report = BurstGapAnalyzer.analyze(lost: pattern(received(20) + "0" + received(19)), packetMilliseconds: 20)
        #expect(report.burstDensity == 0)
        #expect(report.burstDurationMs == 0)
        #expect(report.gapDensity == 1.0 / 40)
        #expect(report.gapDurationMs == 40 * 20)
        #expect(report.meanLossRunPackets == 1)
    }

    @Test func lossesCloserThanGminFormABurst() {
        // 40 received, burst "0110" (2 losses in 4 packets), 40 received: two gaps of 40.
        let report = BurstGapAnalyzer.analyze(lost: pattern(received(40) + "0110" + received(40)), packetMilliseconds: 20)
        #expect(report.burstDensity == 0.5)
        #expect(report.burstDurationMs == 80)
        #expect(report.gapDensity == 0)
        #expect(report.gapDurationMs == 800)
        #expect(report.meanLossRunPackets == 1)
    }

    @Test func gminBoundary() {
        // Exactly Gmin = 16 received between two losses: both isolated (gap).
        var a = BurstGapAnalyzer()
        for flag in pattern(received(30) + "0" + received(16) + "0" + received(30)) { a.add(lost: flag) }
        a.finish()
        #expect(a.bursts == 0 && a.gapLosses == 2 && a.gapPackets == 78 && a.gaps == 1)
        // 15 received between them: one burst of 17 packets.
        var b = BurstGapAnalyzer()
        for flag in pattern(received(30) + "0" + received(15) + "0" + received(30)) { b.add(lost: flag) }
        b.finish()
        #expect(b.bursts == 1 && b.burstLosses == 2 && b.burstPackets == 17 && b.gapLosses == 0 && b.gaps == 2)
    }

    @Test func rfc3611SectionFourSevenTwoExample() {
        // The RFC's example: the burst runs from the X at index 23 to the 0 at index 34
        // (12 packets, 4 lost or discarded); the 0 at index 4 and the X at index 53 are isolated,
        // in the two gaps of 23 and 28 packets (51 packets, 2 losses).
        let text = "11110111111111111111111X111X1011110111111111111111111X111111111"
        var analyzer = BurstGapAnalyzer()
        for flag in pattern(text) { analyzer.add(lost: flag) }
        analyzer.finish()
        #expect(analyzer.bursts == 1)
        #expect(analyzer.burstPackets == 12 && analyzer.burstLosses == 4)
        #expect(analyzer.gapPackets == 51 && analyzer.gapLosses == 2 && analyzer.gaps == 2)
        let report = analyzer.report(packetMilliseconds: 20)
        #expect(report.burstDensity == 4.0 / 12)
        #expect(report.gapDensity == 2.0 / 51)
        #expect(report.burstDurationMs == 240)
        #expect(report.gapDurationMs == 25.5 * 20)
        // Loss runs: 0 | X | X | 0 | 0 | X, all of length 1.
        #expect(report.meanLossRunPackets == 1)
    }

    @Test func consecutiveLossesAndEdges() {
        // Three back-to-back losses at the very start: a burst of density 1 (the session is taken
        // to be preceded by Gmin received packets, so it starts in an empty gap).
        let report = BurstGapAnalyzer.analyze(lost: pattern("000" + received(20)), packetMilliseconds: 10)
        #expect(report.burstDensity == 1)
        #expect(report.burstDurationMs == 30)
        #expect(report.gapDurationMs == 200)
        #expect(report.meanLossRunPackets == 3)
        // A single loss at the very end is isolated.
        let tail = BurstGapAnalyzer.analyze(lost: pattern(received(5) + "0"), packetMilliseconds: 10)
        #expect(tail.burstDensity == 0 && tail.gapDensity == 1.0 / 6)
        // Everything lost: one burst.
        let all = BurstGapAnalyzer.analyze(lost: pattern("0000"), packetMilliseconds: 20)
        #expect(all.burstDensity == 1 && all.burstDurationMs == 80 && all.gapDurationMs == 0 && all.gapDensity == 0)
        #expect(BurstGapAnalyzer.analyze(lost: [], packetMilliseconds: 20) == BurstGapReport(burstDensity: 0, gapDensity: 0, burstDurationMs: 0, gapDurationMs: 0, meanLossRunPackets: 0))
    }

    /// With exact counts the RFC's Markov estimators equal the plain ratios we report.
    @Test func appendixFormulasAgreeWithDirectRatios() {
        var random = SplitMix64(seed: 3611)
        var analyzer = BurstGapAnalyzer()
        var bad = false
        for _ in 0..<20_000 {
            // A Gilbert channel: bad state loses half its packets.
            bad = bad ? random.unit() > 0.2 : random.unit() < 0.01
            analyzer.add(lost: bad ? random.unit() < 0.5 : random.unit() < 0.005)
        }
        analyzer.finish()
        let report = analyzer.report(packetMilliseconds: 20)
        let c31 = Double(analyzer.c13), c32 = Double(analyzer.c23), c33 = Double(analyzer.c33)
        let p32 = c32 / (c31 + c32 + c33)
        let p23 = analyzer.c22 + analyzer.c23 < 1 ? 1 : 1 - Double(analyzer.c22) / Double(analyzer.c22 + analyzer.c23)
        #expect(analyzer.bursts > 10)
        #expect(abs(report.burstDensity - p23 / (p23 + p32)) < 1e-12)
        #expect(abs(report.gapDensity - Double(analyzer.c14) / Double(analyzer.c11 + analyzer.c14)) < 1e-12)
        #expect(analyzer.burstPackets + analyzer.gapPackets == 20_000)
    }
}
