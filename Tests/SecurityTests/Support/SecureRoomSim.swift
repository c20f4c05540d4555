@testable import Concord
import Foundation
import SimNet

extension Instant {
    init(_ t: SimTime) { self.init(nanoseconds: t.nanoseconds) }
}

/// SimNet driver for sealed rooms: N hosts 10.147.17.1…N, each running a `SecureVoiceRoom`
/// that talks (a tone of its own pitch) and listens, ticking every 20 ms (one voice frame).
/// A node may be given another room secret (an outsider on the same network). Every datagram a
/// node sends is recorded, so tests can replay captures.
final class SecureRoomSim {
    static let port: UInt16 = 7400
    static let frameSamples = 960

    final class Slot {
        let index: Int
        let host: SimNet.Host
        let secret: RoomSecret
        var identity: Identity
        var room: VoiceClient?
        var running = false
        var generation = 0
        var events: [RoomEvent] = []
        /// Everything this node's room produced for the mix, concatenated.
        var mix: [Float] = []
        var framesCaptured = 0
        init(index: Int, host: SimNet.Host, secret: RoomSecret) {
            self.index = index
            self.host = host
            self.secret = secret
            self.identity = .generate()
        }
    }

    struct Captured {
        var bytes: [UInt8]
        var from: RoomAddress
        var to: RoomAddress?
    }

    let simulator = Simulator()
    let network: Network
    let roomID: String
    let seed: UInt64
    var transportSettings = SecureTransport.Settings()
    private(set) var slots: [Slot] = []
    /// Every datagram sent by any node (broadcasts with `to` nil).
    private(set) var captured: [Captured] = []

    /// - Parameters:
    ///   - secret: the room's secret; `outsiders` get a random other one, `secrets` a given one.
    ///   - identities: long-term identities to reuse (another "day" of the same clients).
    init(
        count: Int, seed: UInt64, conditions: PathConditions = .ideal, roomID: String = "lobby",
        secret: RoomSecret = .generate(), outsiders: Set<Int> = [], secrets: [Int: RoomSecret] = [:],
        identities: [Identity]? = nil
    ) {
        network = Network(simulator: simulator, seed: seed, defaultConditions: conditions)
        self.roomID = roomID
        self.seed = seed
        for i in 0..<count {
            let host = network.addHost(address: IPv4Address(10, 147, 17, UInt8(i + 1)))
            let slot = Slot(index: i, host: host, secret: secrets[i] ?? (outsiders.contains(i) ? .generate() : secret))
            if let identities { slot.identity = identities[i] }
            slots.append(slot)
        }
    }

    static func clientID(_ i: Int) -> String { "client-\(i)" }
    func address(_ i: Int) -> RoomAddress { .ipv4(slots[i].host.address.rawValue, port: Self.port) }
    var now: Instant { Instant(simulator.now) }
    func room(_ i: Int) -> VoiceClient { slots[i].room! }
    func transport(_ i: Int) -> SecureTransport { slots[i].room!.transport! }

    /// Starts node `i` now (again, after a crash: a new run with a new session salt).
    func start(_ i: Int) {
        let slot = slots[i]
        slot.generation += 1
        let generation = slot.generation
        let id = Self.clientID(i)
        var saltSource = SplitMix64(seed: seed &* 131 &+ UInt64(i) &* 7919 &+ UInt64(generation))
        let salt = (0..<16).map { _ in UInt8(truncatingIfNeeded: saltSource.next()) }
        let transport = SecureTransport(
            roomKey: RoomKey(secret: slot.secret, roomID: roomID), identity: slot.identity, clientID: id,
            sessionSalt: salt, settings: transportSettings)
        let node = RoomNode(seed: seed &* 31 &+ UInt64(i) &* 1_000_003 &+ UInt64(generation))
        let room = try! VoiceClient(clientID: id, membership: .room(node), sealing: .paired(transport))
        slot.room = room
        slot.running = true
        slot.host.bind(port: Self.port) { [unowned self, unowned slot] datagram, time in
            guard slot.running, slot.generation == generation else { return }
            let from = RoomAddress.ipv4(datagram.source.address.rawValue, port: datagram.source.port)
            self.perform(room.receive(bytes: datagram.payload, from: from, now: Instant(time)), slot: slot)
        }
        perform(try! room.join(roomID: roomID, displayName: "Person \(i)", address: address(i), now: now), slot: slot)
        scheduleTick(slot, generation: generation, at: simulator.now + .milliseconds(20))
    }

    private func scheduleTick(_ slot: Slot, generation: Int, at time: SimTime) {
        simulator.schedule(at: time) { [unowned self, unowned slot] in
            guard slot.running, slot.generation == generation, let room = slot.room else { return }
            let now = Instant(time)
            self.perform(room.tick(now: now), slot: slot)
            self.perform(try! room.capture(self.tone(slot.index, frame: slot.framesCaptured), now: now), slot: slot)
            slot.framesCaptured += 1
            slot.mix += room.playout(now: now)
            self.scheduleTick(slot, generation: generation, at: time + .milliseconds(20))
        }
    }

    /// A tone of 200 + 100·i Hz at −12 dBFS.
    func tone(_ i: Int, frame k: Int) -> [Float] {
        let step = 2 * Double.pi * (200.0 + 100.0 * Double(i)) / 48_000
        let start = k * Self.frameSamples
        return (0..<Self.frameSamples).map { n -> Float in
            let x: Double = step * Double(start + n)
            return Float(0.25 * sin(x))
        }
    }

    func crash(_ i: Int) {
        slots[i].running = false
        slots[i].host.unbind(port: Self.port)
    }

    func sendText(_ i: Int, _ text: String) throws {
        perform(try room(i).sendText(text, now: now), slot: slots[i])
    }

    /// Hands `bytes` to node `i` as if they came from `from` (an on-path attacker can spoof).
    func inject(_ bytes: [UInt8], into i: Int, from: RoomAddress) {
        perform(room(i).receive(bytes: bytes, from: from, now: now), slot: slots[i])
    }

    func perform(_ effects: [RoomEffect], slot: Slot) {
        let me = address(slot.index)
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                captured.append(Captured(bytes: bytes, from: me, to: to))
                guard case .ipv4(let raw) = to.host else { continue }
                slot.host.send(from: Self.port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
            case let .broadcast(bytes):
                captured.append(Captured(bytes: bytes, from: me, to: nil))
                slot.host.send(from: Self.port, to: Endpoint(slot.host.broadcastAddress, Self.port), payload: bytes)
            case let .event(e):
                slot.events.append(e)
            }
        }
    }

    func run(for duration: SimTime) { simulator.run(for: duration) }

    func view(_ i: Int) -> [String] { room(i).node!.view }

    /// Texts node `i` received, in order.
    func texts(_ i: Int) -> [String] {
        slots[i].events.compactMap { if case .messageReceived(let m) = $0 { return m.text } else { return nil } }
    }

    /// Frames of node `listener`'s receiver for `talker` that played decoded audio (not
    /// concealment or silence), per the jitter buffer's statistics.
    func decodedSamples(_ listener: Int, from talker: Int) -> Int {
        guard let r = room(listener).participant.receiver(for: VoicePeers.voiceID(for: Self.clientID(talker))) else { return 0 }
        let s = r.statistics
        return s.totalSamplesReceived - s.concealedSamples - s.silentSamples
    }
}
