import Testing
@testable import SimNet

@Suite struct PartitionTests {
    /// Every host sends one datagram to every other host, then the simulator runs until idle.
    func allToAll(_ net: Network, _ hosts: [Host]) {
        for (i, h) in hosts.enumerated() {
            for (j, g) in hosts.enumerated() where i != j {
                h.send(from: 1, to: Endpoint(g.address, 1), payload: [UInt8(i), UInt8(j)])
            }
        }
        net.simulator.runUntilIdle()
    }

    @Test func partitionDropsEverythingAcrossTheCutAndNothingElse() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1, defaultConditions: PathConditions(delay: .milliseconds(5)))
        let hosts = (1...6).map { net.addHost(address: IPv4Address(10, 0, 0, UInt8($0))) }
        var heard = Set<[Int]>()
        for (j, h) in hosts.enumerated() { h.bind(port: 1) { d, _ in heard.insert([Int(d.payload[0]), j]) } }
        let left = [0, 1, 2], right = [3, 4]  // host 5 is on neither side
        net.partition(left.map { hosts[$0] }, right.map { hosts[$0] })
        allToAll(net, hosts)
        for i in 0..<6 {
            for j in 0..<6 where i != j {
                let across = (left.contains(i) && right.contains(j)) || (right.contains(i) && left.contains(j))
                #expect(heard.contains([i, j]) == !across, "\(i)→\(j)")
                let c = net.counters(from: hosts[i], to: hosts[j])
                #expect(c.droppedPartition == (across ? 1 : 0))
                #expect(c.dropped == c.droppedPartition)
            }
        }
        heard = []
        net.heal()
        allToAll(net, hosts)
        #expect(heard.count == 30)
    }

    @Test func cutAndHealASingleDirection() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1)
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var log: [String] = []
        a.bind(port: 1) { _, _ in log.append("b→a") }
        b.bind(port: 1) { _, _ in log.append("a→b") }
        net.cut(from: a, to: b)
        #expect(net.isCut(from: a, to: b) && !net.isCut(from: b, to: a))
        a.send(from: 1, to: Endpoint(b.address, 1), payload: [])
        b.send(from: 1, to: Endpoint(a.address, 1), payload: [])
        sim.runUntilIdle()
        #expect(log == ["b→a"])
        net.heal(from: a, to: b)
        a.send(from: 1, to: Endpoint(b.address, 1), payload: [])
        sim.runUntilIdle()
        #expect(log == ["b→a", "a→b"])
        net.cut(between: a, and: b)
        a.send(from: 1, to: Endpoint(b.address, 1), payload: [])
        b.send(from: 1, to: Endpoint(a.address, 1), payload: [])
        sim.runUntilIdle()
        #expect(log.count == 2)
        net.heal(between: a, and: b)
        b.send(from: 1, to: Endpoint(a.address, 1), payload: [])
        sim.runUntilIdle()
        #expect(log.count == 3)
    }

    @Test func scheduledPartitionAndHealAndInFlightDrops() {
        // Sends every 10 ms with 25 ms delay; cut at 100 ms, heal at 200 ms. A datagram is lost iff
        // the link is cut when it is sent or when it would arrive.
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1, defaultConditions: PathConditions(delay: .milliseconds(25)))
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var got: [Int] = []
        b.bind(port: 1) { d, _ in got.append(Int(d.payload[0])) }
        for i in 0..<30 {
            sim.schedule(at: .milliseconds(i * 10 + 1)) { a.send(from: 1, to: Endpoint(b.address, 1), payload: [UInt8(i)]) }
        }
        net.partition([a], [b], at: .milliseconds(100))
        net.heal(at: .milliseconds(200))
        sim.runUntilIdle()
        // Sent at 10i+1, arriving at 10i+26: lost if either lies in [100, 200).
        let expected = (0..<30).filter { i in
            let s = i * 10 + 1, r = s + 25
            return !((100..<200).contains(s) || (100..<200).contains(r))
        }
        #expect(got == expected)
        #expect(net.counters(from: a, to: b).droppedPartition == 30 - expected.count)
    }
}
