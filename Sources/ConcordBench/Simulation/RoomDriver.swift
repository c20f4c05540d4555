import Concord
import Logging
import SimNet

/// Runs the scenario's room: scheduled joins, leaves and crashes of the participants' clients,
/// room ticks, and the measurements of `MembershipReport`.
///
/// Convergence after an event is checked whenever a view changes: the first instant at which
/// every live node that has joined is a member and its view holds exactly the live joined nodes
/// it can reach directly (the partition in force decides reachability).
final class RoomDriver {
    let roomID: String
    private let scenario: ResolvedScenario
    private let clients: [VoiceClient]
    private var transports: [SimNetTransport] = []
    private let network: Network
    private let simulator: Simulator

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

    /// `clients` must be room clients (`VoiceClient.Membership.room`).
    init(roomID: String, scenario: ResolvedScenario, clients: [VoiceClient], network: Network, simulator: Simulator) {
        self.roomID = roomID
        self.scenario = scenario
        self.clients = clients
        self.network = network
        self.simulator = simulator
    }

    private func now() -> Instant { Instant(nanoseconds: simulator.now.nanoseconds) }
    private func node(_ i: Int) -> RoomNode? { clients[i].node }

    /// Schedules every participant's join (and leave or crash) and the network events' checks;
    /// participant i's datagrams go out on `transports[i]`.
    func start(on transports: [SimNetTransport]) {
        self.transports = transports
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

    func receive(_ bytes: [UInt8], from: RoomAddress, at i: Int, now: Instant) {
        guard !crashed.contains(i) else { return }
        apply(clients[i].receive(bytes: bytes, from: from, now: now), from: i)
    }

    private func join(_ i: Int) {
        let name = scenario.participants[i].name
        joined.insert(i)
        mark("join \(name)")
        do {
            apply(try clients[i].join(roomID: roomID, displayName: name, address: transports[i].localAddress, now: now()), from: i)
        } catch {
            if failure == nil { failure = BenchRunError(description: "participant \(name) could not join room \(roomID): \(error)") }
            return
        }
        tick(i)
    }

    private func tick(_ i: Int) {
        guard !crashed.contains(i), !left.contains(i), let interval = node(i)?.settings.tickInterval else { return }
        apply(clients[i].tick(now: now()), from: i)
        simulator.schedule(after: .milliseconds(interval)) { [self] in tick(i) }
    }

    private func leave(_ i: Int) {
        left.insert(i)
        leftAt[i] = now()
        mark("leave \(scenario.participants[i].name)")
        apply(clients[i].leave(now: now()), from: i)
    }

    private func crash(_ i: Int) {
        crashed.insert(i)
        leftAt[i] = now()
        transports[i].unbind()
        mark("crash \(scenario.participants[i].name)")
    }

    private func mark(_ event: String) {
        pending.append((event, now()))
        checkConvergence()
    }

    private func apply(_ effects: [RoomEffect], from i: Int) {
        let viewChanged = transports[i].perform(effects).contains { event in
            switch event {
            case .viewChanged, .roomCreated, .roomJoined, .peerJoined, .peerLeft, .leftRoom: return true
            default: return false
            }
        }
        if viewChanged { checkConvergence() }
    }

    private var live: [Int] { joined.filter { !crashed.contains($0) && !left.contains($0) }.sorted() }

    private func checkConvergence() {
        guard !pending.isEmpty else { return }
        let live = self.live
        for i in live {
            guard let node = node(i), node.phase == .member else { return }
            let expected = live.filter { $0 == i || !network.isCut(from: transports[i].host, to: transports[$0].host) }
                .map { scenario.participants[$0].name }.sorted()
            guard node.view.sorted() == expected else { return }
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
            var joinMs: Double?
            if let started = node(i)?.joinStartedAt, let member = node(i)?.memberSince { joinMs = member.milliseconds(since: started) }
            let start = Instant.seconds(scenario.participants[i].joinSeconds)
            let stop = min(leftAt[i] ?? end, end)
            let seconds = max(stop.seconds - start.seconds, 1e-9)
            let bytes = Double((node(i)?.statistics.controlBytesSent ?? 0) + (node(i)?.statistics.textBytesSent ?? 0))
            return .init(participant: scenario.participants[i].name, joinMs: joinMs, controlBytesPerSecond: bytes / seconds)
        }
        let rates = joins.map(\.controlBytesPerSecond)
        return MembershipReport(
            joins: joins, convergence: all, controlBytesPerSecondMean: rates.reduce(0, +) / Double(max(1, rates.count)),
            controlBytesPerSecondMax: rates.max() ?? 0)
    }
}
