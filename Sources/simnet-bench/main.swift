// simnet-bench: SimNet throughput. 64 hosts (by default), each sending a 160-byte datagram to
// every other host at 50 packets/s (one 20 ms tick per host, staggered), over paths with the
// chosen preset. Reports packet events per second of wall-clock time, where a packet event is a
// datagram handed to a path (a send) or a datagram arriving at a host (a delivery).
//
//   swift build -c release --scratch-path .build-simnet-release --product simnet-bench
//   .build-simnet-release/release/simnet-bench --seconds 20 --seed 1
//
// Options: --seconds N (virtual seconds, default 20), --seed N (default 1),
//          --hosts N (default 64), --rate N (packets/s per host per peer, default 50),
//          --preset NAME (default "wifi"; "ideal" for none). Progress goes to stderr.
import SimNet

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let v = (x * scale).rounded() / scale
    return "\(v)"
}

func eprint(_ message: String) {
    var line = message + "\n"
    line.withUTF8 { buffer in _ = write(2, buffer.baseAddress, buffer.count) }
}

func fail(_ message: String) -> Never {
    eprint("simnet-bench: \(message)")
    exit(2)
}

var seconds = 20
var seed: UInt64 = 1
var hostCount = 64
var rate = 50
var presetName = "wifi"
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    func value() -> String {
        guard let v = args.popFirst() else { fail("\(arg) needs a value") }
        return v
    }
    switch arg {
    case "--seconds": guard let v = Int(value()), v > 0 else { fail("--seconds must be a positive integer") }; seconds = v
    case "--seed": guard let v = UInt64(value()) else { fail("--seed must be an unsigned integer") }; seed = v
    case "--hosts": guard let v = Int(value()), (2...250).contains(v) else { fail("--hosts must be 2...250") }; hostCount = v
    case "--rate": guard let v = Int(value()), v > 0 else { fail("--rate must be positive") }; rate = v
    case "--preset": presetName = value()
    case "-h", "--help":
        print("usage: simnet-bench [--seconds N] [--seed N] [--hosts N] [--rate N] [--preset NAME]")
        print("presets: ideal, " + PathConditions.presets.map(\.name).joined(separator: ", "))
        exit(0)
    default: fail("unknown argument \(arg)")
    }
}

let conditions: PathConditions
if presetName == "ideal" {
    conditions = .ideal
} else if let c = PathConditions.preset(named: presetName) {
    conditions = c
} else {
    fail("unknown preset \(presetName)")
}

/// Runs the benchmark; all state is local (one simulation, one thread).
func runBenchmark(seconds: Int, seed: UInt64, hostCount: Int, rate: Int,
                  presetName: String, conditions: PathConditions) {
    let simulator = Simulator()
    let network = Network(simulator: simulator, seed: seed, defaultConditions: conditions)
    let port: UInt16 = 5000
    var received = 0
    var hosts: [Host] = []
    for i in 0..<hostCount {
        let host = network.addHost(address: IPv4Address(10, 0, UInt8(i / 250), UInt8(1 + i % 250)), prefixLength: 16)
        host.bind(port: port) { _, _ in received &+= 1 }
        hosts.append(host)
    }
    let endpoints = hosts.map { Endpoint($0.address, port) }
    let payload = [UInt8](repeating: 0xA5, count: 160)
    let interval = SimTime.nanoseconds(1_000_000_000 / Int64(rate))
    let end = SimTime.seconds(seconds)
    var sent = 0

    func tick(_ i: Int) {
        let from = endpoints[i]
        for j in 0..<hostCount where j != i {
            network.send(from: from, to: endpoints[j], payload: payload)
        }
        sent &+= hostCount - 1
        let next = simulator.now + interval
        if next < end { simulator.schedule(at: next) { tick(i) } }
    }
    for i in 0..<hostCount {
        // Stagger the hosts' ticks across one interval.
        simulator.schedule(at: .nanoseconds(interval.nanoseconds * Int64(i) / Int64(hostCount))) { tick(i) }
    }

    let clock = ContinuousClock()
    let start = clock.now
    for s in 1...seconds {
        simulator.run(until: .seconds(s))
        let elapsed = (clock.now - start)
        let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        eprint("simnet-bench: \(s)/\(seconds) virtual s, \(sent + received) packet events, "
               + "\(Int(Double(sent + received) / max(wall, 1e-9))) events/s")
    }
    simulator.runUntilIdle()
    let elapsed = clock.now - start
    let wall = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    let events = sent + received
    let totals = network.totalCounters
    print("hosts \(hostCount), \(rate) packets/s to each peer, preset \(presetName), seed \(seed), \(seconds) virtual s")
    print("sent \(sent), delivered \(received), dropped \(totals.dropped), simulator events \(simulator.eventsProcessed)")
    print("wall \(fixed(wall, 3)) s, \(fixed(Double(seconds) / wall, 1))x real time")
    print("packet events/s: \(Int(Double(events) / wall))")
}

runBenchmark(seconds: seconds, seed: seed, hostCount: hostCount, rate: rate,
             presetName: presetName, conditions: conditions)
