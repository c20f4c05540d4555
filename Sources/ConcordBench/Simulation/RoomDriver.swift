import Concord
import Logging
import SimNet

/// Runs Concord's room protocol for the simulation: a `VoiceRoom` per participant (so voice
/// follows membership), room ticks, scheduled joins, leaves and crashes, and the measurements
/// of `MembershipReport`.
///
/// Convergence after an event is checked whenever a view changes: the first instant at which
/// every live node that has joined is a member and its view holds exactly the live joined nodes
/// it can reach directly (the partition in force decides reachability).
final class RoomDriver {
    let roomID: String
    private let scenario: ResolvedScenario
    private let rooms: [VoiceRoom]
    /// The same rooms behind their security layer, when the scenario is sealed.
    private let sealed: [SecureVoiceRoom]?
    private let hosts: [SimNet.Host]
    private let port: UInt16
    private let network: Network
    private let simulator: Simulator
    private let indexOfAddress: [UInt32: Int]

    /// Participants that crashed: they neither capture, play nor answer.
    private(set) var crashed: Set<Int> = []
    /// A join the room refused (the resolver checks names and the room id, so this should not
    /// happen); the simulation stops and reports it rather than trapping.
    private(set) var failure: Error?
    private var joined: Set<Int> = []
    private var left: Set<Int> = []
    private var leftAt: [Int: Instant] = [:]
    private var pending: [(event: String, at: Instant)] = []
    private var convergence: [MembershipReport.Convergence] = []

    init(
        roomID: String, scenario: ResolvedScenario, participants: [Concord.Participant], hosts: [SimNet.Host],
        port: UInt16, network: Network, simulator: Simulator, transports: [SecureTransport]?, logger: Logger
    ) {
        self.roomID = roomID
        self.scenario = scenario
        self.hosts = hosts
        self.port = port
        self.network = network
        self.simulator = simulator
        let rooms = participants.enumerated().map { i, p in
            VoiceRoom(
                node: RoomNode(seed: scenario.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15, logger: logger), participant: p,
                logger: logger)
        }
        self.rooms = rooms
        sealed = transports.map { zip(rooms, $0).map { SecureVoiceRoom(room: $0, transport: $1) } }
        indexOfAddress = Dictionary(uniqueKeysWithValues: hosts.enumerated().map { ($1.address.rawValue, $0) })
    }

    private func time(_ instant: Instant) -> SimTime { SimTime(nanoseconds: instant.nanoseconds) }
    private func now() -> Instant { Instant(nanoseconds: simulator.now.nanoseconds) }
    private func address(_ i: Int) -> RoomAddress { .ipv4(hosts[i].address.rawValue, port: port) }

    /// Schedules every participant's join (and leave or crash) and the network events' checks.
    func start() {
        for (i, p) in scenario.participants.enumerated() {
            simulator.schedule(at: .seconds(p.joinSeconds)) { [self] in join(i) }
            if let at = p.leaveSeconds { simulator.schedule(at: .seconds(at)) { [self] in leave(i) } }
            if let at = p.crashSeconds { simulator.schedule(at: .seconds(at)) { [self] in crash(i) } }
        }
        for event in scenario.events {
            switch event {
            case .partition(let at, _):
                // Scheduled after the simulation's own partition event at the same time.
                simulator.schedule(at: .seconds(at)) { [self] in mark("partition") }
            case .heal(let at):
                simulator.schedule(at: .seconds(at)) { [self] in mark("heal") }
            case .setLink: break
            }
        }
    }

    func receive(_ datagram: Datagram, at i: Int, now: Instant) {
        guard !crashed.contains(i) else { return }
        let from = RoomAddress.ipv4(datagram.source.address.rawValue, port: datagram.source.port)
        let effects =
            sealed?[i].receive(bytes: datagram.payload, from: from, now: now)
            ?? rooms[i].receive(bytes: datagram.payload, from: from, now: now)
        apply(effects, from: i)
    }

    private func join(_ i: Int) {
        let name = scenario.participants[i].name
        joined.insert(i)
        mark("join \(name)")
        do {
            if let sealed {
                apply(try sealed[i].join(displayName: name, address: address(i), now: now()), from: i)
            } else {
                apply(try rooms[i].join(roomID: roomID, clientID: name, displayName: name, address: address(i), now: now()), from: i)
            }
        } catch {
            if failure == nil { failure = BenchRunError(description: "participant \(name) could not join room \(roomID): \(error)") }
            return
        }
        tick(i)
    }

    private func tick(_ i: Int) {
        guard !crashed.contains(i), !left.contains(i) else { return }
        apply(sealed?[i].tick(now: now()) ?? rooms[i].tick(now: now()), from: i)
        simulator.schedule(after: .milliseconds(rooms[i].node.settings.tickInterval)) { [self] in tick(i) }
    }

    private func leave(_ i: Int) {
        left.insert(i)
        leftAt[i] = now()
        mark("leave \(scenario.participants[i].name)")
        apply(sealed?[i].leave(now: now()) ?? rooms[i].leave(now: now()), from: i)
    }

    private func crash(_ i: Int) {
        crashed.insert(i)
        leftAt[i] = now()
        hosts[i].unbind(port: port)
        mark("crash \(scenario.participants[i].name)")
    }

    private func mark(_ event: String) {
        pending.append((event, now()))
        checkConvergence()
    }

    private func apply(_ effects: [RoomEffect], from i: Int) {
        var viewChanged = false
        for effect in effects {
            switch effect {
            case .send(let bytes, let to):
                guard case .ipv4(let raw) = to.host, indexOfAddress[raw] != nil else { continue }
                hosts[i].send(from: port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
            case .broadcast(let bytes):
                hosts[i].send(from: port, to: Endpoint(hosts[i].broadcastAddress, port), payload: bytes)
            case .event(let event):
                switch event {
                case .viewChanged, .roomCreated, .roomJoined, .peerJoined, .peerLeft, .leftRoom: viewChanged = true
                default: break
                }
            }
        }
        if viewChanged { checkConvergence() }
    }

    private var live: [Int] { joined.filter { !crashed.contains($0) && !left.contains($0) }.sorted() }

    private func checkConvergence() {
        guard !pending.isEmpty else { return }
        let live = self.live
        for i in live {
            guard rooms[i].node.phase == .member else { return }
            let expected = live.filter { $0 == i || !network.isCut(from: hosts[i], to: hosts[$0]) }
                .map { scenario.participants[$0].name }.sorted()
            guard rooms[i].node.view.sorted() == expected else { return }
        }
        let t = now()
        for p in pending {
            convergence.append(.init(event: p.event, atSeconds: p.at.seconds, convergedAfterMs: t.milliseconds(since: p.at)))
        }
        pending.removeAll()
    }

    func report(until end: Instant) -> MembershipReport {
        var all = convergence
        for p in pending { all.append(.init(event: p.event, atSeconds: p.at.seconds, convergedAfterMs: nil)) }
        all.sort { ($0.atSeconds, $0.event) < ($1.atSeconds, $1.event) }
        let joins = scenario.participants.indices.map { i -> MembershipReport.Join in
            let node = rooms[i].node
            var joinMs: Double?
            if let started = node.joinStartedAt, let member = node.memberSince { joinMs = member.milliseconds(since: started) }
            let start = Instant.seconds(scenario.participants[i].joinSeconds)
            let stop = min(leftAt[i] ?? end, end)
            let seconds = max(stop.seconds - start.seconds, 1e-9)
            let bytes = Double(node.statistics.controlBytesSent + node.statistics.textBytesSent)
            return .init(participant: scenario.participants[i].name, joinMs: joinMs, controlBytesPerSecond: bytes / seconds)
        }
        let rates = joins.map(\.controlBytesPerSecond)
        return MembershipReport(
            joins: joins, convergence: all, controlBytesPerSecondMean: rates.reduce(0, +) / Double(max(1, rates.count)),
            controlBytesPerSecondMax: rates.max() ?? 0)
    }
}
