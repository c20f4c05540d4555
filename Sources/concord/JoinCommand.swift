import ArgumentParser
import CaptureProcessing
import Concord
import ConcordLive
import ConcordWeb
import Dispatch
import Foundation
import Logging
import NIOPosix
import PacketCapture

/// `concord join ROOM`: join (or create) a sealed voice room and talk, with a live view.
struct JoinCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Join a voice room (the first client to join creates it) and talk.",
        discussion: """
            Every datagram is sealed with keys from the room secret: give the room's --invite (or \
            --passphrase); without either, a new secret is made and its invite printed for the others. \
            Peers are found by broadcast on the network (--network: the ZeroTier network's subnet) and \
            by the --peer addresses given. Type /mute, /unmute, /volume NAME PERCENT, /invite (show the \
            invite; /ok or Esc hides it), /help, /leave, or any text to send it to the room. Ctrl-C leaves \
            the room cleanly.
            """)

    @Argument(help: "The room id (1 to 32 bytes).") var room: String

    @Option(help: "Your name in the room; also the client id unless --client-id is given.") var name: String?
    @Option(help: "Client id (1 to 32 bytes, unique in the room; default: --name, else the host name).") var clientID: String?

    @Option(help: "ZeroTier network id to talk on: join it (if needed), bind its address, broadcast on its subnet.")
    var network: String?
    @Option(help: "Address to bind and advertise, e.g. 10.147.17.5 or 127.0.0.2 (instead of --network).") var bind: String?
    @Option(parsing: .unconditional, help: "UDP port (1 to 65535).") var port: Int = 7400
    @Option(name: .customLong("peer"), help: "A peer's ADDR:PORT to discover directly (repeatable).") var peers: [String] = []
    @Option(help: "Broadcast address for discovery (default with --network: the subnet's).") var broadcast: String?
    @Option(help: "Address to tell peers instead of the bound one (a relay's, or a forwarded address); same port.")
    var advertise: String?

    @Option(help: "The room's invite string (concord1-…).") var invite: String?
    @Option(help: "A passphrase for the room (stretched with scrypt, salted by the room id).") var passphrase: String?
    @Option(help: "A file holding the passphrase (first line).") var passphraseFile: String?

    @Option(help: "Input sound device: index or name (see `concord devices`).") var input: String?
    @Option(help: "Play this WAV file as the microphone, in real time (then silence, or again with --loop).")
    var inputWav: String?
    @Flag(help: "With --input-wav: play the file again each time it ends.") var loop = false
    @Option(
        name: .customLong("input-wav-start-ns"), parsing: .unconditional,
        help: "With --input-wav: the file's first sample belongs at this instant of CLOCK_MONOTONIC (ns); frames already past are skipped (for harnesses that start several clients on one schedule)."
    )
    var inputWavStartNs: Int64?
    @Option(help: "Output sound device: index or name.") var output: String?
    @Option(help: "Write what you hear to this WAV file (48 kHz mono) instead of a device.") var outputWav: String?

    @Flag(help: "Do not cancel the echo of your loudspeaker in your microphone (with headphones).") var noEchoCancel = false
    @Flag(help: "Do not suppress steady background noise in your microphone.") var noNoiseSuppression = false
    @Flag(help: "Adapt your microphone's gain to a steady speech level (off by default: it also lifts what is left of the echo).")
    var agc = false

    @Option(parsing: .unconditional, help: "Opus bitrate, bits per second (6000 to 510000).") var bitrate: Int = 32_000
    @Option(parsing: .unconditional, help: "Frame duration in ms: 10 or 20.") var frameMs: Int = 20
    @Flag(help: "Opus in-band FEC at all times (default: FEC or copies of earlier frames as the listeners' reports ask, nothing at no loss).")
    var fec = false
    @Flag(help: "No FEC and no copies at all, whatever the listeners report.") var noProtection = false
    @Option(parsing: .unconditional, help: "With --fec: the loss % the encoder plans FEC for (1 to 100; default 10).")
    var expectedLoss: Int?
    @Option(parsing: .unconditional, help: "Opus complexity, 0 (least CPU) to 10.") var complexity: Int = 10
    @Flag(
        help: ArgumentHelp(
            "Also show the room on a local web page: its address (127.0.0.1, a random port and a secret token) is printed, and opened in your browser when there is a desktop."
        ))
    var web = false
    @Flag(help: "Opus DTX: send almost nothing while you are silent (with audio processing on, its voice detector decides).")
    var dtx = false
    @Option(name: .customLong("jb-min-ms"), parsing: .unconditional, help: "The jitter buffer's delay floor, ms (0 to its ceiling).")
    var jitterMinMs: Int?
    @Option(name: .customLong("jb-max-ms"), parsing: .unconditional, help: "The jitter buffer's delay ceiling, ms (0 to 10000; default 1000).")
    var jitterMaxMs: Int?

    @Option(parsing: .unconditional, help: "Leave after this many seconds (headless runs; up to a week).") var duration: Double?
    @Option(help: "When leaving, write a JSON summary (views, messages, counters) here.") var summaryJson: String?
    @Option(help: "Write every datagram this client sends and receives to this libpcap file (for Wireshark).")
    var pcap: String?
    @Option(help: "Send this text message once joined (repeatable; for scripts).") var say: [String] = []
    @Option(help: "Log every voice stream into this folder for the bench: sent, arrivals and playout frame by frame (CSV), each member's track (WAV), jitter-buffer counters (JSON).")
    var streamLog: String?

    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard !room.isEmpty, room.utf8.count <= RoomMessage.maxIdentifierBytes else {
            throw ValidationError("the room id must be 1 to \(RoomMessage.maxIdentifierBytes) bytes")
        }
        let id = effectiveClientID
        guard !id.isEmpty, id.utf8.count <= RoomMessage.maxIdentifierBytes else {
            throw ValidationError("the client id must be 1 to \(RoomMessage.maxIdentifierBytes) bytes (use --client-id)")
        }
        if (network == nil) == (bind == nil) { throw ValidationError("give exactly one of --network NWID or --bind ADDR") }
        if let network { _ = try ZeroTierCommand.parse(network) }
        if let bind, IPv4Address(bind) == nil, RoomAddress.parseIPv6(bind) == nil {
            throw ValidationError("--bind \(bind): not an IPv4 or IPv6 address")
        }
        for p in peers where RoomAddress(p) == nil {
            throw ValidationError("--peer \(p): expected ADDR:PORT, e.g. 10.147.17.5:7400 or [fd00::1]:7400")
        }
        if let broadcast, IPv4Address(broadcast) == nil { throw ValidationError("--broadcast \(broadcast): not an IPv4 address") }
        if let advertise, IPv4Address(advertise) == nil, RoomAddress.parseIPv6(advertise) == nil {
            throw ValidationError("--advertise \(advertise): not an IPv4 or IPv6 address")
        }
        if input != nil && inputWav != nil { throw ValidationError("give --input or --input-wav, not both") }
        if loop && inputWav == nil { throw ValidationError("--loop plays the --input-wav file again: give --input-wav FILE") }
        if let inputWavStartNs {
            guard inputWav != nil else { throw ValidationError("--input-wav-start-ns places the --input-wav file on the clock: give --input-wav FILE") }
            // A day back to a minute ahead of this machine's clock: an instant from elsewhere (another
            // clock, another boot) would skip the whole file or hold the microphone back for ever.
            let now = MonotonicClock.now().nanoseconds
            guard inputWavStartNs >= now - 86_400_000_000_000, inputWavStartNs <= now + 60_000_000_000 else {
                throw ValidationError(
                    "--input-wav-start-ns \(inputWavStartNs): not within a day before to a minute after this machine's CLOCK_MONOTONIC (now \(now))")
            }
        }
        if output != nil && outputWav != nil { throw ValidationError("give --output or --output-wav, not both") }
        guard [10, 20].contains(frameMs) else { throw ValidationError("--frame-ms must be 10 or 20") }
        guard (1...65_535).contains(port) else { throw ValidationError("--port \(port): must be 1 to 65535") }
        guard (6_000...510_000).contains(bitrate) else { throw ValidationError("--bitrate \(bitrate): must be 6000 to 510000") }
        if let expectedLoss {
            guard fec else { throw ValidationError("--expected-loss sets what FEC plans for: give --fec with it") }
            guard (1...100).contains(expectedLoss) else { throw ValidationError("--expected-loss \(expectedLoss): must be 1 to 100") }
        }
        if fec && noProtection { throw ValidationError("give --fec or --no-protection, not both") }
        guard (0...10).contains(complexity) else { throw ValidationError("--complexity \(complexity): must be 0 to 10") }
        do {
            try jitterBufferSettings.validate()
        } catch {
            throw ValidationError("--jb-min-ms/--jb-max-ms: \(error)")
        }
        if let duration, !(duration > 0 && duration <= Self.maximumDuration) {
            throw ValidationError("--duration \(duration): must be more than 0 and at most \(Int(Self.maximumDuration)) seconds (a week)")
        }
        if [invite, passphrase, passphraseFile].compactMap({ $0 }).count > 1 {
            throw ValidationError("give one of --invite, --passphrase, --passphrase-file")
        }
    }

    static let maximumDuration = 7 * 86_400.0

    /// WebRTC's processing as the flags ask; nil when every part is off.
    var captureProcessing: WebRTCAudioProcessor.Settings? {
        let settings = WebRTCAudioProcessor.Settings(echoCancellation: !noEchoCancel, noiseSuppression: !noNoiseSuppression, gainControl: agc)
        return settings.echoCancellation || settings.noiseSuppression || settings.gainControl ? settings : nil
    }

    /// The default adaptive buffer within the given bounds (its start-up delay kept inside them).
    var jitterBufferSettings: JitterBufferSettings {
        var settings = JitterBufferSettings()
        if let jitterMinMs { settings.minimumDelayMilliseconds = jitterMinMs }
        if let jitterMaxMs { settings.maximumDelayMilliseconds = jitterMaxMs }
        settings.initialDelayMilliseconds = min(
            max(settings.initialDelayMilliseconds, settings.minimumDelayMilliseconds), max(settings.maximumDelayMilliseconds, 0))
        return settings
    }

    var effectiveClientID: String {
        clientID ?? name ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "client"
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "concord")
        // Everything that can fail without the network is checked before joining anything:
        // the outputs (writable, room on the disk), the input, the configuration.
        let outputs = try Self.checkOutputs(outputWav: outputWav, summaryJson: summaryJson, duration: duration)
        if let streamLog { try Self.createStreamLogFolder(streamLog) }
        let capture = try pcap.map(Self.createCapture)
        let port = UInt16(self.port)
        let store = try ConfigStore(environment: ProcessInfo.processInfo.environment)
        let knownKeys = try store.loadKnownKeys()
        let given = try ConfigStore.roomSecret(invite: invite, passphrase: passphrase, passphraseFile: passphraseFile, roomID: room)

        let codec = OpusSettings.live(
            bitrate: bitrate, frameMilliseconds: frameMs, fec: fec, expectedLossPercent: expectedLoss, complexity: complexity, dtx: dtx)
        // The devices deliver and take what the engine pulls, not whole codec frames.
        let frameSamples = Participant.pullSamples(frameSamples: codec.frameSamples)
        let inputDevice: any MeteredAudioSource =
            try inputWav.map {
                try WAVFileInput(
                    path: $0, frameSamples: frameSamples, atEnd: loop ? .loop : .silence,
                    firstSampleAt: inputWavStartNs.map { Instant(nanoseconds: $0) })
            }
            ?? PortAudioInput(device: input, frameSamples: frameSamples)
        let outputDevice: any AudioSink =
            try outputWav.map { WAVFileOutput(path: $0) } ?? PortAudioOutput(device: output, frameSamples: frameSamples)
        var networkConfiguration = UDPTransport.Configuration(
            bindHost: bind ?? "0.0.0.0", port: port, discoveryPeers: peers.compactMap { RoomAddress($0) })
        var advertised: String?
        var sweep: SubnetSweep.Configuration?
        if let network {
            let id = try ZeroTierCommand.parse(network)
            let joined = try await ZeroTierCommand.withClient(logging) { client throws(ZeroTierError) in
                try await client.joinAndWait(id, timeout: .seconds(60)) { printError($0.summary) }
            }
            if !joined.reachability.isOnline { printError(joined.summary) }
            let assigned = joined.address
            guard let v4 = assigned.ipv4 else { throw ValidationError("ZeroTier assigned no IPv4 address (\(assigned))") }
            (advertised, sweep) = IPv4Subnet(address: v4.rawValue, prefixLength: assigned.prefixLength)
                .apply(to: &networkConfiguration, port: port)
        }
        if let broadcast, let address = IPv4Address(broadcast) { networkConfiguration.broadcastAddress = .ipv4(address.rawValue, port: port) }
        if let advertise { advertised = advertise }

        let (identity, created) = try store.loadOrCreateIdentity()
        if created { printError("created your identity in \(store.directory) (fingerprint \(identity.publicIdentity.fingerprint))") }
        let secret: RoomSecret
        if let given {
            secret = given
        } else {
            secret = .generate()
            printError("new room secret; others join with:\n  --invite \(secret.inviteString)")
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let live: LiveRoom
        var configuration = LiveRoom.Configuration(
            roomID: room, clientID: effectiveClientID, displayName: name ?? effectiveClientID, secret: secret,
            identity: identity, knownKeys: knownKeys, codec: codec, jitterBuffer: jitterBufferSettings, network: networkConfiguration,
            advertisedHost: advertised, sweep: sweep)
        configuration.adaptiveProtection = !fec && !noProtection
        configuration.streamLogDirectory = streamLog
        configuration.captureProcessing = captureProcessing
        configuration.deviceDelayMilliseconds = LiveRoom.deviceDelayMilliseconds(input: inputDevice, output: outputDevice)
        do {
            live = try await LiveRoom.start(
                configuration,
                input: inputDevice, output: outputDevice, logger: logger
            ) { [networkConfiguration] handler in
                try await UDPTransport.bind(
                    networkConfiguration, group: group, logger: logger, capture: capture, onDatagram: handler)
            }
        } catch {
            try? capture?.close()
            inputDevice.stop()
            try? outputDevice.close()
            try? await group.shutdownGracefully()
            throw error
        }
        printError("joining \(room) as \(effectiveClientID) at \(live.address); you are \(identity.publicIdentity.fingerprint)")

        let signals = Self.onTermination { live.requestLeave() }
        if let duration {
            DispatchQueue.global().asyncAfter(deadline: .now() + duration) { live.requestLeave() }
        }
        let page = web ? try await Self.startPage(of: live, invite: secret.inviteString) : nil
        let view = Self.startView(of: live, invite: secret.inviteString, showInvite: secretWasGenerated)
        live.submitWhenJoined(say.map { .say($0) })

        await live.waitUntilFinished()
        // The terminal is back to the shell's before anything else is printed.
        view.stop()
        await page?.stop()
        signals.forEach { $0.cancel() }
        let summary = live.summary
        try? store.saveKnownKeys(summary.knownKeys)
        print(LiveViewRenderer.statusLine(live.snapshot))
        try? await group.shutdownGracefully()
        var failed = false
        if let summaryPath = outputs.summary {
            do {
                try summaryPath.write(try summary.jsonData())
            } catch {
                printError("\(error)")
                failed = true
            }
        }
        if let capture {
            do {
                try capture.close()
                printError("wrote \(capture.recordCount) datagrams to \(capture.path)")
            } catch {
                printError("Cannot write --pcap \(error.path): \(error.reason).")
                failed = true
            }
        }
        if let failure = live.outputFailure {
            printError("The output \(outputWav ?? "device") is incomplete: \(failure)")
            failed = true
        }
        if failed { throw ExitCode.failure }
    }

    /// `--output-wav` and `--summary-json` checked before joining: creatable, and room on the
    /// disk for the run (16-bit mono at the engine's rate: 96 kB a second; without --duration,
    /// an hour's worth).
    static func checkOutputs(
        outputWav: String?, summaryJson: String?, duration: Double?
    ) throws -> (wav: OutputPath?, summary: OutputPath?) {
        let wav = outputWav.map { OutputPath($0, option: "--output-wav") }
        let summary = summaryJson.map { OutputPath($0, option: "--summary-json") }
        do {
            let wavBytesPerSecond = Double(AudioFormat.sampleRate * 2)
            try wav?.check(bytesNeeded: Int64((duration ?? 3_600) * wavBytesPerSecond) + 4_096)
            try summary?.check()
        } catch {
            printError("\(error)")
            throw ExitCode.failure
        }
        return (wav, summary)
    }

    /// `--stream-log`: the folder, made now (with its parents) so that a path that cannot be one
    /// fails before joining; the files are created when the engine starts.
    static func createStreamLogFolder(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            prefix += "/" + component
            var status = stat()
            if stat(prefix, &status) == 0, status.st_mode & S_IFMT == S_IFDIR { continue }
            guard mkdir(prefix, 0o755) == 0 else {
                printError("Cannot write --stream-log \(path): \(prefix): \(String(cString: strerror(errno))).")
                throw ExitCode.failure
            }
        }
    }

    /// `--pcap`: checked like the other outputs, then created (its header written) before joining.
    static func createCapture(_ path: String) throws -> PacketCaptureFile {
        do {
            try OutputPath(path, option: "--pcap").check()
            return try PacketCaptureFile(path: path)
        } catch let error as OutputPathError {
            printError("\(error)")
        } catch let error as PacketCaptureError {
            printError("Cannot write --pcap \(error.path): \(error.reason).")
        }
        throw ExitCode.failure
    }

    /// SIGINT, SIGTERM and SIGHUP (the terminal closed) leave the room (once; a second Ctrl-C
    /// while leaving is ignored).
    static func onTermination(_ action: @escaping @Sendable () -> Void) -> [any DispatchSourceSignal] {
        [SIGINT, SIGTERM, SIGHUP].map { sig in
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }

    /// No --invite or passphrase: the secret was made here, and the others need its invite.
    var secretWasGenerated: Bool { invite == nil && passphrase == nil && passphraseFile == nil }

    /// The view of a running client: the full-screen view on a terminal, else a status line
    /// every 5 s on stderr and commands read from stdin.
    enum RunningView {
        case terminal(LiveTerminalView)
        case headless(any DispatchSourceTimer)

        /// Stops it; the terminal view puts the terminal back and the lines the process wrote
        /// to stderr while it covered them are printed again, where they stay visible.
        func stop() {
            switch self {
            case .terminal(let view):
                for line in view.stop() { printError(line) }
            case .headless(let timer):
                timer.cancel()
            }
        }
    }

    /// Serves the room's page and prints its address (the terminal view shows what was printed
    /// once it closes). The page shows the invite when asked, as `/invite` does.
    static func startPage(of live: LiveRoom, invite: String) async throws -> WebServer.Running {
        let server = WebServer(snapshot: { live.snapshot }, submit: { live.submit($0) }, invite: invite)
        let running: WebServer.Running
        do {
            running = try await server.start()
        } catch {
            throw WebServerError(description: "--web: the page's server could not start: \(error)")
        }
        printError("the room's page (keep this address to yourself: it is the key): \(running.url)")
        openInBrowser(running.url)
        return running
    }

    /// On a desktop (a display to show a browser on), asks it to open `url`; elsewhere nothing.
    static func openInBrowser(_ url: String) {
        let environment = ProcessInfo.processInfo.environment
        guard environment["DISPLAY"] != nil || environment["WAYLAND_DISPLAY"] != nil,
            FileManager.default.isExecutableFile(atPath: "/usr/bin/xdg-open")
        else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/xdg-open")
        process.arguments = [url]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try? process.run()
    }

    static func startView(of live: LiveRoom, invite: String, showInvite: Bool) -> RunningView {
        if let view = LiveTerminalView.start(live: live, invite: invite, showInvite: showInvite) { return .terminal(view) }
        readCommands(into: live, invite: invite)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .seconds(5), repeating: .seconds(5))
        timer.setEventHandler { printError(LiveViewRenderer.statusLine(live.snapshot)) }
        timer.resume()
        return .headless(timer)
    }

    /// Headless: lines from stdin become commands; a bad one prints why, /invite and /help
    /// print what they show. End of input leaves stdin alone (a headless client keeps talking
    /// until --duration or a signal).
    static func readCommands(into live: LiveRoom, invite: String) {
        let thread = Thread {
            while let line = readLine() {
                do {
                    switch try LiveCommand.parse(line) {
                    case nil, .dismiss?: break
                    case .showInvite?: printError("others join with:\n  --invite \(invite)")
                    case .help?: printError(LiveCommand.helpText)
                    case let command?: live.submit(command)
                    }
                } catch {
                    printError("\(error)")
                }
            }
        }
        thread.name = "concord-stdin"
        thread.start()
    }
}
