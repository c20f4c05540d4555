import Foundation  // erfc, log, pow, sqrt (math only)

/// The shape of delay jitter, as in netem's `delay TIME JITTER [CORR] distribution NAME`.
///
/// Every distribution is a quantile function Q(u) of a uniform u ∈ (0, 1) (inverse-transform
/// sampling, like netem's tables); the jitter added to the base delay is `jitter × Q(u)`:
/// - `uniform`: Q(u) = 2u − 1, i.e. uniform on ±jitter (netem's behaviour without a table);
///   standard deviation jitter/√3.
/// - `normal`: Q = Φ⁻¹(u); `jitter` is the standard deviation.
/// - `pareto`: X = (1 − u)^(−1/3) (Pareto, α = 3, x_m = 1, as iproute2's `pareto.c`), capped at
///   X ≤ 10 (netem's tables saturate too; P(X > 10) = 0.001) and standardised exactly to mean 0 and
///   sd 1: E[min(X,10)] = 1.5 − 0.5/10² = 1.495, E[min(X,10)²] = 3 − 2/10 = 2.8, sd = √0.564975.
/// - `paretoNormal`: 0.25·normal + 0.75·pareto at the same quantile (iproute2's `paretonormal.c`);
///   mean 0, sd ≈ 0.953 (the two parts are comonotone, not perfectly correlated).
/// - `table`: an empirical table of values in units of `jitter`; Q(u) = sorted[⌊u·n⌋].
///
/// Delays never go below zero (a sample that would is clamped), as in netem.
public enum JitterDistribution: Sendable, Equatable {
    case uniform
    case normal
    case pareto
    case paretoNormal
    case table([Double])

    /// Q(u): the standardised jitter at quantile u ∈ (0, 1).
    @inlinable public func quantile(_ u: Double) -> Double {
        switch self {
        case .uniform: return 2 * u - 1
        case .normal: return inverseNormalCDF(u)
        case .pareto: return paretoStandard(u)
        case .paretoNormal: return 0.25 * inverseNormalCDF(u) + 0.75 * paretoStandard(u)
        case .table(let values):
            guard !values.isEmpty else { return 0 }
            let i = min(Int(u * Double(values.count)), values.count - 1)
            return values[i]
        }
    }

    /// The same distribution with a table sorted (tables are used as quantile functions).
    var prepared: JitterDistribution {
        if case .table(let values) = self { return .table(values.sorted()) }
        return self
    }
}

@inlinable func paretoStandard(_ u: Double) -> Double {
    let x = min(1 / cbrt(1 - u), 10)
    return (x - 1.495) / 0.564975.squareRoot()
}

/// Φ(z), the standard normal CDF.
@inlinable public func normalCDF(_ z: Double) -> Double {
    0.5 * erfc(-z / 2.0.squareRoot())
}

/// Φ⁻¹(p) by Acklam's rational approximation (relative error < 1.2·10⁻⁹).
@inlinable public func inverseNormalCDF(_ p: Double) -> Double {
    let a0 = -3.969683028665376e+01, a1 = 2.209460984245205e+02, a2 = -2.759285104469687e+02
    let a3 = 1.383577518672690e+02, a4 = -3.066479806614716e+01, a5 = 2.506628277459239e+00
    let b0 = -5.447609879822406e+01, b1 = 1.615858368580409e+02, b2 = -1.556989798598866e+02
    let b3 = 6.680131188771972e+01, b4 = -1.328068155288572e+01
    let c0 = -7.784894002430293e-03, c1 = -3.223964580411365e-01, c2 = -2.400758277161838e+00
    let c3 = -2.549732539343734e+00, c4 = 4.374664141464968e+00, c5 = 2.938163982698783e+00
    let d0 = 7.784695709041462e-03, d1 = 3.224671290700398e-01, d2 = 2.445134137142996e+00
    let d3 = 3.754408661907416e+00
    let low = 0.02425
    if p <= 0 { return -.infinity }
    if p >= 1 { return .infinity }
    if p < low {
        let q = (-2 * log(p)).squareRoot()
        return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    }
    if p > 1 - low {
        let q = (-2 * log(1 - p)).squareRoot()
        return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
    }
    let q = p - 0.5
    let r = q * q
    return (((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q
        / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/// Draws standardised jitter samples with optional correlation.
///
/// Correlation ρ is applied through a Gaussian copula: z_t = ρ·z_{t−1} + √(1−ρ²)·ε_t with ε_t
/// standard normal, and the sample is Q(Φ(z_t)). Unlike netem's (documented-as-broken) mixing of
/// uniforms, this keeps the marginal distribution exact for every ρ, and for `normal` the lag-1
/// autocorrelation is exactly ρ.
struct JitterSampler {
    var lastZ: Double = 0

    @inline(__always)
    mutating func sample(_ distribution: JitterDistribution, correlation rho: Double,
                         rng: inout Xoshiro256StarStar) -> Double {
        if rho == 0 {
            return distribution.quantile(rng.uniformOpen())
        }
        let eps = inverseNormalCDF(rng.uniformOpen())
        let z = rho * lastZ + (1 - rho * rho).squareRoot() * eps
        lastZ = z
        if case .normal = distribution { return z }
        let u = min(max(normalCDF(z), 0x1.0p-53), 1 - 0x1.0p-53)
        return distribution.quantile(u)
    }
}
