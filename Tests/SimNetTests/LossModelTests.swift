import Testing
@testable import SimNet

/// Statistical tests. Every tolerance is 5 standard errors of the estimator under the model,
/// derived in the comment next to it, with a fixed seed (so the test is deterministic; the
/// tolerance says the seed was not cherry-picked: any seed passes with probability > 1 − 10⁻⁶).
@Suite struct LossModelTests {
    @Test func bernoulliRate() {
        // n independent Bernoulli(p) trials: SE of the rate = √(p(1−p)/n) = √(0.05·0.95/200000) ≈ 4.9e-4.
        let n = 200_000, p = 0.05
        let r = probe(PathConditions(loss: .bernoulli(p)), count: n)
        let rate = Double(r.counters.droppedLoss) / Double(n)
        let se = (p * (1 - p) / Double(n)).squareRoot()
        #expect(abs(rate - p) < 5 * se, "rate \(rate)")
        #expect(r.counters.droppedLoss + r.counters.delivered == n)
        #expect(r.counters.sent == n)
    }

    @Test func gilbertElliottStationaryLossRate() {
        // π_B = p/(p+r), loss ℓ = π_B·(1−h) + π_G·(1−k). The loss indicator L_t = e(S_t) + noise with
        // e_B = 1−h, e_G = 1−k and the two-state chain's autocorrelation λ^k, λ = 1−p−r, so
        // Cov(L_0, L_k) = (e_B−e_G)²·π_B·π_G·λ^k for k ≥ 1 and the variance of the mean of n packets is
        // [ℓ(1−ℓ) + 2(e_B−e_G)²·π_B·π_G·λ/(1−λ)] / n  (the Markov-chain CLT).
        let p = 0.02, r = 0.25, eB = 0.8, eG = 0.01, n = 400_000
        let model = LossModel.gilbertElliott(p: p, r: r, oneMinusH: eB, oneMinusK: eG)
        let piB = p / (p + r), piG = 1 - piB, lambda = 1 - p - r
        let expected = piB * eB + piG * eG
        #expect(abs(model.stationaryLossRate - expected) < 1e-12)
        let variance = expected * (1 - expected) + 2 * (eB - eG) * (eB - eG) * piB * piG * lambda / (1 - lambda)
        let se = (variance / Double(n)).squareRoot()
        let res = probe(PathConditions(loss: model), count: n)
        let rate = Double(res.counters.droppedLoss) / Double(n)
        #expect(abs(rate - expected) < 5 * se, "rate \(rate) expected \(expected) se \(se)")
    }

    @Test func gilbertMeanBurstLength() {
        // Simple Gilbert (1−h = 1, 1−k = 0): a loss burst is a stay in the bad state, geometric with
        // P(len = m) = (1−r)^(m−1)·r: mean 1/r, variance (1−r)/r². Bursts are independent (Markov
        // property), so the SE of the mean of N bursts is √((1−r)/r²/N); N ≈ n·π_B·r ≈ 7400 here.
        let p = 0.02, r = 0.25, n = 400_000
        let res = probe(PathConditions(loss: .gilbert(p: p, r: r)), count: n)
        var bursts: [Int] = []
        var run = 0
        for lost in res.lostFlags {
            if lost { run += 1 } else if run > 0 { bursts.append(run); run = 0 }
        }
        let meanBurst = Double(bursts.reduce(0, +)) / Double(bursts.count)
        let se = ((1 - r) / (r * r) / Double(bursts.count)).squareRoot()
        #expect(abs(meanBurst - 1 / r) < 5 * se, "mean burst \(meanBurst) over \(bursts.count) bursts")
        // And the loss rate is π_B (see the test above with e_B = 1, e_G = 0).
        let piB = p / (p + r), lambda = 1 - p - r
        let rateSE = ((piB * (1 - piB) * (1 + lambda) / (1 - lambda)) / Double(n)).squareRoot()
        #expect(abs(Double(res.counters.droppedLoss) / Double(n) - piB) < 5 * rateSE)
    }

    @Test func fourStateMarkovLossRate() {
        // netem's 4-state chain: each packet moves the chain one step; lost iff the new state is 3 or 4.
        // Expected rate = π3 + π4 of the transition matrix P (computed here independently of the
        // implementation). SE: Markov-chain CLT, σ² = Var_π(f) + 2·Σ_{k≥1} Cov_π(f(X_0), f(X_k)) with
        // f = 1{3,4}, Cov_k = Σ_i π_i f_i (P^k f)_i − ℓ²; the sum converges geometrically.
        let (p13, p31, p32, p23, p14) = (0.01, 0.3, 0.3, 0.2, 0.01)
        let P: [[Double]] = [
            [1 - p13 - p14, 0, p13, p14],
            [0, 1 - p23, p23, 0],
            [p31, p32, 1 - p31 - p32, 0],
            [1, 0, 0, 0],
        ]
        var pi = [1.0, 0, 0, 0]
        for _ in 0..<20_000 { pi = (0..<4).map { j in (0..<4).reduce(0) { $0 + pi[$1] * P[$1][j] } } }
        let f = [0.0, 0, 1, 1]
        let loss = pi[2] + pi[3]
        var g = f
        var sumCov = 0.0
        for _ in 0..<5_000 {
            g = (0..<4).map { i in (0..<4).reduce(0) { $0 + P[i][$1] * g[$1] } }
            sumCov += (0..<4).reduce(0) { $0 + pi[$1] * f[$1] * g[$1] } - loss * loss
        }
        let variance = loss * (1 - loss) + 2 * sumCov
        let n = 400_000
        let se = (variance / Double(n)).squareRoot()
        let model = LossModel.markov4(p13: p13, p31: p31, p32: p32, p23: p23, p14: p14)
        #expect(abs(model.stationaryLossRate - loss) < 1e-9)
        let res = probe(PathConditions(loss: model), count: n)
        let rate = Double(res.counters.droppedLoss) / Double(n)
        #expect(abs(rate - loss) < 5 * se, "rate \(rate) expected \(loss) se \(se)")
        // Isolated losses (state 4) are single: every visit to 4 is followed by state 1 (received).
        // So the fraction of losses that are isolated (a lost packet with received neighbours) is at
        // least π4-driven; check the count of 1-packet bursts ≥ the expected visits to 4 minus 5σ.
        var singles = 0
        let flags = res.lostFlags
        for i in 1..<(n - 1) where flags[i] && !flags[i - 1] && !flags[i + 1] { singles += 1 }
        let expectedVisits4 = Double(n) * pi[3]
        #expect(Double(singles) > expectedVisits4 - 5 * expectedVisits4.squareRoot())
    }

    @Test func duplicationRate() {
        // Each datagram is duplicated independently with probability p: SE = √(p(1−p)/n).
        let n = 100_000, p = 0.1
        let res = probe(PathConditions(duplicate: p), count: n)
        let rate = Double(res.counters.duplicated) / Double(n)
        #expect(abs(rate - p) < 5 * (p * (1 - p) / Double(n)).squareRoot(), "rate \(rate)")
        #expect(res.counters.delivered == n + res.counters.duplicated)
        #expect(res.arrivals.count == n + res.counters.duplicated)
    }

    @Test func corruptionFlipsOneBit() {
        // Each datagram is corrupted independently with probability p: SE = √(p(1−p)/n).
        let n = 50_000, p = 0.1, size = 64
        let res = probe(PathConditions(corrupt: p), count: n, size: size)
        let rate = Double(res.counters.corrupted) / Double(n)
        #expect(abs(rate - p) < 5 * (p * (1 - p) / Double(n)).squareRoot(), "rate \(rate)")
        // The flipped bit may hit the sequence number, so compare with every sent payload's filler.
        var changedDatagrams = 0
        for a in res.arrivals {
            let bits = a.payload[4...].reduce(0) { $0 + ($1 ^ 0x5A).nonzeroBitCount }
            let seqIntact = a.seq < n
            if bits > 0 || !seqIntact { changedDatagrams += 1 }
            #expect(bits <= 1)
        }
        #expect(changedDatagrams <= res.counters.corrupted)
        #expect(changedDatagrams > res.counters.corrupted * 9 / 10)  // most flips land outside the seq bytes
    }

    @Test func lossChangesMidRun() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 3)
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var got = 0
        b.bind(port: 1) { _, _ in got += 1 }
        for i in 0..<100 { sim.schedule(at: .milliseconds(i * 10)) { a.send(from: 1, to: Endpoint(b.address, 1), payload: [0]) } }
        net.setConditions(PathConditions(loss: .bernoulli(1)), from: a, to: b, at: .milliseconds(495))
        sim.runUntilIdle()
        #expect(got == 50)
        #expect(net.counters(from: a, to: b).droppedLoss == 50)
        // Default conditions apply to paths without their own, also mid-run.
        net.defaultConditions = PathConditions(loss: .bernoulli(1))
        var back = 0
        a.bind(port: 1) { _, _ in back += 1 }
        b.send(from: 1, to: Endpoint(a.address, 1), payload: [0])
        net.clearConditions(from: a, to: b)
        a.send(from: 1, to: Endpoint(b.address, 1), payload: [0])
        sim.runUntilIdle()
        #expect(back == 0 && got == 50)
    }
}
