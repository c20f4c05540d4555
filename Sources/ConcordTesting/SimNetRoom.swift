import Concord
import Foundation
import SimNet

extension Instant {
    /// The same instant as the simulator's `t`: both count from the start of the run.
    public init(_ t: SimTime) { self.init(nanoseconds: t.nanoseconds) }
}

/// N `VoiceClient`s over SimNet: hosts 10.147.17.1…N on a /24, one UDP port each. The harness
/// of every test that runs the engine end to end in virtual time — the room protocol, sealed
/// rooms under attack, calls through a lossy link.
///
/// Each client's members come from the room protocol (`.room`) or are the other N − 1 clients
/// (`.fixedMesh`); its datagrams are plain or sealed in pair sessions (`.paired`).
///
/// **Ticks.** Silent clients (no `microphones`) tick every `RoomSettings.tickInterval`, each on
/// a grid of its own whose phase is drawn from the seed. Talking clients tick once a frame, all
/// on one grid from time zero (as audio devices running at one rate), and each tick captures a
/// frame from the client's microphone and plays one out. A client's first tick is the first
/// grid point after it starts.
///
/// **Life cycle.** Crash = stop ticking and unbind the port; restart = a new client with the same
/// client id (a new `RoomNode` seed and session salt). Pause = no ticks and inbound datagrams
/// queued (SIGSTOP, a closed lid); resume hands the backlog over, before or after the first tick.
///
/// **Broadcasts** go to the subnet's broadcast address, or — to model ZeroTier's
/// `multicastLimit` — to at most `broadcastLimit` random hosts. Two models of a fresh ZeroTier
/// network (measured on ZeroTier One 1.14.1): `newMemberBroadcasts` — broadcasts to a host that
/// joined the network less than a minute ago are queued (delivered 25 s late) or lost, while
/// unicast is immediate; `unicastCopies` — the live driver's answer, every broadcast also sent as
/// a unicast copy to each other host by a rate-bounded sweep (each copy after a random delay up to
/// the sweep time).
///
/// Every datagram a client sends is kept in `captured`, so tests can count traffic and replay it.
public final class SimNetRoom {
    /// Where each client's members come from.
    public enum Membership: Sendable {
        /// The room protocol: each client joins `roomID` when it starts.
        case room
        /// A mesh of all N clients, fixed in advance.
        case fixedMesh
    }

    /// How datagrams are protected on the wire.
    public enum Sealing {
        case plain
        /// Pair sessions under `secret`. `secrets` gives some clients another secret (an outsider
        /// on the same network, a member removed by a new secret); `identities` reuses long-term
        /// identities (another "day" of the same clients), otherwise each gets a new one.
        case paired(secret: RoomSecret = .generate(), secrets: [Int: RoomSecret] = [:], identities: [Identity]? = nil)
    }

    /// What talking clients say, one frame a tick.
    public enum Microphones {
        /// Client i: a tone of 200 + 100·i Hz at −12 dBFS.
        case tones
        /// Client i: `sources[i]`, looped.
        case sources([[Float]])
    }

    /// ZeroTier's treatment of broadcasts to members that joined recently.
    public struct NewMemberBroadcasts: Sendable {
        /// A host is new for this long after it joined the network (its client's first start).
        public var window: SimTime
        /// Broadcasts to a new host arrive this late; nil: they are lost.
        public var delay: SimTime?
        public init(window: SimTime = .seconds(60), delay: SimTime? = .seconds(25)) {
            self.window = window
            self.delay = delay
        }
    }

    /// One datagram a client sent.
    public struct Captured: Sendable {
        public var bytes: [UInt8]
        public var from: RoomAddress
        /// Nil for a broadcast.
        public var to: RoomAddress?
    }

    public static let port: UInt16 = 7400

    /// One host and the client running on it.
    public final class Slot {
        public let index: Int
        public let host: SimNet.Host
        /// The room secret it seals with, when sealed.
        public let secret: RoomSecret?
        /// Its long-term identity when sealed, from its next start on.
        public var identity: Identity
        /// The current (or last) run's client.
        public fileprivate(set) var client: VoiceClient?
        public fileprivate(set) var running = false
        public fileprivate(set) var paused = false
        /// Starts so far; a restart is a new generation.
        public fileprivate(set) var generation = 0
        /// What the current run reported, with when.
        public fileprivate(set) var events: [(time: SimTime, event: RoomEvent)] = []
        /// What it played, on the simulation's time line: sample n is what it played at
        /// n / 48 000 s (silence before its first playout and while it was down).
        public fileprivate(set) var mix: [Float] = []
        /// The same per talker (client id): what its receiver for that talker played.
        public fileprivate(set) var tracks: [String: [Float]] = [:]
        /// Per talker, the jitter buffer's playout events (with `JitterBufferSettings.recordEvents`).
        public fileprivate(set) var playoutEvents: [String: [PlayoutEvent]] = [:]
        fileprivate let phase: SimTime
        /// When this host joined the network (its client's first start).
        fileprivate var networkJoinedAt: SimTime?
        fileprivate var backlog: [(bytes: [UInt8], from: RoomAddress)] = []
        fileprivate var framesCaptured = 0

        init(index: Int, host: SimNet.Host, phase: SimTime, secret: RoomSecret?, identity: Identity) {
            self.index = index
            self.host = host
            self.phase = phase
            self.secret = secret
            self.identity = identity
        }

        /// The room node, when members come from the room protocol.
        public var node: RoomNode? { client?.node }
    }

    public let simulator = Simulator()
    public let network: Network
    public let membership: Membership
    public let settings: RoomSettings
    public let roomID: String
    public let seed: UInt64
    public let codec: OpusSettings
    public let jitterBuffer: JitterBufferSettings
    public let tickPeriod: SimTime
    /// Settings of the pair sessions, for clients started from now on.
    public var transportSettings = SecureTransport.Settings()
    /// Clients started from now on adapt their loss protection to the reports (`ProtectionPolicy`).
    public var adaptiveProtection = false
    /// ZeroTier delivers a broadcast to at most this many peers (nil: the whole subnet).
    public var broadcastLimit: Int?
    /// Broadcasts to recently joined hosts are delayed or lost (nil: delivered like any other).
    public var newMemberBroadcasts: NewMemberBroadcasts?
    /// Every broadcast is also sent as a unicast copy to every other host, each after a uniform
    /// random delay in 0…this (nil: no copies).
    public var unicastCopies: SimTime?
    public private(set) var slots: [Slot] = []
    /// Every datagram any client sent, in order.
    public private(set) var captured: [Captured] = []
    /// When the last client was started: convergence is measured from here.
    public private(set) var lastStartAt = SimTime.zero
    private let microphones: Microphones?
    private var rng: SplitMix64

    public init(
        count: Int, seed: UInt64, conditions: PathConditions = .ideal, membership: Membership = .room,
        settings: RoomSettings = .init(), roomID: String = "lobby", sealing: Sealing = .plain,
        microphones: Microphones? = nil, codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
        broadcastLimit: Int? = nil
    ) {
        self.network = Network(simulator: simulator, seed: seed, defaultConditions: conditions)
        self.membership = membership
        self.settings = settings
        self.roomID = roomID
        self.seed = seed
        self.codec = codec
        self.jitterBuffer = jitterBuffer
        self.microphones = microphones
        self.broadcastLimit = broadcastLimit
        self.tickPeriod =
            microphones == nil
            ? .nanoseconds(Int64(settings.tickInterval * 1_000_000)) : .milliseconds(codec.frameMilliseconds)
        self.rng = SplitMix64(seed: seed ^ 0xD1B5_4A32_D192_ED03)
        var roomSecret: RoomSecret?
        var secrets: [Int: RoomSecret] = [:]
        var identities: [Identity]?
        if case .paired(let secret, let others, let reused) = sealing {
            roomSecret = secret
            secrets = others
            identities = reused
        }
        for i in 0..<count {
            let host = network.addHost(address: IPv4Address(10, 147, 17, UInt8(i + 1)))
            let phase: SimTime = microphones == nil ? .nanoseconds(Int64(rng.unit() * Double(tickPeriod.nanoseconds))) : .zero
            slots.append(
                Slot(
                    index: i, host: host, phase: phase, secret: secrets[i] ?? roomSecret,
                    identity: identities?[i] ?? .generate()))
        }
    }

    public static func clientID(_ i: Int) -> String { "client-\(i)" }
    public func address(_ i: Int) -> RoomAddress { .ipv4(slots[i].host.address.rawValue, port: Self.port) }
    public var now: SimTime { simulator.now }
    /// Samples in one voice frame.
    public var frameSamples: Int { codec.frameSamples }

    /// Client `i` (started at least once).
    public func client(_ i: Int) -> VoiceClient {
        guard let client = slots[i].client else { fatalError("client \(i) was never started") }
        return client
    }

    /// Client `i`'s security layer (sealed rooms).
    public func transport(_ i: Int) -> SecureTransport {
        guard let transport = client(i).transport else { fatalError("client \(i) does not seal") }
        return transport
    }

    // MARK: Life cycle

    /// Starts clients 0, 1, … `count − 1` in turn, `gap` apart (the first creates the room, the
    /// others find it); returns right after the last start.
    public func startInTurn(_ count: Int, gap: SimTime) {
        for i in 0..<count {
            if i > 0 { run(for: gap) }
            start(i)
        }
    }

    /// Starts client `i` now (again, after a crash: a new run with a new room node and session
    /// salt); in a room it joins at once.
    public func start(_ i: Int) {
        let slot = slots[i]
        lastStartAt = now
        if slot.networkJoinedAt == nil { slot.networkJoinedAt = now }
        slot.events = []
        slot.paused = false
        slot.backlog = []
        slot.generation += 1
        let generation = slot.generation
        let client = makeClient(slot)
        slot.client = client
        slot.running = true
        slot.host.bind(port: Self.port) { [unowned self, unowned slot] datagram, time in
            guard slot.running, slot.generation == generation else { return }
            let from = RoomAddress.ipv4(datagram.source.address.rawValue, port: datagram.source.port)
            if slot.paused {
                slot.backlog.append((datagram.payload, from))
                return
            }
            self.perform(client.receive(bytes: datagram.payload, from: from, now: Instant(time)), slot: slot)
        }
        if membership == .room {
            do {
                perform(try client.join(roomID: roomID, displayName: "Person \(i)", address: address(i), now: Instant(now)), slot: slot)
            } catch {
                fatalError("client \(i) cannot join \(roomID): \(error)")
            }
        }
        // The next tick on this client's grid.
        let period = tickPeriod.nanoseconds
        let k = (now.nanoseconds - slot.phase.nanoseconds) / period + 1
        scheduleTick(slot, generation: generation, at: SimTime(nanoseconds: slot.phase.nanoseconds + k * period))
    }

    private func makeClient(_ slot: Slot) -> VoiceClient {
        let i = slot.index
        let id = Self.clientID(i)
        let members: VoiceClient.Membership
        switch membership {
        case .room:
            members = .room(RoomNode(settings: settings, seed: seed &* 31 &+ UInt64(i) &* 1_000_003 &+ UInt64(slot.generation)))
        case .fixedMesh:
            members = .fixed(slots.indices.map { VoiceClient.Member(clientID: Self.clientID($0), address: address($0)) })
        }
        var sealing = VoiceClient.Sealing.plain
        if let secret = slot.secret {
            var saltSource = SplitMix64(seed: seed &* 131 &+ UInt64(i) &* 7919 &+ UInt64(slot.generation))
            let salt = (0..<16).map { _ in UInt8(truncatingIfNeeded: saltSource.next()) }
            sealing = .paired(
                SecureTransport(
                    roomKey: RoomKey(secret: secret, roomID: roomID), identity: slot.identity, clientID: id,
                    sessionSalt: salt, settings: transportSettings))
        }
        do {
            return try VoiceClient(
                clientID: id, codec: codec, jitterBuffer: jitterBuffer,
                protection: adaptiveProtection ? ProtectionPolicy() : nil,
                membership: members, sealing: sealing)
        } catch {
            fatalError("cannot make client \(i): \(error)")
        }
    }

    private func scheduleTick(_ slot: Slot, generation: Int, at time: SimTime) {
        simulator.schedule(at: time) { [unowned self, unowned slot] in
            guard slot.running, slot.generation == generation else { return }
            if !slot.paused {
                self.tick(slot, at: time)
                self.talkAndListen(slot, at: time)
            }
            self.scheduleTick(slot, generation: generation, at: time + self.tickPeriod)
        }
    }

    private func tick(_ slot: Slot, at time: SimTime) {
        guard let client = slot.client else { return }
        perform(client.tick(now: Instant(time)), slot: slot)
    }

    /// A talking client captures the frame that just ended and plays one out.
    private func talkAndListen(_ slot: Slot, at time: SimTime) {
        guard let microphones, let client = slot.client else { return }
        let now = Instant(time)
        do {
            perform(try client.capture(frame(microphones, slot.index, slot.framesCaptured), now: now), slot: slot)
        } catch {
            fatalError("client \(slot.index) cannot encode: \(error)")
        }
        slot.framesCaptured += 1
        // The sound card pulls every `pullSamples`: the first pull on the tick, the others after it.
        let pull = client.participant.pullSamples
        listen(slot, client: client, at: time)
        for k in 1..<max(1, client.participant.frameSamples / pull) {
            let later = time + .nanoseconds(Int64(k * pull) * 1_000_000_000 / Int64(AudioFormat.sampleRate))
            let generation = slot.generation
            simulator.schedule(at: later) { [unowned self, unowned slot] in
                guard slot.running, slot.generation == generation, !slot.paused, let client = slot.client else { return }
                self.listen(slot, client: client, at: later)
            }
        }
    }

    private func listen(_ slot: Slot, client: VoiceClient, at time: SimTime) {
        record(client.playout(now: Instant(time)), into: &slot.mix, at: time)
        for receiver in client.participant.receivers {
            guard let talker = client.voicePeers.clientID(of: receiver.peer) else { continue }
            record(receiver.frame, into: &slot.tracks[talker, default: []], at: time)
            if receiver.recordsEvents { slot.playoutEvents[talker, default: []] += receiver.takeEvents() }
        }
    }

    private func record(_ frame: [Float], into recording: inout [Float], at time: SimTime) {
        let start = Int(time.nanoseconds * Int64(AudioFormat.sampleRate) / 1_000_000_000)
        if recording.count < start { recording += [Float](repeating: 0, count: start - recording.count) }
        recording += frame
    }

    /// Frame `k` of client `i`'s microphone.
    private func frame(_ microphones: Microphones, _ i: Int, _ k: Int) -> [Float] {
        let n = frameSamples
        switch microphones {
        case .tones:
            let step = 2 * Double.pi * (200.0 + 100.0 * Double(i)) / Double(AudioFormat.sampleRate)
            return (0..<n).map { Float(0.25 * sin(step * Double(k * n + $0))) }
        case .sources(let sources):
            let source = sources[i]
            let start = (k * n) % max(n, source.count - source.count % n)
            return Array(source[start..<min(start + n, source.count)]) + [Float](repeating: 0, count: max(0, start + n - source.count))
        }
    }

    /// The process stops (SIGSTOP, a laptop lid): no ticks, nothing sent, and what arrives for it
    /// waits in its socket.
    public func pause(_ i: Int) { slots[i].paused = true }

    /// The process continues now: its socket's backlog is handed over — after its first tick if
    /// `tickFirst` (a driver that ticks on a timer before it reads the socket), before it otherwise
    /// (the live driver hands datagrams before ticks) — and ticks resume on the client's grid.
    public func resume(_ i: Int, tickFirst: Bool) {
        let slot = slots[i]
        guard slot.paused, let client = slot.client else { return }
        slot.paused = false
        let backlog = slot.backlog
        slot.backlog = []
        if tickFirst { tick(slot, at: now) }
        for d in backlog where slot.running && !slot.paused {
            perform(client.receive(bytes: d.bytes, from: d.from, now: Instant(now)), slot: slot)
        }
        if !tickFirst { tick(slot, at: now) }
    }

    /// Crash: the client stops ticking and its port is unbound; nothing is said to anyone.
    public func crash(_ i: Int) {
        slots[i].running = false
        slots[i].host.unbind(port: Self.port)
    }

    /// Graceful leave: the client says goodbye, then stops.
    public func leave(_ i: Int) {
        guard let client = slots[i].client else { return }
        perform(client.leave(now: Instant(now)), slot: slots[i])
        crash(i)
    }

    public func sendText(_ i: Int, _ text: String) throws {
        perform(try client(i).sendText(text, now: Instant(now)), slot: slots[i])
    }

    /// Hands `bytes` to client `i` as if they came from `from` (an on-path attacker can spoof).
    public func inject(_ bytes: [UInt8], into i: Int, from: RoomAddress) {
        perform(client(i).receive(bytes: bytes, from: from, now: Instant(now)), slot: slots[i])
    }

    /// Puts `effects` on the network as client `slot`'s, and records its events.
    public func perform(_ effects: [RoomEffect], slot: Slot) {
        let me = address(slot.index)
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                captured.append(Captured(bytes: bytes, from: me, to: to))
                guard case .ipv4(let raw) = to.host else { continue }
                slot.host.send(from: Self.port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
            case let .broadcast(bytes):
                captured.append(Captured(bytes: bytes, from: me, to: nil))
                broadcast(bytes, from: slot)
            case let .event(e):
                slot.events.append((now, e))
            }
        }
    }

    private func broadcast(_ bytes: [UInt8], from slot: Slot) {
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
                let k = j + Int(rng.next() % UInt64(pool.count - j))
                pool.swapAt(j, k)
                slot.host.send(from: Self.port, to: Endpoint(pool[j].address, Self.port), payload: bytes)
            }
        } else {
            slot.host.send(from: Self.port, to: Endpoint(slot.host.broadcastAddress, Self.port), payload: bytes)
        }
    }

    public func run(for duration: SimTime) { simulator.run(for: duration) }

    // MARK: Observation

    public var liveSlots: [Slot] { slots.filter { $0.running } }

    /// Client ids of running clients, in the room's order (bytes of UTF-8).
    public var liveIDs: [String] {
        liveSlots.map { Self.clientID($0.index) }.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
    }

    /// True when every running client is a member whose view is exactly the running clients.
    public var converged: Bool {
        let expected = liveIDs
        return liveSlots.allSatisfy { $0.node?.phase == .member && $0.node?.view == expected }
    }

    /// Runs until `converged` holds (checked every 10 ms) or until `deadline` after `since`
    /// (default: the last start); returns the time from `since` to convergence, or nil.
    @discardableResult
    public func runUntilConverged(within deadline: SimTime, since: SimTime? = nil) -> SimTime? {
        let origin = since ?? lastStartAt
        while now <= origin + deadline {
            if converged { return now - origin }
            simulator.run(for: .milliseconds(10))
        }
        return nil
    }

    public func events(_ i: Int) -> [RoomEvent] { slots[i].events.map(\.event) }

    /// Texts client `i` received, in order.
    public func received(_ i: Int) -> [TextMessage] {
        events(i).compactMap { if case .messageReceived(let m) = $0 { return m } else { return nil } }
    }

    public func texts(_ i: Int) -> [String] { received(i).map(\.text) }

    public func view(_ i: Int) -> [String] { client(i).node?.view ?? [] }

    /// Client `listener`'s receiver for `talker`, if `talker` is its voice peer.
    public func receiver(_ listener: Int, from talker: Int) -> VoiceReceiver? {
        client(listener).receiver(for: Self.clientID(talker))
    }

    /// Samples of client `listener`'s receiver for `talker` that played decoded audio (not
    /// concealment or silence), per the jitter buffer's statistics.
    public func decodedSamples(_ listener: Int, from talker: Int) -> Int {
        guard let r = receiver(listener, from: talker) else { return 0 }
        let s = r.statistics
        return s.totalSamplesReceived - s.concealedSamples - s.silentSamples
    }

    /// What client `listener` played of `talker`'s voice (see `Slot.tracks`).
    public func track(_ listener: Int, from talker: Int) -> [Float] { slots[listener].tracks[Self.clientID(talker)] ?? [] }

    public func playoutEvents(_ listener: Int, from talker: Int) -> [PlayoutEvent] {
        slots[listener].playoutEvents[Self.clientID(talker)] ?? []
    }
}
