/// Whether a listener's last few reports show a loss rate that has clearly changed from the one
/// before them: an exact binomial test of the recent counts against the earlier reports' rate.
///
/// Windows of reports fixed in length tell a change slowly: the evidence that 10 % is more than
/// 6 % takes 200 packets, and a window that straddles the change dilutes it. A change is much
/// quicker to see than a level: 5 losses in the 50 packets after a clean minute are
/// 10⁻⁷-unlikely on the old rate. So the policy tests each report for a change against the
/// earlier ones and, on one, forgets what came before it (`ProtectionPolicy`).
///
/// The earlier rate is taken at its one-sided 95 % Wilson bound on the side that makes a change
/// harder to call (the upper bound for a rise, the lower for a fall), so its own sampling error
/// does not read as a change. A test over `maximumRecentPackets` or at a rate above
/// `maximumRate` is not made: the binomial terms underflow there, and such reports are not a
/// path the policy could help anyway.
struct LossChange {
    enum Direction: Equatable { case rise, fall }

    /// The variance of the earlier reports' counts over a binomial's of the same rate (Pearson's
    /// χ² over its degrees of freedom), at least 1: how much larger than independent losses'
    /// the spread from report to report is.
    static func dispersion(of reports: [(lost: Int, of: Int)]) -> Double {
        let lost = reports.reduce(0) { $0 + max(0, $1.lost) }, count = reports.reduce(0) { $0 + $1.of }
        guard reports.count >= 2, count > 0, lost > 0, lost < count else { return 1 }
        let p = Double(lost) / Double(count)
        var chiSquare = 0.0
        for report in reports where report.of > 0 {
            let expected = Double(report.of) * p
            let difference = Double(max(0, report.lost)) - expected
            chiSquare += difference * difference / (expected * (1 - p))
        }
        return max(1, chiSquare / Double(reports.count - 1))
    }

    /// The probability, on the earlier rate, of counts at least this far off, below which the
    /// recent ones are a change: with 6 tests a report (3 windows, both ways) a steady path shows
    /// a false change about once in 5 hours of reports.
    static let significance = 1e-5
    static let maximumRecentPackets = 400
    static let maximumRate = 0.5

    /// The direction of a clear change from `earlier` (lost, of packets) to `recent`; nil when
    /// there is none, or too little to tell.
    ///
    /// Losses in bursts are not independent: a report's count varies several times more than a
    /// binomial one, and a path steady in its bursts would read as changing every few reports.
    /// `dispersion` (the earlier reports' variance over the binomial's, at least 1) divides the
    /// counts: a burst counts about as one event.
    static func test(recent: (lost: Int, of: Int), earlier: (lost: Int, of: Int), dispersion: Double = 1) -> Direction? {
        let scale = max(1, dispersion)
        let recentLost = Int((Double(min(max(recent.lost, 0), recent.of)) / scale).rounded())
        let recentCount = Int((Double(recent.of) / scale).rounded())
        let earlierCount = Double(earlier.of) / scale
        guard recentCount > 0, recentCount <= maximumRecentPackets, earlierCount >= 1 else { return nil }
        let bounds = ProtectionPolicy.wilson(lost: Double(max(0, earlier.lost)) / scale, of: earlierCount)
        let k = min(recentLost, recentCount)
        let n = recentCount
        if bounds.upper <= maximumRate, tail(atLeast: k, of: n, rate: bounds.upper) < significance { return .rise }
        if bounds.lower > 0, bounds.lower <= maximumRate, tail(atMost: k, of: n, rate: bounds.lower) < significance {
            return .fall
        }
        return nil
    }

    /// P(X ≥ k) for X ~ Binomial(n, p).
    static func tail(atLeast k: Int, of n: Int, rate p: Double) -> Double {
        guard k > 0 else { return 1 }
        return max(0, 1 - tail(atMost: k - 1, of: n, rate: p))
    }

    /// P(X ≤ k) for X ~ Binomial(n, p), summed term by term from P(X = 0) = (1 − p)ⁿ (n ≤ 400
    /// and p ≤ 0.5 keep that above 10⁻¹²¹).
    static func tail(atMost k: Int, of n: Int, rate p: Double) -> Double {
        guard k < n else { return 1 }
        var term = 1.0
        for _ in 0..<n { term *= 1 - p }
        var sum = term
        let odds = p / (1 - p)
        for j in 0..<max(0, k) {
            term *= Double(n - j) / Double(j + 1) * odds
            sum += term
        }
        return min(1, sum)
    }
}
