#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRelayIO
import SimNet

/// SimNet's path models on the wall clock: a UDP relay on loopback between real clients.
///
/// The relay holds the same `Network` a virtual-time run of the scenario builds — the same
/// hosts and addresses (so the same per-path random streams), default conditions, per-link
/// overrides, traces, and the scenario's partitions, heals and link changes on the simulator's
/// clock — and keeps the simulator's virtual time equal to the time since `run` began. A
/// datagram a client sends to participant q's relayed address (`RelayLayout`) enters the
/// network at the moment it is read, from the sender's host to q's; SimNet decides its fate
/// (loss, delay, jitter, duplication, reordering, the rate limiter's queue, a cut link) and
/// schedules its arrival; when the simulator reaches that time the relay sends it to q's client
/// from the sender's relayed address. A datagram to the broadcast address enters as a broadcast
/// on the simulated subnet, so each other participant gets it over its own path, as in a
/// virtual-time run. What the room does — joins, leaves, crashes — is the clients' own
/// business (a live run starts and stops the processes), not the relay's.
///
/// **Timing.** One thread: read what is waiting, enter each datagram at the kernel's arrival
/// stamp (so a late wake-up does not lengthen its path), run the simulator up to now (which
/// sends what is due), then sleep in `ppoll` until the next event or datagram. Each forward's
/// lateness against its scheduled time goes into `SchedulingErrorHistogram`.
///
/// Confined to the thread that calls `run`, except `stop()`, which may be called from any thread.
public final class LoopbackRelay: @unchecked Sendable {
    public let layout: RelayLayout
    private let simulator = Simulator()
    private let network: Network
    private let hosts: [SimNet.Host]
    private let firstHost: UInt32
    /// The relayed address of each participant, then the broadcast address.
    private let sockets: [RelaySocket]
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var startNanoseconds: Int64 = 0
    private var histogram = SchedulingErrorHistogram()
    private var statistics = RelayStatistics()

    /// SCHED_FIFO priority of the relay's thread: above ordinary threads, below the kernel's own
    /// (which use 50).
    static let realtimePriority: Int32 = 10

    /// The port every simulated host uses (the bench's), whatever the relay's real port.
    static let simulatedPort: UInt16 = 9_993

    /// Binds the relay's sockets; nothing is forwarded before `run`.
    public init(scenario: ResolvedScenario, port: UInt16) throws(RelayError) {
        let layout = try RelayLayout(participants: scenario.participants.count, port: port)
        self.layout = layout
        network = Network(simulator: simulator, seed: scenario.seed, defaultConditions: scenario.defaultConditions)
        hosts = (0..<layout.count).map { [network] in
            network.addHost(address: IPv4Address(10, 147, 17, UInt8(ScenarioResolver.firstHostAddress + $0)))
        }
        firstHost = hosts[0].address.rawValue
        for link in scenario.linkConditions {
            network.setConditions(link.conditions, from: hosts[link.from], to: hosts[link.to])
        }
        NetworkEvents.schedule(scenario.events, simulator: simulator, network: network, hosts: hosts)

        var sockets: [RelaySocket] = []
        for i in 0..<layout.count { sockets.append(try RelaySocket(binding: layout.relayedAddress(i))) }
        sockets.append(try RelaySocket(binding: layout.broadcastAddress))
        self.sockets = sockets
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .wakePipe(reason: RelaySocket.lastError()) }
        wakeRead = pipeEnds[0]
        wakeWrite = pipeEnds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)

        for (q, host) in hosts.enumerated() {
            host.bind(port: Self.simulatedPort) { [unowned self] datagram, due in
                self.deliver(datagram, to: q, due: due)
            }
        }
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Ends `run` soon (any thread).
    public func stop() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    /// Relays until `seconds` have passed (`nil`: until `stop()`), then returns what it did.
    /// `progress` is called with the seconds elapsed about once a second. `origin`: the
    /// `CLOCK_MONOTONIC` instant (ns) that is the scenario's time 0 (default: now).
    public func run(for seconds: Double?, origin: Int64? = nil, progress: ((Double) -> Void)? = nil) -> RelayStatistics {
        // Woken within a microsecond or two of the time asked, not the default 50 µs, and ahead
        // of the clients' threads when the cores are busy (where the system allows it: root, or
        // an RLIMIT_RTPRIO). The thread sleeps whenever nothing is due, so it cannot starve them.
        _ = concord_set_timer_slack_nanoseconds(1_000)
        statistics.realtimePriority = concord_set_realtime_priority(Self.realtimePriority) == 0
        let cpuStart = ThreadCPUMeter.threadNanoseconds()
        startNanoseconds = min(origin ?? .max, Self.monotonicNanoseconds())
        let end = seconds.map { Int64(($0 * 1e9).rounded()) } ?? .max
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 16)
        defer { buffer.deallocate() }
        var descriptors = sockets.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
        descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
        var nextProgress: Int64 = 1_000_000_000

        var entering: [(arrival: Int64, sender: Int, socket: Int, payload: [UInt8])] = []
        while true {
            var now = elapsed()
            if now >= end { break }
            // What arrived while the thread slept enters the network at its arrival time (the
            // kernel's stamp), in arrival order, after whatever was due before it: read first,
            // before the simulator's clock moves past those stamps.
            entering.removeAll(keepingCapacity: true)
            for k in sockets.indices where descriptors[k].revents & Int16(POLLIN) != 0 {
                while let (count, from, arrival) = sockets[k].receive(into: buffer) {
                    statistics.received += 1
                    guard let p = layout.participant(atClientAddress: from) else {
                        statistics.unknownSource += 1
                        continue
                    }
                    entering.append((arrival - startNanoseconds, p, k, Array(buffer[0..<count])))
                }
            }
            entering.sort { $0.arrival < $1.arrival }
            for datagram in entering {
                simulator.run(until: SimTime(nanoseconds: datagram.arrival))
                let p = datagram.sender
                let destination = datagram.socket == layout.count ? hosts[p].broadcastAddress : hosts[datagram.socket].address
                network.send(
                    from: Endpoint(hosts[p].address, Self.simulatedPort), to: Endpoint(destination, Self.simulatedPort),
                    payload: datagram.payload)
            }
            if descriptors[layout.count + 1].revents & Int16(POLLIN) != 0 { break }
            now = elapsed()
            simulator.run(until: SimTime(nanoseconds: now))
            if let progress, now >= nextProgress {
                progress(Double(now) / 1e9)
                nextProgress += 1_000_000_000
            }
            // Sleep until the next event, the end, or at most a quarter of a second.
            let next = simulator.nextEventTime?.nanoseconds ?? .max
            let wait = max(0, min(next, end, now + 250_000_000) - now)
            for i in descriptors.indices { descriptors[i].revents = 0 }
            _ = concord_poll_nanoseconds(&descriptors, UInt(descriptors.count), wait)
        }

        var result = statistics
        let counters = network.totalCounters
        result.wallSeconds = Double(elapsed()) / 1e9
        result.cpuSeconds = Double(ThreadCPUMeter.threadNanoseconds() &- cpuStart) / 1e9
        result.droppedLoss = counters.droppedLoss
        result.droppedQueueOverflow = counters.droppedQueueOverflow
        result.droppedPartition = counters.droppedPartition
        result.duplicated = counters.duplicated
        result.reordered = counters.reordered
        result.schedulingErrorP50Ms = histogram.quantileMilliseconds(0.5)
        result.schedulingErrorP90Ms = histogram.quantileMilliseconds(0.9)
        result.schedulingErrorP99Ms = histogram.quantileMilliseconds(0.99)
        result.schedulingErrorMaxMs = histogram.count > 0 ? Double(histogram.maximumNanoseconds) / 1e6 : nil
        return result
    }

    /// SimNet delivers `datagram` to participant q at virtual time `due`: send it to q's client
    /// from the sender's relayed address.
    private func deliver(_ datagram: Datagram, to q: Int, due: SimTime) {
        let p = Int(datagram.source.address.rawValue &- firstHost)
        guard sockets.indices.contains(p), p < layout.count else { return }
        if sockets[p].send(datagram.payload, to: layout.clientAddress(q)) {
            statistics.forwarded += 1
        } else {
            statistics.sendFailures += 1
        }
        histogram.add(latenessNanoseconds: elapsed() - due.nanoseconds)
    }

    private func elapsed() -> Int64 { Self.monotonicNanoseconds() - startNanoseconds }

    static func monotonicNanoseconds() -> Int64 { RelaySocket.monotonicNanoseconds() }
}
