import Testing
@testable import SimNet

@Suite struct PathBehaviourTests {
    @Test func fixedDelay() {
        let res = probe(PathConditions(delay: .milliseconds(42)), count: 100)
        #expect(res.arrivals.allSatisfy { $0.delay == .milliseconds(42) })
        #expect(res.arrivals.map(\.seq) == Array(0..<100))
    }

    @Test func fifoNeverReorders() {
        // Jitter (sd 20 ms) far larger than the 1 ms spacing: without the clamp half would reorder.
        let res = probe(PathConditions(delay: .milliseconds(50), jitter: .milliseconds(20), jitterDistribution: .normal),
                        count: 20_000)
        #expect(res.arrivals.map(\.seq) == Array(0..<20_000))
        #expect(zip(res.arrivals, res.arrivals.dropFirst()).allSatisfy { $0.arrived <= $1.arrived })
        #expect(res.counters.reordered == 0)
    }

    @Test func reorderingHappensWhenAllowed() {
        let res = probe(PathConditions(delay: .milliseconds(50), jitter: .milliseconds(20), jitterDistribution: .normal,
                                       allowReordering: true), count: 20_000)
        // `reordered` (RFC 4737) counts datagrams arriving after one sent later: recount it.
        var maxSeq = -1, late = 0
        for a in res.arrivals {
            if a.seq < maxSeq { late += 1 } else { maxSeq = a.seq }
        }
        #expect(late > 1_000)
        #expect(res.counters.reordered == late)
        #expect(res.arrivals.count == 20_000)
    }

    @Test func mtuDropsOversizeOnly() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1, defaultConditions: PathConditions(mtu: 1500))
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var sizes: [Int] = []
        b.bind(port: 1) { d, _ in sizes.append(d.payload.count) }
        for size in [0, 1472, 1473, 9000] {
            a.send(from: 1, to: Endpoint(b.address, 1), payload: [UInt8](repeating: 0, count: size))
        }
        sim.runUntilIdle()
        #expect(sizes == [0, 1472])  // 1472 + 28 = 1500
        #expect(net.counters(from: a, to: b).droppedMTU == 2)
    }

    @Test func rateLimitThroughputAndQueueingDelayUnderOverload() {
        // 97-byte payload + 28 header = 125 B = 1000 bits; at 1 Mbit/s the link sends one per 1 ms.
        // Offered load: one per 0.5 ms (2× capacity) for 2 s, queue limit N = 20 packets.
        // Deterministic: once the queue is full, an accepted packet finds N−1 ahead of it, the first
        // partly sent, so its delay lies in ((N−1)·tx, N·tx]; the link never idles, so in any window
        // of W ms, W ± 1 packets depart; everything else overflows.
        let n = 4_000, limit = 20
        let rate = RateLimit(bitsPerSecond: 1_000_000, packetOverheadBytes: 0, queueLimitPackets: limit)
        #expect(rate.transmissionTime(payloadBytes: 97) == .milliseconds(1))
        let res = probe(PathConditions(rate: rate), count: n, interval: .microseconds(500), size: 97)
        let inWindow = res.arrivals.filter { $0.arrived > .milliseconds(500) && $0.arrived <= .milliseconds(1500) }.count
        #expect(abs(inWindow - 1000) <= 1, "throughput \(inWindow)/s")
        let steady = res.arrivals.filter { $0.sent >= .milliseconds(100) }
        #expect(!steady.isEmpty)
        #expect(steady.allSatisfy { $0.delay > .milliseconds(limit - 1) && $0.delay <= .milliseconds(limit) })
        #expect(res.counters.droppedQueueOverflow == n - res.counters.delivered)
        // Accepted = what the link sends in 2 s plus what was queued at the end.
        #expect(abs(res.counters.delivered - (2000 + limit)) <= 2)
        #expect(res.arrivals.allSatisfy { $0.delay <= .milliseconds(limit) })
    }

    @Test func rateLimitUnderloadAddsOnlySerialisation() {
        let rate = RateLimit(bitsPerSecond: 1_000_000, packetOverheadBytes: 0, queueLimitPackets: 5)
        let res = probe(PathConditions(delay: .milliseconds(10), rate: rate), count: 1_000,
                        interval: .milliseconds(2), size: 97)
        #expect(res.counters.delivered == 1_000)
        #expect(res.arrivals.allSatisfy { $0.delay == .milliseconds(11) })
    }

    @Test func packetOverheadCountsTowardsTheRate() {
        let rate = RateLimit(bitsPerSecond: 8_000, packetOverheadBytes: 22)  // 50 + 28 + 22 = 100 B = 100 ms
        #expect(rate.transmissionTime(payloadBytes: 50) == .milliseconds(100))
    }

    @Test func bufferbloatGrowsWithTheQueue() {
        // Same overload, larger queue → proportionally larger steady-state delay.
        for limit in [10, 100] {
            let rate = RateLimit(bitsPerSecond: 1_000_000, queueLimitPackets: limit)
            let res = probe(PathConditions(rate: rate), count: 2_000, interval: .microseconds(500), size: 97)
            let late = res.arrivals.filter { $0.sent >= .milliseconds(500) }
            #expect(late.allSatisfy { $0.delay > .milliseconds(limit - 1) && $0.delay <= .milliseconds(limit) })
        }
    }
}
