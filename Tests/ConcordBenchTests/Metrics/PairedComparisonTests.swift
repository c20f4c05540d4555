import Foundation
import Testing
@testable import ConcordBench

@Suite struct PairedComparisonTests {
    /// Differences 1, 2, 3: mean 2, sd 1, t(0.975, 2) = 4.303, so 2 ± 4.303/√3.
    @Test func intervalIsStudentsTOnThePairedDifferences() throws {
        let c = PairedComparison(metric: "m", a: [10, 20, 30], b: [11, 22, 33])
        #expect(c.seeds == 3)
        #expect(c.a == 20 && c.b == 22 && c.difference == 2)
        let half = 4.303 / 3.0.squareRoot()
        #expect(abs(try #require(c.low) - (2 - half)) < 1e-9)
        #expect(abs(try #require(c.high) - (2 + half)) < 1e-9)
    }

    /// The same shift on every seed is certain however different the seeds are.
    @Test func aConstantShiftHasAZeroWidthInterval() {
        let c = PairedComparison(metric: "m", a: [1, 50, 7, 300], b: [1.5, 50.5, 7.5, 300.5])
        #expect(c.low == 0.5 && c.high == 0.5)
    }

    @Test func aMissingValueDropsItsPairAndOneSeedHasNoInterval() {
        let c = PairedComparison(metric: "m", a: [1, nil, 3], b: [2, 5, nil])
        #expect(c.seeds == 1 && c.difference == 1)
        #expect(c.low == nil && c.high == nil)
    }

    /// Past the table the expansion continues it smoothly toward the normal 1.96.
    @Test func tQuantileApproachesTheNormal() {
        #expect(PairedComparison.t975(degreesOfFreedom: 1) == 12.706)
        #expect(abs(PairedComparison.t975(degreesOfFreedom: 31) - 2.0395) < 1e-3)
        #expect(abs(PairedComparison.t975(degreesOfFreedom: 120) - 1.9799) < 1e-3)
        #expect(abs(PairedComparison.t975(degreesOfFreedom: 100_000) - 1.96) < 1e-3)
    }
}
