import CaptureProcessing
import Concord
import ConcordLive
import ConcordWebProtocol
import Foundation
import Logging
import NIOPosix

/// `concord ui`: a client that lives without a room. Its page lists this machine's ZeroTier
/// networks (join, with the wait shown; leave), and joins or creates a room on one of them (or on
/// an address given) with the sound devices chosen; in the room it is the room's page, as
/// `concord join --web`; leaving the room comes back here.
///
/// One phase at a time, changed only on the actor: the lobby, a room starting (ZeroTier's wait,
/// the key stretch, the socket), a room joined.
public actor LobbyPage: PageModel {
    /// What every room started from this page shares (the `concord ui` flags).
    public struct Settings: Sendable {
        public var defaultName: String
        public var port: UInt16
        public var codec: OpusSettings
        public var jitterBuffer: JitterBufferSettings
        public var captureProcessing: WebRTCAudioProcessor.Settings?
        public var adaptiveProtection: Bool
        /// Files standing in for the sound devices (tests, scripted runs).
        public var inputWav: String?
        public var loopInput: Bool
        public var outputWav: String?
        /// How long a ZeroTier network may take to be ready when a room is joined on it.
        public var networkTimeout: Duration

        public init(
            defaultName: String, port: UInt16 = 7400, codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
            captureProcessing: WebRTCAudioProcessor.Settings? = nil, adaptiveProtection: Bool = true, inputWav: String? = nil,
            loopInput: Bool = false, outputWav: String? = nil, networkTimeout: Duration = .seconds(60)
        ) {
            self.defaultName = defaultName
            self.port = port
            self.codec = codec
            self.jitterBuffer = jitterBuffer
            self.captureProcessing = captureProcessing
            self.adaptiveProtection = adaptiveProtection
            self.inputWav = inputWav
            self.loopInput = loopInput
            self.outputWav = outputWav
            self.networkTimeout = networkTimeout
        }
    }

    private struct Room {
        var live: LiveRoom
        var group: MultiThreadedEventLoopGroup
        var invite: String
    }

    private enum Phase {
        case lobby
        case starting(room: String, progress: String)
        case joined(Room)
    }

    private let settings: Settings
    private let store: ConfigStore
    private let identity: Identity
    private let devices: [AudioDeviceInfo]
    private let logger: Logger
    /// Discovers the service afresh each time: it may be started, or its token made readable, while the page is open.
    private let zeroTierClient: @Sendable () throws(ZeroTierError) -> ZeroTierClient

    private var phase = Phase.lobby
    private var networks: Result<[ZeroTierNetwork], ZeroTierError>?
    private var joiningNetworks: [String: String] = [:]
    private var notice: String?
    private var roomEnded: [CheckedContinuation<Void, Never>] = []

    public init(
        settings: Settings, store: ConfigStore, identity: Identity, devices: [AudioDeviceInfo], logger: Logger,
        zeroTierClient: @escaping @Sendable () throws(ZeroTierError) -> ZeroTierClient
    ) {
        self.settings = settings
        self.store = store
        self.identity = identity
        self.devices = devices
        self.logger = logger
        self.zeroTierClient = zeroTierClient
    }

    // MARK: The page

    public func pageState() async -> String {
        switch phase {
        case .joined(let room):
            return WebSnapshot(room.live.snapshot).pageJSON
        case .lobby, .starting:
            var starting: (String, String)?
            if case .starting(let room, let progress) = phase { starting = (room, progress) }
            let state = LobbyState(
                name: settings.defaultName, fingerprint: identity.publicIdentity.fingerprint, zeroTier: networks,
                joining: joiningNetworks, starting: starting, notice: notice, devices: devices,
                fixedInput: settings.inputWav.map { "file \($0)" }, fixedOutput: settings.outputWav.map { "file \($0)" })
            return ["lobby": state].pageJSON
        }
    }

    public func handle(_ command: PageCommand) async -> PageReply? {
        // The room's own commands, while in one.
        if case .joined(let room) = phase, let live = LiveCommand(command) {
            if case .showInvite = live { return .invite(room.invite) }
            room.live.submit(live)
            return nil
        }
        switch (command, phase) {
        case (.joinNetwork(let id), _):
            return startJoining(network: id)
        case (.leaveNetwork(let id), .lobby):
            return await leave(network: id)
        case (.leaveNetwork, _):
            return .refused("leave the room first: it may be talking on that network")
        case (.joinRoom(let request), .lobby):
            phase = .starting(room: request.room, progress: "starting")
            notice = nil
            Task { await self.start(request) }
            return nil
        case (.joinRoom, _):
            return .refused("leave this room first")
        case (.invite, _), (.say, _), (.mute, _), (.unmute, _), (.volume, _), (.leave, _):
            return .refused("join a room first")
        }
    }

    // MARK: Networks

    /// Lists the networks every two seconds until cancelled (`concord ui` runs it beside the server).
    public func watchNetworks(every interval: Duration = .seconds(2)) async {
        while !Task.isCancelled {
            await refreshNetworks()
            try? await Task.sleep(for: interval)
        }
    }

    private func refreshNetworks() async {
        do throws(ZeroTierError) {
            let client = try zeroTierClient()
            networks = .success(try await client.networks())
        } catch {
            networks = .failure(error)
        }
    }

    private func startJoining(network text: String) -> PageReply? {
        let id: NetworkID
        do { id = try NetworkID(parsing: text) } catch { return .refused(error.description) }
        guard joiningNetworks["\(id)"] == nil else { return .refused("already joining \(id)") }
        joiningNetworks["\(id)"] = "joining"
        Task {
            let outcome = await self.joinAndWait(id) { progress in
                Task { await self.setJoining(id, progress.summary) }
            }
            await self.finishJoining(id, outcome)
        }
        return nil
    }

    private func setJoining(_ id: NetworkID, _ text: String) {
        if joiningNetworks["\(id)"] != nil { joiningNetworks["\(id)"] = text }
    }

    private func finishJoining(_ id: NetworkID, _ outcome: Result<ZeroTierJoined, ZeroTierError>) async {
        joiningNetworks["\(id)"] = nil
        switch outcome {
        case .success(let joined): notice = joined.summary
        case .failure(let error): notice = error.description
        }
        await refreshNetworks()
    }

    private func joinAndWait(
        _ id: NetworkID, progress: @escaping @Sendable (ZeroTierJoinProgress) -> Void
    ) async -> Result<ZeroTierJoined, ZeroTierError> {
        do throws(ZeroTierError) {
            let client = try zeroTierClient()
            return .success(try await client.joinAndWait(id, timeout: settings.networkTimeout, progress: progress))
        } catch {
            return .failure(error)
        }
    }

    private func leave(network text: String) async -> PageReply? {
        do throws(ZeroTierError) {
            let id = try NetworkID(parsing: text)
            try await zeroTierClient().leave(id)
            notice = "Left \(id)."
        } catch {
            return .refused(error.description)
        }
        await refreshNetworks()
        return nil
    }

    // MARK: The room

    private func progress(_ text: String) {
        if case .starting(let room, _) = phase { phase = .starting(room: room, progress: text) }
    }

    private func start(_ request: PageCommand.RoomRequest) async {
        do {
            let room = try await launch(request)
            phase = .joined(room)
            Task {
                await room.live.waitUntilFinished()
                await self.ended(room)
            }
        } catch {
            phase = .lobby
            notice = "Could not join \(request.room): \(error)"
            logger.notice("could not join a room", metadata: ["room": "\(request.room)", "reason": "\(error)"])
        }
    }

    private func launch(_ request: PageCommand.RoomRequest) async throws -> Room {
        let name = request.name ?? settings.defaultName
        var network = UDPTransport.Configuration(
            bindHost: request.bind ?? "0.0.0.0", port: settings.port,
            discoveryPeers: try (request.peers ?? []).map { text in
                guard let address = RoomAddress(text) else { throw LobbyError("\(text) is not ADDR:PORT") }
                return address
            })
        var advertised: String?
        var sweep: SubnetSweep.Configuration?
        if let bind = request.bind {
            guard IPv4Address(bind) != nil || RoomAddress.parseIPv6(bind) != nil else {
                throw LobbyError("\(bind) is not an IPv4 or IPv6 address")
            }
        }
        if let text = request.network {
            let id = try NetworkID(parsing: text)
            progress("waiting for ZeroTier network \(id)")
            let joined = try await joinAndWait(id) { progress in Task { await self.progress(progress.summary) } }.get()
            guard let v4 = joined.address.ipv4 else { throw LobbyError("ZeroTier assigned no IPv4 address (\(joined.address))") }
            (advertised, sweep) = IPv4Subnet(address: v4.rawValue, prefixLength: joined.address.prefixLength)
                .apply(to: &network, port: settings.port)
        }
        progress(request.passphrase == nil ? "opening the sound devices" : "stretching the passphrase")
        let secret =
            try ConfigStore.roomSecret(invite: request.invite, passphrase: request.passphrase, passphraseFile: nil, roomID: request.room)
            ?? .generate()
        let frameSamples = Participant.pullSamples(frameSamples: settings.codec.frameSamples)
        let input: any MeteredAudioSource =
            try settings.inputWav.map { try WAVFileInput(path: $0, frameSamples: frameSamples, atEnd: settings.loopInput ? .loop : .silence) }
            ?? PortAudioInput(device: request.input, frameSamples: frameSamples)
        let output: any AudioSink
        do {
            output = try settings.outputWav.map { WAVFileOutput(path: $0) } ?? PortAudioOutput(device: request.output, frameSamples: frameSamples)
        } catch {
            input.stop()
            throw error
        }
        var configuration = LiveRoom.Configuration(
            roomID: request.room, clientID: name, displayName: name, secret: secret, identity: identity,
            knownKeys: try store.loadKnownKeys(), codec: settings.codec, jitterBuffer: settings.jitterBuffer, network: network,
            advertisedHost: advertised, sweep: sweep)
        configuration.adaptiveProtection = settings.adaptiveProtection
        configuration.captureProcessing = settings.captureProcessing
        configuration.deviceDelayMilliseconds = LiveRoom.deviceDelayMilliseconds(input: input, output: output)
        progress("binding UDP port \(settings.port)")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            let live = try await LiveRoom.start(configuration, input: input, output: output, group: group, logger: logger)
            return Room(live: live, group: group, invite: secret.inviteString)
        } catch {
            input.stop()
            try? output.close()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func ended(_ room: Room) async {
        try? store.saveKnownKeys(room.live.summary.knownKeys)
        try? await room.group.shutdownGracefully()
        phase = .lobby
        notice = "You left \(room.live.configuration.roomID)." + (room.live.outputFailure.map { " The output is incomplete: \($0)." } ?? "")
        for waiter in roomEnded { waiter.resume() }
        roomEnded.removeAll()
    }

    /// Leaves the room, if one is joined, and returns once it has been left (the process is ending).
    public func leaveRoom() async {
        guard case .joined(let room) = phase else { return }
        room.live.requestLeave()
        await withCheckedContinuation { roomEnded.append($0) }
    }
}

/// Why a room could not be started from the page (shown there).
struct LobbyError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
