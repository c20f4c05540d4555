import ArgumentParser
import CaptureProcessing
import Concord
import ConcordLive
import ConcordWeb
import Dispatch
import Foundation

/// `concord ui`: the client on a local web page, with or without a room.
struct UICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ui",
        abstract: "Manage ZeroTier networks and voice rooms on a local web page.",
        discussion: """
            Serves a page on 127.0.0.1 (a port the system picks) and prints its address, which carries a \
            secret token; on a desktop it opens in your browser. The page lists this machine's ZeroTier \
            networks (join one and watch the wait for its address, leave one), creates or joins a room on a \
            network or on an address of this machine, with an invite or a passphrase and the sound devices \
            you choose, and then shows the room as `concord join --web` does; leaving the room comes back to \
            the list. Runs until Ctrl-C (or --duration), leaving the room first.
            """)

    @Option(help: "Your name in rooms (and client id); the page may give another (default: the host name).") var name: String?
    @Option(parsing: .unconditional, help: "UDP port rooms use (1 to 65535).") var port: Int = 7400
    @Option(help: "Play this WAV file as the microphone in every room, instead of a device.") var inputWav: String?
    @Flag(help: "With --input-wav: play the file again each time it ends.") var loop = false
    @Option(help: "Write what you hear to this WAV file (48 kHz mono), instead of a device; each room starts it anew.")
    var outputWav: String?
    @Flag(help: "Do not cancel the echo of your loudspeaker in your microphone (with headphones).") var noEchoCancel = false
    @Flag(help: "Do not suppress steady background noise in your microphone.") var noNoiseSuppression = false
    @Option(parsing: .unconditional, help: "Stop after this many seconds (scripted runs; up to a week).") var duration: Double?
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port \(port): must be 1 to 65535") }
        if let name, name.isEmpty || name.utf8.count > RoomMessage.maxIdentifierBytes {
            throw ValidationError("--name must be 1 to \(RoomMessage.maxIdentifierBytes) bytes")
        }
        if loop && inputWav == nil { throw ValidationError("--loop plays the --input-wav file again: give --input-wav FILE") }
        if let duration, !(duration > 0 && duration <= JoinCommand.maximumDuration) {
            throw ValidationError("--duration \(duration): must be more than 0 and at most \(Int(JoinCommand.maximumDuration)) seconds (a week)")
        }
    }

    func run() async throws {
        let logger = logging.makeLogger(label: "concord.ui")
        if let outputWav { _ = try JoinCommand.checkOutputs(outputWav: outputWav, summaryJson: nil, duration: duration) }
        if let inputWav {
            // Read once now, so that a file that cannot be read is said here, not on the page later.
            do { _ = try WAVFileInput(path: inputWav, frameSamples: 480) } catch {
                printError("Cannot read --input-wav \(inputWav): \(error)")
                throw ExitCode.failure
            }
        }
        let store = try ConfigStore(environment: ProcessInfo.processInfo.environment)
        let (identity, created) = try store.loadOrCreateIdentity()
        if created { printError("created your identity in \(store.directory) (fingerprint \(identity.publicIdentity.fingerprint))") }
        let settings = LobbyPage.Settings(
            defaultName: name ?? ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "client",
            port: UInt16(port), codec: .live(bitrate: 32_000, frameMilliseconds: 20, fec: false), captureProcessing: captureProcessing, inputWav: inputWav, loopInput: loop,
            outputWav: outputWav)
        let lobby = LobbyPage(
            settings: settings, store: store, identity: identity, devices: inputWav != nil && outputWav != nil ? [] : Self.devices(),
            logger: logger
        ) { () throws(ZeroTierError) in
            ZeroTierClient(endpoint: try ZeroTierServiceEndpoint.discover(), logger: logger)
        }
        let running: WebServer.Running
        do {
            running = try await WebServer(model: lobby, logger: logger).start()
        } catch {
            printError("The page's server could not start: \(error)")
            throw ExitCode.failure
        }
        printError("your page (keep this address to yourself: it is the key): \(running.url)")
        JoinCommand.openInBrowser(running.url)

        let (stop, stopping) = AsyncStream.makeStream(of: Void.self)
        let signals = JoinCommand.onTermination { stopping.yield() }
        if let duration { DispatchQueue.global().asyncAfter(deadline: .now() + duration) { stopping.yield() } }
        let watcher = Task { await lobby.watchNetworks() }
        var iterator = stop.makeAsyncIterator()
        _ = await iterator.next()
        watcher.cancel()
        await lobby.leaveRoom()
        await running.stop()
        signals.forEach { $0.cancel() }
    }

    private var captureProcessing: WebRTCAudioProcessor.Settings? {
        let settings = WebRTCAudioProcessor.Settings(echoCancellation: !noEchoCancel, noiseSuppression: !noNoiseSuppression, gainControl: false)
        return settings.echoCancellation || settings.noiseSuppression ? settings : nil
    }

    /// The sound devices to offer; none (and the defaults used) when PortAudio cannot list them.
    private static func devices() -> [AudioDeviceInfo] {
        guard let system = try? PortAudioSystem.acquire() else { return [] }
        defer { system.release() }
        return (try? system.devices()) ?? []
    }
}
