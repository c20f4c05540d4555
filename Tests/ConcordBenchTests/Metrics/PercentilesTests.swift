import Concord
import Foundation
import Testing

@testable import ConcordBench

@Suite struct MetricsPercentilesTests {
    @Test func interpolatesLinearlyBetweenOrderStatistics() {
        // 1…10: rank h = p·9. p50 → h 4.5 → (5+6)/2; p95 → h 8.55 → 9 + 0.55; p99 → h 8.91 → 9.91.
        let d = Distribution(samples: [10, 3, 1, 7, 2, 9, 4, 8, 6, 5])
        #expect(d.mean == 5.5)
        #expect(abs(d.p50 - 5.5) < 1e-12)
        #expect(abs(d.p95 - 9.55) < 1e-12)
        #expect(abs(d.p99 - 9.91) < 1e-12)
        #expect(d.max == 10)
    }

    @Test func smallSamples() {
        let one = Distribution(samples: [42])
        #expect(one == Distribution(mean: 42, p50: 42, p95: 42, p99: 42, max: 42))
        // Two values: p95 at h = 0.95 between them.
        let two = Distribution(samples: [0, 100])
        #expect(abs(two.p95 - 95) < 1e-12)
        #expect(abs(two.p50 - 50) < 1e-12)
        #expect(Percentiles.value(sorted: [1, 2, 3], quantile: 0) == 1)
        #expect(Percentiles.value(sorted: [1, 2, 3], quantile: 1) == 3)
        #expect(Percentiles.value(sorted: [1, 2, 3], quantile: 7) == 3)
    }

    @Test func emptyAndNonFiniteGiveZerosNotNaN() throws {
        #expect(Distribution(samples: []) == .zero)
        #expect(Distribution(samples: [.nan, .infinity]) == .zero)
        let d = Distribution(samples: [1, .nan, 3])
        #expect(d.mean == 2 && d.max == 3)
        #expect(Percentiles.value(sorted: [], quantile: 0.5) == 0)
        _ = try JSONEncoder().encode(Distribution(samples: [.nan]))
    }
}
