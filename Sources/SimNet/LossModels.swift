/// Which packets a path loses, with netem's models and parameter names.
public enum LossModel: Sendable, Equatable {
    /// No loss.
    case none
    /// Independent loss with probability p (netem `loss random P`).
    case bernoulli(Double)
    /// Gilbert–Elliott (netem `loss gemodel p r 1-h 1-k`): p = P(good→bad), r = P(bad→good),
    /// `oneMinusH` = loss probability in the bad state, `oneMinusK` = loss probability in the good state.
    /// As in netem, a packet's fate is decided by the state it finds, then the state moves on.
    case gilbertElliott(p: Double, r: Double, oneMinusH: Double, oneMinusK: Double)
    /// netem's 4-state Markov model (`loss state p13 p31 p32 p23 p14`): states 1 = received in a gap,
    /// 2 = received in a burst, 3 = lost in a burst, 4 = isolated loss. Each packet moves the chain
    /// one step and is lost if the new state is 3 or 4 (netem's `loss_4state`).
    case markov4(p13: Double, p31: Double, p32: Double, p23: Double, p14: Double)

    /// The simple Gilbert model: loss in bad only, none in good (netem's defaults for 1-h, 1-k).
    public static func gilbert(p: Double, r: Double) -> LossModel {
        .gilbertElliott(p: p, r: r, oneMinusH: 1, oneMinusK: 0)
    }

    /// The long-run fraction of packets lost, from the model's stationary distribution.
    public var stationaryLossRate: Double {
        switch self {
        case .none: return 0
        case .bernoulli(let p): return p
        case let .gilbertElliott(p, r, lossBad, lossGood):
            guard p + r > 0 else { return lossGood }
            let piBad = p / (p + r)
            return piBad * lossBad + (1 - piBad) * lossGood
        case .markov4:
            let pi = markov4Stationary
            return pi[2] + pi[3]
        }
    }

    /// Stationary distribution (π1, π2, π3, π4) of the 4-state chain (power iteration).
    public var markov4Stationary: [Double] {
        guard case let .markov4(p13, p31, p32, p23, p14) = self else { return [] }
        var pi = [0.25, 0.25, 0.25, 0.25]
        for _ in 0..<100_000 {
            let n1 = pi[0] * (1 - p13 - p14) + pi[2] * p31 + pi[3]
            let n2 = pi[1] * (1 - p23) + pi[2] * p32
            let n3 = pi[0] * p13 + pi[1] * p23 + pi[2] * (1 - p31 - p32)
            let n4 = pi[0] * p14
            let next = [n1, n2, n3, n4]
            let diff = zip(next, pi).map { abs($0 - $1) }.max() ?? 0
            pi = next
            if diff < 1e-15 { break }
        }
        return pi
    }
}

/// The mutable state of a path's loss model.
struct LossState {
    /// Gilbert–Elliott: 0 good, 1 bad. 4-state: 1...4.
    var state: Int = 1
    var model: LossModel = .none

    mutating func reset(for newModel: LossModel) {
        guard newModel != model else { return }
        model = newModel
        switch newModel {
        case .gilbertElliott: state = 0
        case .markov4: state = 1
        default: state = 0
        }
    }

    /// Decides whether the next packet is lost.
    @inline(__always)
    mutating func lose(_ rng: inout Xoshiro256StarStar) -> Bool {
        switch model {
        case .none:
            return false
        case .bernoulli(let p):
            return rng.bernoulli(p)
        case let .gilbertElliott(p, r, lossBad, lossGood):
            if state == 0 {
                if rng.bernoulli(p) { state = 1 }
                return rng.bernoulli(lossGood)
            } else {
                if rng.bernoulli(r) { state = 0 }
                return rng.bernoulli(lossBad)
            }
        case let .markov4(p13, p31, p32, p23, p14):
            // One uniform per packet with cumulative thresholds, as netem's loss_4state.
            let u = rng.uniform()
            switch state {
            case 1:
                if u < p14 { state = 4; return true }
                if u < p14 + p13 { state = 3; return true }
                return false
            case 2:
                if u < p23 { state = 3; return true }
                return false
            case 3:
                if u < p32 { state = 2; return false }
                if u < p32 + p31 { state = 1; return false }
                return true
            default:  // 4: an isolated loss always returns to the gap
                state = 1
                return false
            }
        }
    }
}
