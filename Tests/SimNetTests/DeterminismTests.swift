import Testing
@testable import SimNet

@Suite struct DeterminismTests {
    /// A busy 5-host run with every random impairment; returns the delivery log.
    func run(seed: UInt64) -> [String] {
        let sim = Simulator()
        var conditions = PathConditions.preset(named: "wifi-congested")!
        conditions.duplicate = 0.05
        conditions.corrupt = 0.05
        conditions.allowReordering = true
        let net = Network(simulator: sim, seed: seed, defaultConditions: conditions)
        let hosts = (1...5).map { net.addHost(address: IPv4Address(10, 0, 0, UInt8($0))) }
        var log: [String] = []
        for h in hosts {
            h.bind(port: 1) { d, now in log.append("\(now.nanoseconds) \(d.source)->\(h.address) \(d.payload)") }
        }
        net.setConditions(.preset(named: "3g")!, from: hosts[0], to: hosts[1])
        for t in 0..<200 {
            sim.schedule(at: .milliseconds(t * 20)) {
                for (i, a) in hosts.enumerated() {
                    for b in hosts where b !== a {
                        a.send(from: 1, to: Endpoint(b.address, 1), payload: [UInt8(i), UInt8(t & 0xFF), 7, 7])
                    }
                }
            }
        }
        sim.runUntilIdle()
        return log
    }

    @Test func sameSeedSameDeliveryLog() {
        let first = run(seed: 2024)
        #expect(first.count > 3_000)
        #expect(first == run(seed: 2024))
        #expect(first != run(seed: 2025))
    }

    /// The a→b path's fate must not depend on traffic elsewhere (per-path generators).
    func pathLog(extraTraffic: Bool) -> [String] {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 5, defaultConditions: PathConditions(
            delay: .milliseconds(20), jitter: .milliseconds(5), allowReordering: true, loss: .bernoulli(0.1), duplicate: 0.1))
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        let c = net.addHost(address: "10.0.0.3")
        var log: [String] = []
        b.bind(port: 1) { d, now in if d.source.address == a.address { log.append("\(now.nanoseconds) \(d.payload)") } }
        c.bind(port: 1) { _, _ in }
        a.bind(port: 1) { _, _ in }
        for t in 0..<2_000 {
            sim.schedule(at: .milliseconds(t)) {
                if extraTraffic {
                    a.send(from: 1, to: Endpoint(c.address, 1), payload: [1])
                    c.send(from: 1, to: Endpoint(b.address, 1), payload: [2])
                    b.send(from: 1, to: Endpoint(a.address, 1), payload: [3])
                }
                a.send(from: 1, to: Endpoint(b.address, 1), payload: [UInt8(t & 0xFF)])
            }
        }
        sim.runUntilIdle()
        return log
    }

    @Test func trafficOnOnePathNeverChangesAnothersRandomness() {
        let quiet = pathLog(extraTraffic: false)
        #expect(quiet.count > 1_500)
        #expect(quiet == pathLog(extraTraffic: true))
    }

    @Test func generatorsAreTheReferenceOnes() {
        // SplitMix64 reference output for seed 0 (from the published algorithm).
        var s = SplitMix64(seed: 0)
        #expect(s.next() == 0xE220_A839_7B1D_CDAF)
        #expect(s.next() == 0x6E78_9E6A_A1B9_65F4)
        var x = Xoshiro256StarStar(seed: 1)
        var y = Xoshiro256StarStar(seed: 1)
        #expect((0..<100).map { _ in x.next() } == (0..<100).map { _ in y.next() })
        let u = (0..<10_000).map { _ in x.uniform() }
        #expect(u.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(pathSeed(global: 1, source: 1, destination: 2) != pathSeed(global: 1, source: 2, destination: 1))
    }
}
