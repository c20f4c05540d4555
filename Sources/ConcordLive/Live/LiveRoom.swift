import CaptureProcessing
import Concord
import Foundation
import Logging
import NIOCore
import Synchronization

/// The live driver: one sealed voice room on a real UDP socket and real (or file) audio devices,
/// in real time. The same engine the simulation runs (a sealed `VoiceClient`), driven by the
/// clocks of this machine.
///
/// **Threads.** One *engine thread* owns every engine object. It blocks in the input device's
/// `read` (so it ticks on the device clock, one frame per tick), then, in order: hands the
/// engine the datagrams that arrived since the last tick (each stamped with its arrival time on
/// the socket's event loop), runs the user's commands, ticks the room, encodes the captured
/// frame, plays out one frame to the output device, and every 250 ms publishes a
/// `LiveSnapshot`. The socket's event loop only stamps and queues datagrams; the device
/// callbacks only copy between rings. Shared state is two `Mutex`es: the inbox (datagrams and
/// commands in) and the published state (snapshot and summary out).
public final class LiveRoom: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var roomID: String
        public var clientID: String
        public var displayName: String
        public var secret: RoomSecret
        public var identity: Identity
        public var knownKeys: KnownKeys
        public var codec: OpusSettings
        public var jitterBuffer: JitterBufferSettings
        public var network: UDPTransport.Configuration
        /// The host peers reach this client at; nil: the bound host (which must then not be a
        /// wildcard address).
        public var advertisedHost: String?
        public var roomSettings: RoomSettings
        public var securitySettings: SecureTransport.Settings
        /// Unicast copies of each discovery broadcast to the network's subnet (`--network`: the
        /// ZeroTier subnet), for networks that deliver broadcasts late; nil: broadcasts only.
        public var sweep: SubnetSweep.Configuration?
        /// Choose FEC and copies from the listeners' receiver reports (`ProtectionPolicy`)
        /// instead of the codec's fixed FEC setting.
        public var adaptiveProtection = false
        /// Where to log every voice stream frame by frame (`concord join --stream-log`; see
        /// `StreamLog`); nil: no log.
        public var streamLogDirectory: String?
        /// Echo cancellation, noise suppression and gain control on the microphone
        /// (`WebRTCAudioProcessor`); nil: the microphone goes to the encoder as it is.
        public var captureProcessing: WebRTCAudioProcessor.Settings?
        /// The sound devices' latencies (input + output, ms), the echo canceller's first guess of
        /// the delay from the loudspeaker to the microphone; 0: unknown.
        public var deviceDelayMilliseconds = 0

        public init(
            roomID: String, clientID: String, displayName: String = "", secret: RoomSecret, identity: Identity,
            knownKeys: KnownKeys = .init(), codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
            network: UDPTransport.Configuration, advertisedHost: String? = nil, roomSettings: RoomSettings = .init(),
            securitySettings: SecureTransport.Settings = .init(), sweep: SubnetSweep.Configuration? = nil
        ) {
            self.roomID = roomID
            self.clientID = clientID
            self.displayName = displayName
            self.secret = secret
            self.identity = identity
            self.knownKeys = knownKeys
            self.codec = codec
            self.jitterBuffer = jitterBuffer
            self.network = network
            self.advertisedHost = advertisedHost
            self.roomSettings = roomSettings
            self.securitySettings = securitySettings
            self.sweep = sweep
        }
    }

    public enum LiveRoomError: Error, CustomStringConvertible, Equatable {
        case noAdvertisedAddress(bound: String)
        case frameSizeMismatch(device: Int, pull: Int)
        case invalid(String)

        public var description: String {
            switch self {
            case .noAdvertisedAddress(let bound):
                return "bound to \(bound), a wildcard address: peers need a real one (use --bind ADDR or --network NWID)"
            case let .frameSizeMismatch(device, pull):
                return "the input device delivers \(device)-sample buffers but the engine pulls \(pull) (5 ms, or the codec frame when shorter)"
            case .invalid(let reason): return reason
            }
        }
    }

    private struct Inbox {
        var datagrams: [(bytes: [UInt8], from: RoomAddress, arrival: Instant)] = []
        var commands: [LiveCommand] = []
        /// Commands to run once this client is a member with at least one peer.
        var commandsWhenJoined: [LiveCommand] = []
        var leaveRequested = false
        /// Datagrams dropped because the engine fell this far behind (a flood): the inbox is
        /// bounded so that a flood costs counted drops, not memory.
        var overflowDrops = 0
        static let capacity = 8192
    }

    /// What the socket's event loop and the user hand the engine thread.
    private final class SharedInbox: Sendable {
        let state = Mutex(Inbox())
        func withLock<T>(_ body: (inout Inbox) -> T) -> T { state.withLock { body(&$0) } }
    }

    private struct Published {
        var snapshot: LiveSnapshot
        var summary: LiveSummary
    }

    public let configuration: Configuration
    public let address: RoomAddress
    private let transport: any DatagramTransport
    private let input: any MeteredAudioSource
    private let output: any AudioSink
    private let logger: Logger
    private let inbox: SharedInbox
    private let published: Mutex<Published>
    private let finished = Mutex<[CheckedContinuation<Void, Never>]?>([])
    private let outputFailureText = Mutex<String?>(nil)

    // Engine state: touched only by the engine thread.
    private let client: VoiceClient
    private let security: SecureTransport
    /// When the engine was built: the origin of the times the view shows beside messages.
    public let startedAt: Instant
    private var viewModel: LiveViewModel
    private var nextSnapshotAt = Instant.zero
    private var lastNow = Instant.zero
    private var inboxOverflowDrops = 0
    private var datagrams: [(bytes: [UInt8], from: RoomAddress, arrival: Instant)] = []
    private var sweep: SubnetSweep?
    /// Exact copies of sealed broadcasts (the sweep's unicast copy and the broadcast itself).
    private var broadcastCopies = DuplicateFilter()
    private let streamLog: StreamLog?
    /// Samples played since the first tick (the stream log's track position).
    private var samplesPlayed = 0
    private var timing = EngineTiming()
    /// Ticks after a longer gap than this are a resume from a pause (SIGSTOP, a suspended
    /// laptop): the socket's backlog is read before the room judges anyone's liveness.
    static let pauseThreshold = 0.5

    /// Binds the UDP socket, builds the engine and starts the engine thread; the client joins at once.
    public static func start(
        _ configuration: Configuration, input: any MeteredAudioSource, output: any AudioSink,
        group: any EventLoopGroup, logger: Logger
    ) async throws -> LiveRoom {
        try await start(configuration, input: input, output: output, logger: logger) { handler in
            let transport = try await UDPTransport.bind(configuration.network, group: group, logger: logger, onDatagram: handler)
            // The event loop stamps arrivals, and a stamp taken late is a delay spike to the
            // jitter buffer: it joins the engine thread in the real-time class where allowed.
            transport.eventLoop.execute { _ = EngineTiming.promoteCurrentThread() }
            return transport
        }
    }

    /// The same over any datagram transport: `bind` is given the handler that queues arrivals
    /// for the engine thread and returns the bound transport.
    public static func start(
        _ configuration: Configuration, input: any MeteredAudioSource, output: any AudioSink, logger: Logger,
        bind: (@escaping DatagramHandler) async throws -> any DatagramTransport
    ) async throws -> LiveRoom {
        let pull = Participant.pullSamples(frameSamples: configuration.codec.frameSamples)
        guard input.frameSamples == pull else {
            throw LiveRoomError.frameSizeMismatch(device: input.frameSamples, pull: pull)
        }
        let inbox = SharedInbox()
        let transport = try await bind { bytes, from, arrival in
            inbox.withLock {
                if $0.datagrams.count < Inbox.capacity {
                    $0.datagrams.append((bytes, from, arrival))
                } else {
                    $0.overflowDrops += 1
                }
            }
        }
        var address = transport.localAddress
        if let host = configuration.advertisedHost {
            guard let advertised = RoomAddress(Self.hostPort(host, transport.localAddress.port)) else {
                await transport.close()
                throw LiveRoomError.invalid("\(host) is not an IPv4 or IPv6 address")
            }
            address = advertised
        } else if Self.isWildcard(address) {
            await transport.close()
            throw LiveRoomError.noAdvertisedAddress(bound: "\(transport.localAddress)")
        }
        do {
            let live = try LiveRoom(
                configuration: configuration, address: address, transport: transport, input: input, output: output,
                inbox: inbox, logger: logger)
            live.launch()
            return live
        } catch {
            await transport.close()
            throw error
        }
    }

    private init(
        configuration: Configuration, address: RoomAddress, transport: any DatagramTransport, input: any MeteredAudioSource,
        output: any AudioSink, inbox: SharedInbox, logger: Logger
    ) throws {
        self.configuration = configuration
        self.address = address
        self.transport = transport
        self.input = input
        self.output = output
        self.inbox = inbox
        self.logger = logger
        sweep = configuration.sweep.map(SubnetSweep.init)
        do {
            streamLog = try configuration.streamLogDirectory.map {
                try StreamLog(directory: $0, frameSamples: configuration.codec.frameSamples)
            }
        } catch {
            throw LiveRoomError.invalid("\(error)")
        }
        security = SecureTransport(
            roomKey: RoomKey(secret: configuration.secret, roomID: configuration.roomID), identity: configuration.identity,
            clientID: configuration.clientID, sessionSalt: SecureTransport.randomSalt(), knownKeys: configuration.knownKeys,
            settings: configuration.securitySettings, logger: logger)
        var seed = SystemRandomNumberGenerator()
        client = try VoiceClient(
            clientID: configuration.clientID, codec: configuration.codec, jitterBuffer: configuration.jitterBuffer,
            protection: configuration.adaptiveProtection
                ? ProtectionPolicy(copyBitrate: ProtectionPolicy.copyBitrate(forPrimary: configuration.codec.bitrate)) : nil,
            membership: .room(RoomNode(settings: configuration.roomSettings, seed: seed.next(), logger: logger)),
            sealing: .paired(security), logger: logger)
        if let settings = configuration.captureProcessing {
            do {
                let processor = try WebRTCAudioProcessor(settings)
                processor.deviceDelayMilliseconds = configuration.deviceDelayMilliseconds
                try client.participant.setCaptureProcessor(processor)
            } catch {
                throw LiveRoomError.invalid("audio processing: \(error)")
            }
        }
        startedAt = MonotonicClock.now()
        let fingerprint = configuration.identity.publicIdentity.fingerprint
        viewModel = LiveViewModel(
            roomID: configuration.roomID, clientID: configuration.clientID, fingerprint: fingerprint, address: "\(address)",
            builder: LiveSnapshotBuilder(
                startedAt: startedAt, frameMilliseconds: Double(configuration.codec.frameMilliseconds),
                codecLookaheadMilliseconds: Double(client.participant.sender.encoder.lookaheadSamples) * 1000
                    / Double(AudioFormat.sampleRate)))
        published = Mutex(
            Published(
                snapshot: viewModel.initialSnapshot,
                summary: LiveSummary(
                    roomID: configuration.roomID, clientID: configuration.clientID, address: "\(address)",
                    fingerprint: fingerprint)))
        if let streamLog {
            let client = client
            client.onVoiceArrival = { [unowned client] arrival in
                streamLog.noteArrival(arrival, peer: client.voicePeers.logName(of: arrival.senderID))
            }
            // Each stream's name as it began: by the time a stream is retired its member has left
            // the voice peers, and its last counters would go under a number.
            var names: [PeerID: String] = [:]
            let record = { [unowned client] (receiver: VoiceReceiver) in
                receiver.recordsEvents = true
                names[receiver.peer] = client.voicePeers.logName(of: receiver.peer)
            }
            client.participant.receivers.forEach(record)
            client.participant.onReceiverAdded = record
            client.participant.onReceiverRemoved = { [unowned client] receiver in
                let peer = names.removeValue(forKey: receiver.peer) ?? client.voicePeers.logName(of: receiver.peer)
                streamLog.notePlayout(receiver.takeEvents(), peer: peer)
                streamLog.noteStatistics(receiver.statistics, peer: peer, retired: true)
            }
        }
        client.onProtectionChange = { [weak self] change in
            self?.published.withLock {
                $0.summary.protectionChanges.append(
                    .init(atNanoseconds: change.at.nanoseconds, from: "\(change.from)", to: "\(change.to)"))
            }
        }
    }

    // MARK: Control (any thread)

    /// The latest published state (refreshed every 250 ms).
    public var snapshot: LiveSnapshot { published.withLock { $0.snapshot } }

    /// What happened, for scripts and tests (`concord join --summary-json`).
    public var summary: LiveSummary { published.withLock { $0.summary } }

    /// Why the output could not be written completely (a full disk, an unwritable path), once
    /// the client has finished; nil when every frame was written.
    public var outputFailure: String? { outputFailureText.withLock { $0 } }

    /// The pinned identities, including any learned in this session.
    public var knownKeys: KnownKeys { published.withLock { $0.summary.knownKeys } }

    public func submit(_ command: LiveCommand) {
        inbox.withLock {
            if command == .leave { $0.leaveRequested = true } else { $0.commands.append(command) }
        }
    }

    /// Runs `commands` once this client is a member with at least one peer (`concord join --say`).
    public func submitWhenJoined(_ commands: [LiveCommand]) {
        inbox.withLock { $0.commandsWhenJoined += commands }
    }

    /// Leaves the room at the next tick (Ctrl-C, SIGTERM, `/leave`, `--duration`).
    public func requestLeave() { inbox.withLock { $0.leaveRequested = true } }

    /// Returns when the client has left, its output is finalized and its socket closed.
    public func waitUntilFinished() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = finished.withLock { waiting -> Bool in
                guard waiting != nil else { return true }
                waiting!.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
        await transport.close()
    }

    // MARK: Engine thread

    private func launch() {
        let thread = Thread { [self] in
            engineLoop()
            let waiting = finished.withLock { w -> [CheckedContinuation<Void, Never>] in
                let list = w ?? []
                w = nil
                return list
            }
            for c in waiting { c.resume() }
        }
        thread.name = "concord-engine"
        thread.qualityOfService = .userInteractive
        thread.start()
    }

    private func engineLoop() {
        var now = MonotonicClock.now()
        lastNow = now
        do {
            send(try client.join(roomID: configuration.roomID, displayName: configuration.displayName, address: address, now: now))
        } catch {
            logger.error("could not join", metadata: ["error": "\(error)"])
            finish(now: now, leave: false)
            return
        }
        // The devices run in pulls of 5 ms (or the codec frame when shorter): playout every
        // pull, capture whenever the pulls have filled a codec frame.
        let frameSamples = configuration.codec.frameSamples
        var frame = [Float](repeating: 0, count: Participant.pullSamples(frameSamples: frameSamples))
        var captured: [Float] = []
        captured.reserveCapacity(frameSamples)
        // Audio runs in the real-time class where the system allows it, as audio threads should.
        timing.realtimePriority = EngineTiming.promoteCurrentThread()
        logger.info("engine thread", metadata: ["real-time priority": "\(timing.realtimePriority)"])
        let pullNanoseconds = Int64(frame.count) * 1_000_000_000 / Int64(AudioFormat.sampleRate)
        var previousTick: Instant?
        while true {
            guard input.read(into: &frame) else {
                logger.notice("input ended; leaving")
                break
            }
            now = max(MonotonicClock.now(), lastNow)
            if let previousTick,
                let late = timing.noteTick(intervalNanoseconds: now.nanoseconds - previousTick.nanoseconds, pullNanoseconds: pullNanoseconds)
            {
                streamLog?.noteStall(milliseconds: late, at: now)
            }
            previousTick = now
            if now.seconds - lastNow.seconds > Self.pauseThreshold {
                awaitBacklog()
                now = max(MonotonicClock.now(), lastNow)
            }
            if nextSnapshotAt == .zero {
                published.withLock { $0.summary.firstTickAtNanoseconds = now.nanoseconds }
                streamLog?.noteFirstTick(at: now)
            }
            // Double-buffered: the engine's empty array goes in, the filled one comes out, so a
            // tick allocates nothing once both have grown to the traffic's size.
            datagrams.removeAll(keepingCapacity: true)
            let joined = client.node?.phase == .member && !client.peers().isEmpty
            let (commands, leave, overflow) = inbox.withLock { box in
                swap(&datagrams, &box.datagrams)
                var commands = box.commands
                box.commands.removeAll()
                if joined, !box.commandsWhenJoined.isEmpty {
                    commands += box.commandsWhenJoined
                    box.commandsWhenJoined.removeAll()
                }
                return (commands, box.leaveRequested, box.overflowDrops)
            }
            inboxOverflowDrops = overflow
            for d in datagrams {
                let at = max(min(d.arrival, now), lastNow)
                lastNow = at
                receive(d.bytes, from: d.from, at: at)
            }
            lastNow = now
            if leave { break }
            for c in commands { run(c, now: now) }
            send(client.tick(now: now))
            sendSweep(now: now)
            captured.append(contentsOf: frame)
            if captured.count >= frameSamples {
                do {
                    let frame = try client.encode(captured, now: now)
                    streamLog?.noteSent(frame, at: now) { [client] in client.voicePeers.clientID(of: $0) }
                    send(client.send(frame, now: now))
                } catch {
                    logger.error("encoding failed", metadata: ["error": "\(error)"])
                }
                captured.removeAll(keepingCapacity: true)
            }
            output.write(client.playout(now: now))
            if let streamLog {
                for r in client.participant.receivers where r.recordsEvents {
                    let peer = client.voicePeers.logName(of: r.peer)
                    streamLog.notePlayout(r.takeEvents(), peer: peer)
                    streamLog.notePlayedAudio(r.frame, peer: peer, at: samplesPlayed)
                }
            }
            samplesPlayed += frame.count
            if now >= nextSnapshotAt {
                if let streamLog {
                    for r in client.participant.receivers {
                        streamLog.noteStatistics(r.statistics, peer: client.voicePeers.logName(of: r.peer))
                    }
                    if let node = client.node {
                        streamLog.noteControlBytes(node.statistics.controlBytesSent + node.statistics.textBytesSent, at: now)
                    }
                    streamLog.flush()
                }
                publish(now: now, inputLevel: input.level.peakDBFS)
                nextSnapshotAt = now.advanced(byMilliseconds: 250)
            }
        }
        finish(now: MonotonicClock.now(), leave: true)
    }

    private func receive(_ bytes: [UInt8], from: RoomAddress, at now: Instant) {
        // The sweep's unicast copy of a sealed broadcast arrives beside the broadcast itself;
        // voice duplicates are the jitter buffer's to count.
        if bytes.count > 4, PacketType(of: bytes) == .security, broadcastCopies.isDuplicate(bytes) { return }
        send(client.receive(bytes: bytes, from: from, now: now))
    }

    private func send(_ effects: [RoomEffect]) {
        for effect in effects {
            if case .broadcast(let bytes) = effect { sweep?.noteBroadcast(bytes) }
        }
        for event in transport.perform(effects) { note(event) }
    }

    /// Sweep copies go to addresses nobody may hold, and Linux charges each to the socket
    /// until resolving the address fails (~3 s). Measured between network namespaces: a sweep
    /// at full rate filled the 208 KiB send buffer within a second, and the room's own
    /// handshakes and heartbeats then failed with EAGAIN, so members were declared dead. The
    /// sweep therefore pauses while the send queue is a quarter full.
    private func sendSweep(now: Instant) {
        let discovering = client.node?.phase != .member
        guard transport.sendQueueBytes < transport.sendBufferBytes / 4,
            let due = sweep?.due(now: now, discovering: discovering)
        else { return }
        for address in due.addresses where address != self.address { transport.send(due.payload, to: address) }
    }

    /// After a pause, the engine thread and the socket's event loop wake together, and the
    /// engine would otherwise tick on an empty inbox and find every peer silent for the whole
    /// pause. Waits (at most 300 ms) until the event loop has read the socket's backlog into the
    /// inbox: until no datagram arrived for 30 ms.
    private func awaitBacklog() {
        var count = inbox.withLock { $0.datagrams.count }
        var quiet = 0
        for _ in 0..<30 {
            Thread.sleep(forTimeInterval: 0.01)
            let now = inbox.withLock { $0.datagrams.count }
            quiet = now == count ? quiet + 1 : 0
            count = now
            if quiet >= 3 { break }
        }
        logger.notice("resumed after a pause; read the backlog first", metadata: ["datagrams": "\(count)"])
    }

    private func run(_ command: LiveCommand, now: Instant) {
        switch command {
        case .mute:
            client.participant.muted = true
            notice("microphone muted")
        case .unmute:
            client.participant.muted = false
            notice("microphone on")
        case let .volume(member, gain):
            let peers = client.peers()
            guard let peer = peers.first(where: { $0.clientID == member || $0.displayName == member }) else {
                let members = peers.map(\.clientID)
                notice(
                    "/volume: no member \"\(member)\" "
                        + (members.isEmpty ? "(nobody else is here)" : "(members: \(members.joined(separator: ", ")))"),
                    kind: .error)
                return
            }
            viewModel.setVolume(gain, of: peer.clientID)
            client.participant.setGain(gain, for: VoicePeers.voiceID(for: peer.clientID))
            notice("volume of \(peer.clientID): \(Int((gain * 100).rounded())) %")
        case .say(let text):
            do {
                send(try client.sendText(text, now: now))
                viewModel.record(.text, from: configuration.clientID, text, at: now)
            } catch {
                notice("message not sent: \(error)", kind: .error)
            }
        case .help, .showInvite, .dismiss:
            break  // the terminal view's own commands: it never submits them
        case .leave:
            break  // handled through the inbox flag
        }
    }

    private func note(_ event: RoomEvent) {
        let now = MonotonicClock.now()
        if let text = viewModel.notice(for: event, at: now) { notice(text) }
        switch event {
        case .messageReceived(let m):
            published.withLock { $0.summary.messages.append(.init(from: m.origin, text: m.text)) }
        case let .viewChanged(view, _):
            published.withLock { $0.summary.viewChanges.append(.init(atNanoseconds: now.nanoseconds, view: view)) }
            streamLog?.noteView(view, at: now)
        default:
            break
        }
        for warning in viewModel.keyChangeWarnings(security) { notice(warning, kind: .error) }
    }

    private func notice(_ text: String, kind: LiveSnapshot.Message.Kind = .notice) {
        viewModel.record(kind, text, at: MonotonicClock.now())
        logger.info("\(text)")
    }

    private func finish(now: Instant, leave: Bool) {
        if leave { send(client.leave(now: now)) }
        if let streamLog {
            for r in client.participant.receivers {
                streamLog.noteStatistics(r.statistics, peer: client.voicePeers.logName(of: r.peer))
            }
            streamLog.finish()
        }
        input.stop()
        do {
            try output.close()
        } catch {
            logger.error("could not finalize the output", metadata: ["error": "\(error)"])
            outputFailureText.withLock { $0 = "\(error)" }
        }
        publish(now: now, inputLevel: nil)
        published.withLock { $0.summary.left = true }
    }

    private func publish(now: Instant, inputLevel: Float?) {
        let (snapshot, peers) = viewModel.snapshot(of: client, inputLevel: inputLevel, now: now)
        let (sent, received) = (transport.datagramsSent, transport.datagramsReceived)
        published.withLock {
            $0.snapshot = snapshot
            $0.summary.security = security.counters
            $0.summary.securityStatistics = security.statistics
            $0.summary.knownKeys = security.knownKeys
            $0.summary.datagramsReceived = received
            $0.summary.datagramsSent = sent
            $0.summary.inboxOverflowDrops = inboxOverflowDrops
            $0.summary.duplicateDatagrams = broadcastCopies.duplicates
            $0.summary.engineTiming = timing
            // Every member seen, as last seen: one who left (or this client's own leaving,
            // which empties the list) keeps its figures.
            for peer in peers {
                if let index = $0.summary.peers.firstIndex(where: { $0.clientID == peer.clientID }) {
                    $0.summary.peers[index] = peer
                } else {
                    $0.summary.peers.append(peer)
                }
            }
        }
    }

    // MARK: Helpers

    private static func isWildcard(_ a: RoomAddress) -> Bool {
        switch a.host {
        case .ipv4(let raw): return raw == 0
        case .ipv6(let bytes): return bytes.allSatisfy { $0 == 0 }
        }
    }

    private static func hostPort(_ host: String, _ port: UInt16) -> String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension VoicePeers {
    /// A member's client id for the stream log; the voice id while its hello has not named it.
    fileprivate func logName(of voiceID: PeerID) -> String { clientID(of: voiceID) ?? "\(voiceID)" }
}
