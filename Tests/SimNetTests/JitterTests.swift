import Testing
@testable import SimNet

@Suite struct JitterTests {
    static let cases: [(String, JitterDistribution)] = [
        ("uniform", .uniform), ("normal", .normal), ("pareto", .pareto), ("paretoNormal", .paretoNormal),
        ("table", .table([-1.5, -0.5, 0, 0.25, 0.5, 2.0, -1, 1])),
    ]

    /// The delay minus the base delay, in units of the jitter, is Q(U). Its mean, sd and central
    /// fourth moment are computed by integrating the quantile function. With n independent samples
    /// the SE of the sample mean is σ/√n and the SE of the sample sd is √((μ4 − σ⁴)/(4σ²n)) (delta
    /// method); the tolerance is 5 SE plus 10⁻⁴ for the ns rounding and the integration error.
    @Test(arguments: 0..<5)
    func distributionMeanAndSD(_ which: Int) {
        let (name, dist) = Self.cases[which]
        let n = 100_000
        let base = SimTime.milliseconds(200), jitter = SimTime.milliseconds(10)
        let res = probe(PathConditions(delay: base, jitter: jitter, jitterDistribution: dist, allowReordering: true),
                        count: n, interval: .milliseconds(1), seed: 42)
        #expect(res.arrivals.count == n)
        let xs = res.arrivals.map { Double(($0.delay - base).nanoseconds) / Double(jitter.nanoseconds) }
        let sortedDist = dist.prepared
        let (m, sd, m4) = quantileMoments { sortedDist.quantile($0) }
        let seMean = sd / Double(n).squareRoot()
        let seSD = ((m4 - sd * sd * sd * sd) / (4 * sd * sd * Double(n))).squareRoot()
        #expect(abs(mean(xs) - m) < 5 * seMean + 1e-4, "\(name) mean \(mean(xs)) vs \(m)")
        #expect(abs(standardDeviation(xs) - sd) < 5 * seSD + 1e-4, "\(name) sd \(standardDeviation(xs)) vs \(sd)")
    }

    @Test func theoreticalMomentsAreTheDocumentedOnes() {
        // uniform on ±1: sd 1/√3; normal: 0, 1; pareto (capped at X ≤ 10): exactly 0, 1.
        let u = quantileMoments { JitterDistribution.uniform.quantile($0) }
        #expect(abs(u.mean) < 1e-9 && abs(u.sd - 1 / 3.0.squareRoot()) < 1e-6)
        let z = quantileMoments { JitterDistribution.normal.quantile($0) }
        #expect(abs(z.mean) < 1e-6 && abs(z.sd - 1) < 2e-3)
        let p = quantileMoments { JitterDistribution.pareto.quantile($0) }
        #expect(abs(p.mean) < 1e-4 && abs(p.sd - 1) < 1e-3)
        let pn = quantileMoments { JitterDistribution.paretoNormal.quantile($0) }
        #expect(abs(pn.mean) < 1e-4 && abs(pn.sd - 0.953) < 0.002, "paretonormal sd \(pn.sd)")
        #expect(abs(inverseNormalCDF(normalCDF(1.2345)) - 1.2345) < 1e-7)
    }

    @Test func correlatedNormalJitter() {
        // With the Gaussian copula z_t = ρ·z_{t−1} + √(1−ρ²)·ε_t, normal jitter is an AR(1) process:
        // lag-1 autocorrelation ρ, marginal sd 1. SE of the lag-1 sample autocorrelation of an AR(1)
        // ≈ √((1−ρ²)/n) (Bartlett); the SE of the sample mean is inflated to σ·√((1+ρ)/(1−ρ)/n).
        let n = 100_000, rho = 0.6
        let base = SimTime.milliseconds(200), jitter = SimTime.milliseconds(10)
        let res = probe(PathConditions(delay: base, jitter: jitter, jitterDistribution: .normal,
                                       jitterCorrelation: rho, allowReordering: true), count: n, seed: 7)
        let bySeq = res.arrivals.sorted { $0.seq < $1.seq }
        let xs = bySeq.map { Double(($0.delay - base).nanoseconds) / Double(jitter.nanoseconds) }
        let m = mean(xs)
        var num = 0.0, den = 0.0
        for i in 0..<n {
            den += (xs[i] - m) * (xs[i] - m)
            if i > 0 { num += (xs[i] - m) * (xs[i - 1] - m) }
        }
        let r1 = num / den
        #expect(abs(r1 - rho) < 5 * ((1 - rho * rho) / Double(n)).squareRoot(), "lag-1 \(r1)")
        #expect(abs(m) < 5 * ((1 + rho) / (1 - rho) / Double(n)).squareRoot())
        // The sd's SE also inflates; (1+ρ²)/(1−ρ²) for an AR(1) → allow 5 × that.
        let seSD = ((1 + rho * rho) / (1 - rho * rho) / (2 * Double(n))).squareRoot()
        #expect(abs(standardDeviation(xs) - 1) < 5 * seSD)
    }

    @Test func delayNeverNegative() {
        let res = probe(PathConditions(delay: .milliseconds(1), jitter: .milliseconds(10), jitterDistribution: .normal,
                                       allowReordering: true), count: 5_000)
        #expect(res.arrivals.allSatisfy { $0.delay >= .zero })
        #expect(res.arrivals.contains { $0.delay == .zero })
    }
}
