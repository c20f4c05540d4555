@testable import Concord
import SimNet

/// For the tests' own draws (message generation, fuzzing, the driver's choices), seeded
/// separately from the nodes'.
extension SplitMix64 {
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}

extension Instant {
    init(_ t: SimTime) { self.init(nanoseconds: t.nanoseconds) }
}

/// The SimNet driver for room tests: N hosts 10.147.17.1…N on a /24, one UDP port, broadcast to
/// the subnet's broadcast address (or, to model ZeroTier's `multicastLimit`, to at most
/// `broadcastLimit` random hosts), a tick every `tickPeriod` with a per-node phase.
/// Crash = stop ticking and unbind the port; restart = a new `RoomNode` with the same client id.
/// Pause = no ticks and inbound datagrams queued (SIGSTOP, a closed lid); resume hands the
/// backlog over, before or after the first tick.
///
/// Two models of a fresh ZeroTier network (issue 11, measured on ZeroTier One 1.14.1):
/// `newMemberBroadcasts` — broadcasts to a host that joined the network less than a minute ago
/// are queued (delivered 25 s late) or lost, while unicast is immediate; `unicastCopies` — the
/// live driver's answer, every broadcast effect also sent as a unicast copy to each address of
/// the subnet by a rate-bounded sweep (each host's copy after a random delay up to the sweep time).
final class RoomSim {
    /// ZeroTier's treatment of broadcasts to members that joined recently.
    struct NewMemberBroadcasts {
        /// A host is new for this long after it joined the network (its first start).
        var window: SimTime = .seconds(60)
        /// Broadcasts to a new host arrive this late; nil: they are lost.
        var delay: SimTime? = .seconds(25)
    }

    static let port: UInt16 = 7400

    final class Slot {
        let index: Int
        let host: Host
        var node: RoomNode?
        var voice: VoiceClient?
        var running = false
        var generation = 0
        var phase: SimTime
        var events: [(time: SimTime, event: RoomEvent)] = []
        /// When this host joined the network (its node's first start).
        var networkJoinedAt: SimTime?
        var paused = false
        var backlog: [(bytes: [UInt8], from: RoomAddress)] = []
        init(index: Int, host: Host, phase: SimTime) {
            self.index = index
            self.host = host
            self.phase = phase
        }
    }

    let simulator = Simulator()
    let network: Network
    let settings: RoomSettings
    let roomID: String
    let seed: UInt64
    let tickPeriod: SimTime
    /// ZeroTier delivers a broadcast to at most this many peers (nil: the whole subnet).
    var broadcastLimit: Int?
    /// Broadcasts to recently joined hosts are delayed or lost (nil: delivered like any other).
    var newMemberBroadcasts: NewMemberBroadcasts?
    /// Every broadcast is also sent as a unicast copy to every other host, each after a uniform
    /// random delay in 0…this (nil: no copies).
    var unicastCopies: SimTime?
    private(set) var slots: [Slot] = []
    private var rng: SplitMix64
    /// Every datagram any node produced, for traffic figures.
    private(set) var controlBytesSent = 0
    /// When the last node was started (join, restart): convergence is measured from here.
    private(set) var lastStartAt = SimTime.zero

    init(
        count: Int, seed: UInt64, conditions: PathConditions = .ideal, settings: RoomSettings = .init(),
        broadcastLimit: Int? = nil, roomID: String = "lobby", tickPeriod: SimTime = .milliseconds(100)
    ) {
        self.network = Network(simulator: simulator, seed: seed, defaultConditions: conditions)
        self.settings = settings
        self.roomID = roomID
        self.seed = seed
        self.tickPeriod = tickPeriod
        self.broadcastLimit = broadcastLimit
        self.rng = SplitMix64(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        for i in 0..<count {
            let host = network.addHost(address: IPv4Address(10, 147, 17, UInt8(i + 1)))
            let phase = SimTime.nanoseconds(Int64(rng.unit() * Double(tickPeriod.nanoseconds)))
            slots.append(Slot(index: i, host: host, phase: phase))
        }
    }

    static func clientID(_ i: Int) -> String { "client-\(i)" }
    func address(_ i: Int) -> RoomAddress { .ipv4(slots[i].host.address.rawValue, port: Self.port) }
    var now: SimTime { simulator.now }

    // MARK: Life cycle

    /// Starts node `i` now: a fresh `RoomNode` (inside a `VoiceClient` with `voice`) that joins.
    func start(_ i: Int, voice: Bool = false) {
        let slot = slots[i]
        lastStartAt = now
        if slot.networkJoinedAt == nil { slot.networkJoinedAt = now }
        slot.events = []
        slot.paused = false
        slot.backlog = []
        slot.generation += 1
        let generation = slot.generation
        let node = RoomNode(settings: settings, seed: seed &* 31 &+ UInt64(i) &* 1_000_003 &+ UInt64(generation))
        slot.node = node
        slot.voice = nil
        if voice {
            slot.voice = try! VoiceClient(clientID: Self.clientID(i), membership: .room(node))
        }
        slot.running = true
        slot.host.bind(port: Self.port) { [unowned self, unowned slot] datagram, time in
            guard slot.running, slot.generation == generation else { return }
            let from = RoomAddress.ipv4(datagram.source.address.rawValue, port: datagram.source.port)
            if slot.paused {
                slot.backlog.append((datagram.payload, from))
                return
            }
            self.deliver(datagram.payload, from: from, to: slot, at: time)
        }
        let joined: [RoomEffect]
        if let v = slot.voice {
            joined = try! v.join(roomID: roomID, displayName: "Person \(i)", address: address(i), now: Instant(now))
        } else {
            joined = try! node.join(
                roomID: roomID, clientID: Self.clientID(i), displayName: "Person \(i)", address: address(i), now: Instant(now))
        }
        perform(joined, slot: slot)
        // Next tick on this node's phase grid.
        let period = tickPeriod.nanoseconds
        let k = (now.nanoseconds - slot.phase.nanoseconds) / period + 1
        scheduleTick(slot, generation: generation, at: SimTime(nanoseconds: slot.phase.nanoseconds + k * period))
    }

    private func scheduleTick(_ slot: Slot, generation: Int, at time: SimTime) {
        simulator.schedule(at: time) { [unowned self, unowned slot] in
            guard slot.running, slot.generation == generation else { return }
            if !slot.paused { self.tickNode(slot, at: time) }
            self.scheduleTick(slot, generation: generation, at: time + self.tickPeriod)
        }
    }

    private func deliver(_ bytes: [UInt8], from: RoomAddress, to slot: Slot, at time: SimTime) {
        guard let node = slot.node else { return }
        let effects = slot.voice.map { $0.receive(bytes: bytes, from: from, now: Instant(time)) }
            ?? node.receive(bytes: bytes, from: from, now: Instant(time))
        perform(effects, slot: slot)
    }

    private func tickNode(_ slot: Slot, at time: SimTime) {
        guard let node = slot.node else { return }
        perform(slot.voice.map { $0.tick(now: Instant(time)) } ?? node.tick(now: Instant(time)), slot: slot)
    }

    /// The process stops (SIGSTOP, a laptop lid): no ticks, nothing sent, and what arrives for it
    /// waits in its socket.
    func pause(_ i: Int) { slots[i].paused = true }

    /// The process continues now: its socket's backlog is handed over — after its first tick if
    /// `tickFirst` (a driver that ticks on a timer before it reads the socket), before it otherwise
    /// (the live driver hands datagrams before ticks) — and ticks resume on the node's grid.
    func resume(_ i: Int, tickFirst: Bool) {
        let slot = slots[i]
        guard slot.paused else { return }
        slot.paused = false
        let backlog = slot.backlog
        slot.backlog = []
        if tickFirst { tickNode(slot, at: now) }
        for d in backlog where slot.running && !slot.paused { deliver(d.bytes, from: d.from, to: slot, at: now) }
        if !tickFirst { tickNode(slot, at: now) }
    }

    /// Crash: the node stops ticking and its port is unbound; nothing is said to anyone.
    func crash(_ i: Int) {
        slots[i].running = false
        slots[i].host.unbind(port: Self.port)
    }

    /// Graceful leave: the node says goodbye, then stops.
    func leave(_ i: Int) {
        guard let node = slots[i].node else { return }
        let effects = slots[i].voice.map { $0.leave(now: Instant(now)) } ?? node.leave(now: Instant(now))
        perform(effects, slot: slots[i])
        slots[i].running = false
        slots[i].host.unbind(port: Self.port)
    }

    func sendText(_ i: Int, _ text: String) throws {
        guard let node = slots[i].node else { return }
        perform(try node.sendText(text, now: Instant(now)), slot: slots[i])
    }

    private func perform(_ effects: [RoomEffect], slot: Slot) {
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                if bytes.count >= 2, bytes[1] == RoomMessage.controlPacketType { controlBytesSent += bytes.count }
                guard case .ipv4(let raw) = to.host else { continue }
                slot.host.send(from: Self.port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
            case let .broadcast(bytes):
                controlBytesSent += bytes.count
                let others = slots.filter { $0 !== slot }
                if let spread = unicastCopies {
                    for other in others {
                        let delay = SimTime.nanoseconds(Int64(rng.unit() * Double(spread.nanoseconds)))
                        let to = Endpoint(other.host.address, Self.port)
                        simulator.schedule(after: delay) { [unowned slot] in slot.host.send(from: Self.port, to: to, payload: bytes) }
                    }
                }
                if let model = newMemberBroadcasts {
                    for other in others {
                        guard let joined = other.networkJoinedAt else { continue }  // not on the network
                        let to = Endpoint(other.host.address, Self.port)
                        if now - joined >= model.window {
                            slot.host.send(from: Self.port, to: to, payload: bytes)
                        } else if let delay = model.delay {
                            simulator.schedule(after: delay) { [unowned slot] in slot.host.send(from: Self.port, to: to, payload: bytes) }
                        }
                    }
                } else if let limit = broadcastLimit {
                    var pool = others.map(\.host)
                    for j in 0..<min(limit, pool.count) {
                        let k = j + rng.below(pool.count - j)
                        pool.swapAt(j, k)
                        slot.host.send(from: Self.port, to: Endpoint(pool[j].address, Self.port), payload: bytes)
                    }
                } else {
                    slot.host.send(from: Self.port, to: Endpoint(slot.host.broadcastAddress, Self.port), payload: bytes)
                }
            case let .event(e):
                slot.events.append((now, e))
            }
        }
    }

    // MARK: Observation

    var liveSlots: [Slot] { slots.filter { $0.running } }

    /// Sorted client ids of running nodes.
    var liveIDs: [String] { liveSlots.map { Self.clientID($0.index) }.sorted(by: utf8Less) }

    /// True when every running node is a member whose view is exactly the running nodes.
    var converged: Bool {
        let expected = liveIDs
        return liveSlots.allSatisfy { $0.node?.phase == .member && $0.node?.view == expected }
    }

    /// Runs until `converged` holds (checked every 10 ms) or until `deadline` after `since`
    /// (default: the last start); returns the time from `since` to convergence, or nil.
    @discardableResult
    func runUntilConverged(within deadline: SimTime, since: SimTime? = nil) -> SimTime? {
        let origin = since ?? lastStartAt
        while now <= origin + deadline {
            if converged { return now - origin }
            simulator.run(for: .milliseconds(10))
        }
        return nil
    }

    func run(for duration: SimTime) { simulator.run(for: duration) }

    /// Corruption check: every record names a client of this simulation with its true address
    /// and a display name it really uses; no node lists a client that was never started.
    func membershipIsSound() -> Bool {
        let started = Set(slots.filter { $0.generation > 0 }.map { Self.clientID($0.index) })
        for slot in slots where slot.running {
            guard let node = slot.node else { continue }
            for r in node.membership.records.values {
                guard started.contains(r.clientID), let i = Int(r.clientID.dropFirst("client-".count)),
                    r.address == address(i), r.displayName == "Person \(i)"
                else { return false }
            }
            if node.phase == .member, node.membership[node.clientID]?.status != .alive { return false }
        }
        return true
    }

    func events(_ i: Int) -> [RoomEvent] { slots[i].events.map(\.event) }
}
