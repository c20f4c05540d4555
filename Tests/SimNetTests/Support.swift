@testable import SimNet

/// One datagram of a probe run: its sequence number, when it was sent and when it arrived.
struct Arrival: Equatable {
    var seq: Int
    var sent: SimTime
    var arrived: SimTime
    var payload: [UInt8]
    var delay: SimTime { arrived - sent }
}

/// The result of sending `count` datagrams a → b at a fixed interval over `conditions`.
struct ProbeResult {
    var arrivals: [Arrival]  // in arrival order
    var counters: PathCounters
    var recorded: Trace?
    var count: Int
    var interval: SimTime

    /// Sequence numbers received at least once.
    var receivedSet: Set<Int> { Set(arrivals.map(\.seq)) }
    /// lost[k] for k in send order.
    var lostFlags: [Bool] {
        var flags = [Bool](repeating: true, count: count)
        for a in arrivals { flags[a.seq] = false }
        return flags
    }
}

func payload(seq: Int, size: Int) -> [UInt8] {
    var p = [UInt8](repeating: 0x5A, count: max(size, 4))
    p[0] = UInt8(truncatingIfNeeded: seq >> 24); p[1] = UInt8(truncatingIfNeeded: seq >> 16)
    p[2] = UInt8(truncatingIfNeeded: seq >> 8); p[3] = UInt8(truncatingIfNeeded: seq)
    return p
}

func seqOf(_ p: [UInt8]) -> Int {
    Int(p[0]) << 24 | Int(p[1]) << 16 | Int(p[2]) << 8 | Int(p[3])
}

/// Sends `count` datagrams of `size` bytes from 10.0.0.1 to 10.0.0.2 at `interval`, starting at 0.
func probe(_ conditions: PathConditions, count: Int, interval: SimTime = .milliseconds(1),
           size: Int = 100, seed: UInt64 = 1, record: Bool = false) -> ProbeResult {
    let sim = Simulator()
    let net = Network(simulator: sim, seed: seed)
    let a = net.addHost(address: "10.0.0.1")
    let b = net.addHost(address: "10.0.0.2")
    net.setConditions(conditions, from: a, to: b)
    if record { net.startRecording(from: a, to: b) }
    var arrivals: [Arrival] = []
    arrivals.reserveCapacity(count)
    b.bind(port: 7) { d, now in
        let seq = seqOf(d.payload)
        arrivals.append(Arrival(seq: seq, sent: interval * seq, arrived: now, payload: d.payload))
    }
    var k = 0
    func tick() {
        a.send(from: 7, to: Endpoint(b.address, 7), payload: payload(seq: k, size: size))
        k += 1
        if k < count { sim.schedule(after: interval) { tick() } }
    }
    sim.schedule(at: .zero) { tick() }
    sim.runUntilIdle()
    return ProbeResult(arrivals: arrivals, counters: net.counters(from: a, to: b),
                       recorded: record ? net.recordedTrace(from: a, to: b) : nil,
                       count: count, interval: interval)
}

func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }

func standardDeviation(_ xs: [Double]) -> Double {
    let m = mean(xs)
    return (xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)).squareRoot()
}

/// Moments of Q(U), U uniform(0,1), by the midpoint rule on `points` quantiles:
/// E[g(Q(U))] = ∫₀¹ g(Q(u)) du. Returns mean, sd and the central fourth moment.
func quantileMoments(_ q: (Double) -> Double, points: Int = 1_000_000) -> (mean: Double, sd: Double, m4: Double) {
    var s1 = 0.0
    var values = [Double](repeating: 0, count: points)
    for i in 0..<points {
        let v = q((Double(i) + 0.5) / Double(points))
        values[i] = v
        s1 += v
    }
    let m = s1 / Double(points)
    var s2 = 0.0, s4 = 0.0
    for v in values {
        let d = v - m
        s2 += d * d
        s4 += d * d * d * d
    }
    return (m, (s2 / Double(points)).squareRoot(), s4 / Double(points))
}
