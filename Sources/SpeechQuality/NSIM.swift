// Neurogram Similarity Index Measure: SSIM's intensity and structure terms on a spectrogram patch,
// with a 3×3 Gaussian window and edge replication at the patch border.

struct PatchSimilarity {
    var similarity: Double
    var bandMeans: [Double]
    var bandStandardDeviations: [Double]
    var bandDegradedEnergy: [Double]
    var referenceStart = 0.0
    var referenceEnd = 0.0
    var degradedStart = 0.0
    var degradedEnd = 0.0
}

enum NSIM {
    static let window: [[Double]] = [
        [0.0113033910173052, 0.0838251475442633, 0.0113033910173052],
        [0.0838251475442633, 0.619485845753726, 0.0838251475442633],
        [0.0113033910173052, 0.0838251475442633, 0.0113033910173052],
    ]
    static let c1 = 0.0001  // (0.01 · 1)²
    static let c3 = 0.00045  // (0.03 · 1)² / 2

    /// Gaussian-weighted local mean of `m`, with rows and columns beyond the edge replicating it.
    static func smooth(_ m: [[Double]]) -> [[Double]] {
        let rows = m.count, columns = m.first?.count ?? 0
        let smoothed = smooth(m.flatMap { $0 }, rows: rows, columns: columns)
        return (0..<rows).map { Array(smoothed[($0 * columns)..<(($0 + 1) * columns)]) }
    }

    /// Row-major rows × columns values.
    typealias Grid = [Double]

    /// `smooth` on a row-major grid, the window's nine terms summed in the same order.
    static func smooth(_ m: Grid, rows: Int, columns: Int) -> Grid {
        var out = Grid(repeating: 0, count: rows * columns)
        let weights = window.flatMap { $0 }
        for r in 0..<rows {
            for c in 0..<columns {
                var sum = 0.0
                for dr in -1...1 {
                    let rr = min(max(r + dr, 0), rows - 1)
                    for dc in -1...1 {
                        let cc = min(max(c + dc, 0), columns - 1)
                        sum += weights[(dr + 1) * 3 + dc + 1] * m[rr * columns + cc]
                    }
                }
                out[r * columns + c] = sum
            }
        }
        return out
    }

    /// Reference-only terms, computed once per reference patch and reused across candidate offsets.
    struct ReferenceStatistics {
        let mean: [[Double]]
        let variance: [[Double]]
    }

    static func referenceStatistics(_ reference: [[Double]]) -> ReferenceStatistics {
        let mean = smooth(reference)
        let meanOfSquares = smooth(reference.map { $0.map { $0 * $0 } })
        let variance = zip(meanOfSquares, mean).map { zip($0, $1).map { $0 - $1 * $1 } }
        return ReferenceStatistics(mean: mean, variance: variance)
    }

    static func compare(_ reference: [[Double]], _ degraded: [[Double]]) -> PatchSimilarity {
        let rows = reference.count, columns = reference.first?.count ?? 0
        let ref = reference.flatMap { $0 }, deg = degraded.flatMap { $0 }
        let muR = smooth(ref, rows: rows, columns: columns)
        let squaresR = smooth(ref.map { $0 * $0 }, rows: rows, columns: columns)
        let muD = smooth(deg, rows: rows, columns: columns)
        let squaresD = smooth(deg.map { $0 * $0 }, rows: rows, columns: columns)
        let cross = smooth(zip(ref, deg).map { $0 * $1 }, rows: rows, columns: columns)
        var bandMeans = [Double](repeating: 0, count: rows)
        var bandDeviations = [Double](repeating: 0, count: rows)
        var bandEnergy = [Double](repeating: 0, count: rows)
        var map = [Double](repeating: 0, count: columns)
        for r in 0..<rows {
            for c in 0..<columns {
                let j = r * columns + c
                let mr = muR[j], md = muD[j]
                let varianceR = squaresR[j] - mr * mr
                let varianceD = squaresD[j] - md * md
                let covariance = cross[j] - mr * md
                let intensity = (2 * mr * md + c1) / (mr * mr + md * md + c1)
                let varianceProduct = varianceR * varianceD
                let denominator = varianceProduct < 0 ? c3 : varianceProduct.squareRoot() + c3
                map[c] = intensity * (covariance + c3) / denominator
            }
            let mean = map.reduce(0, +) / Double(columns)
            bandMeans[r] = mean
            var squares = 0.0
            for v in map { squares += (v - mean) * (v - mean) }
            // Unbiased (N − 1), as Armadillo's stddev in Google's implementation.
            bandDeviations[r] = columns > 1 ? (squares / Double(columns - 1)).squareRoot() : 0
            bandEnergy[r] = degraded[r].reduce(0, +) / Double(columns)
        }
        return PatchSimilarity(
            similarity: bandMeans.reduce(0, +) / Double(rows),
            bandMeans: bandMeans, bandStandardDeviations: bandDeviations, bandDegradedEnergy: bandEnergy)
    }
}
