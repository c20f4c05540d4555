import Testing
@testable import SimNet

@Suite struct AddressingTests {
    @Test func parsesDottedQuads() {
        #expect(IPv4Address("10.0.0.1") == IPv4Address(10, 0, 0, 1))
        #expect(IPv4Address("10.0.0.1").rawValue == 0x0A00_0001)
        let text = "10.0.0.7"
        #expect(IPv4Address(text) == IPv4Address(10, 0, 0, 7))  // a String parses to an optional
        #expect(IPv4Address("255.255.255.255") == .broadcast)
        for bad in ["", "10.0.0", "10.0.0.256", "10.0.0.1.2", "a.b.c.d", "10..0.1", "-1.0.0.0", "1.2.3.4 "] {
            #expect(IPv4Address(bad) == nil, "\(bad)")
        }
        let literal: IPv4Address = "192.168.1.20"
        #expect(literal.description == "192.168.1.20")
        #expect(IPv4Address("239.1.2.3").isMulticast)
        #expect(!IPv4Address("10.1.2.3").isMulticast)
        #expect(Endpoint("10.0.0.1", 5000).description == "10.0.0.1:5000")
    }

    @Test func unicastDeliversToTheBoundPort() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1)
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        var got: [Datagram] = []
        b.bind(port: 9) { d, _ in got.append(d) }
        a.send(from: 1234, to: Endpoint(b.address, 9), payload: [1, 2, 3])
        a.send(from: 1234, to: Endpoint(b.address, 10), payload: [4])  // nobody listens
        net.send(from: Endpoint("10.0.0.1", 1), to: Endpoint("10.9.9.9", 9), payload: [5])  // no such host
        sim.runUntilIdle()
        #expect(got == [Datagram(source: Endpoint("10.0.0.1", 1234), destination: Endpoint("10.0.0.2", 9), payload: [1, 2, 3])])
        let c = net.counters(from: a, to: b)
        #expect(c.sent == 2 && c.delivered == 1 && c.droppedNoListener == 1)
        #expect(c.bytesSent == 4 && c.bytesDelivered == 3)
        #expect(net.unroutable == 1)
    }

    @Test func broadcastReachesTheSubnetOnly() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1)
        let hosts = (1...4).map { net.addHost(address: IPv4Address(10, 0, 0, UInt8($0))) }
        let other = net.addHost(address: "10.0.1.1")
        var got: [String] = []
        for h in hosts + [other] {
            h.bind(port: 9) { d, _ in got.append("\(h.address)<-\(d.destination.address)") }
        }
        #expect(hosts[0].broadcastAddress == "10.0.0.255")
        hosts[0].send(from: 9, to: Endpoint("10.0.0.255", 9), payload: [1])
        sim.runUntilIdle()
        #expect(got.sorted() == ["10.0.0.2<-10.0.0.255", "10.0.0.3<-10.0.0.255", "10.0.0.4<-10.0.0.255"])
        got = []
        hosts[1].send(from: 9, to: Endpoint(.broadcast, 9), payload: [1])
        sim.runUntilIdle()
        #expect(got.sorted() == ["10.0.0.1<-255.255.255.255", "10.0.0.3<-255.255.255.255", "10.0.0.4<-255.255.255.255"])
        got = []
        other.send(from: 9, to: Endpoint(.broadcast, 9), payload: [1])  // alone in its subnet
        sim.runUntilIdle()
        #expect(got.isEmpty)
    }

    @Test func multicastJoinAndLeave() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1)
        let hosts = (1...4).map { net.addHost(address: IPv4Address(10, 0, 0, UInt8($0))) }
        let group: IPv4Address = "239.1.2.3"
        var got: [IPv4Address] = []
        for h in hosts { h.bind(port: 5004) { _, _ in got.append(h.address) } }
        hosts[0].join(group: group)  // a member sender does not hear itself
        hosts[1].join(group: group)
        hosts[2].join(group: group)
        hosts[0].send(from: 5004, to: Endpoint(group, 5004), payload: [1])
        sim.runUntilIdle()
        #expect(got.sorted() == ["10.0.0.2", "10.0.0.3"])
        got = []
        hosts[2].leave(group: group)
        hosts[3].send(from: 5004, to: Endpoint(group, 5004), payload: [1])  // non-members may send
        sim.runUntilIdle()
        #expect(got.sorted() == ["10.0.0.1", "10.0.0.2"])
        #expect(hosts[2].joinedGroups.isEmpty)
    }

    @Test func broadcastAndMulticastGoThroughEachPathsConditions() {
        let sim = Simulator()
        let net = Network(simulator: sim, seed: 1, defaultConditions: PathConditions(delay: .milliseconds(10)))
        let a = net.addHost(address: "10.0.0.1")
        let b = net.addHost(address: "10.0.0.2")
        let c = net.addHost(address: "10.0.0.3")
        net.setConditions(PathConditions(delay: .milliseconds(50)), from: a, to: c)
        var at: [IPv4Address: SimTime] = [:]
        for h in [b, c] { h.bind(port: 1) { _, now in at[h.address] = now } }
        a.send(from: 1, to: Endpoint("10.0.0.255", 1), payload: [0])
        sim.runUntilIdle()
        #expect(at == [b.address: .milliseconds(10), c.address: .milliseconds(50)])
    }
}
