import Concord
import Foundation
import Testing

@testable import ConcordBench

@Suite struct MetricsRFC3550Tests {
    /// Arrivals of 20 ms packets whose one-way transit is `transitMs[i]` (ms).
    private func arrivals(transitMs: [Double]) -> [ArrivalRecord] {
        transitMs.enumerated().map { index, transit in
            ArrivalRecord(
                sequence: Int64(index), timestamp: Int64(index) * 960,
                arrivalTime: .ms(Double(index) * 20 + transit), bytes: 80)
        }
    }

    @Test func constantTransitHasNoJitter() {
        // Zero up to the rounding of ns → s → timestamp units.
        #expect(InterarrivalJitter.milliseconds(arrivals: arrivals(transitMs: Array(repeating: 37, count: 100))) < 1e-9)
    }

    @Test func alternatingTransitFollowsTheRecursionExactly() {
        // Transit alternates t, t + d: every |D| = d, so J_n = d·(1 − (15/16)^n) after n differences.
        let d = 8.0
        for n in [1, 2, 10, 50] {
            let transits = (0...n).map { $0 % 2 == 0 ? 30.0 : 30 + d }
            let expected = d * (1 - pow(15.0 / 16.0, Double(n)))
            let measured = InterarrivalJitter.milliseconds(arrivals: arrivals(transitMs: transits))
            #expect(abs(measured - expected) < 1e-9, "n = \(n): \(measured) vs \(expected)")
        }
        // Converges to d.
        let long = (0...400).map { $0 % 2 == 0 ? 30.0 : 30 + d }
        #expect(abs(InterarrivalJitter.milliseconds(arrivals: arrivals(transitMs: long)) - d) < 1e-9)
    }

    @Test func handComputedSequence() {
        // Transits 0, 10, 5, 5 ms → |D| = 10, 5, 0:
        // J1 = 10/16 = 0.625; J2 = 0.625 + (5 − 0.625)/16 = 0.8984375; J3 = J2·15/16 = 0.842285156…
        let measured = InterarrivalJitter.milliseconds(arrivals: arrivals(transitMs: [0, 10, 5, 5]))
        #expect(abs(measured - 0.8984375 * 15 / 16) < 1e-9)
    }

    @Test func usesArrivalOrderAndSkipsDuplicates() {
        // Packet 1 is overtaken by packet 2: in arrival order the transits are 10, 10 (pkt 2), 30
        // (pkt 1), 10 (pkt 3): |D| = 0, 20, 20 → J = 0, 1.25, 1.25 + (20 − 1.25)/16.
        var list = arrivals(transitMs: [10, 30, 10, 10])
        list.swapAt(1, 2)
        let duplicate = list[1]
        list.insert(duplicate, at: 2)  // a duplicate of packet 2 right behind it: ignored
        let expected = 1.25 + (20 - 1.25) / 16
        #expect(abs(InterarrivalJitter.milliseconds(arrivals: list) - expected) < 1e-9)
    }

    @Test func fewerThanTwoArrivalsGiveZero() {
        #expect(InterarrivalJitter.milliseconds(arrivals: []) == 0)
        #expect(InterarrivalJitter.milliseconds(arrivals: arrivals(transitMs: [50])) == 0)
    }

    @Test func timestampUnitsConvertToMilliseconds() {
        var jitter = InterarrivalJitter(clockRate: 48_000)
        jitter.add(arrivalUnits: 0, timestamp: 0)
        jitter.add(arrivalUnits: 960 + 768, timestamp: 960)  // D = 768 samples = 16 ms
        #expect(jitter.jitterUnits == 48)
        #expect(jitter.jitterMilliseconds == 1)
    }
}
