import Foundation

/// A fresh directory under the system temporary directory, removed when the value is dropped.
final class AudioScratchDirectory: @unchecked Sendable {
    let url: URL

    init(_ label: String = "audio") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("concord-\(label)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}

/// `count` samples of a sine at `frequency` Hz and `amplitude`, 48 kHz.
func sine(count: Int, frequency: Double = 440, amplitude: Float = 1) -> [Float] {
    (0..<count).map { amplitude * Float(sin(2 * Double.pi * frequency * Double($0) / 48_000)) }
}

/// An ALSA configuration that replaces the system's (through ALSA_CONFIG_PATH) with software
/// PCMs only: `concord_null`, alsa-lib's null plugin (capture reads silence, playback discards),
/// and `default` as a plug in front of it. PortAudio skips PCMs literally named "null", hence the
/// name. The `default` entry is not decoration: PortAudio 19.6's ALSA enumeration asserts
/// (`devIdx < numDeviceNames`, pa_linux_alsa.c) and aborts the process when every PCM opened
/// and none is called "default" or "dmix".
enum TestALSA {
    static let nullDeviceName = "concord_null"

    static let configuration = """
        pcm.concord_null {
            type null
            hint { show on description "Concord test device: alsa-lib's null plugin" }
        }
        pcm.!default {
            type plug
            slave.pcm "concord_null"
        }
        """

    /// A machine without a sound card: the only PCM is a `default` on card 0, which does not exist.
    static let emptyConfiguration = """
        pcm.!default {
            type hw
            card 0
        }
        """

    /// The configuration file, written once per test process (never removed: the environment points at it).
    static let configPath: String = write(configuration, name: "asound-null.conf")
    static let emptyConfigPath: String = write(emptyConfiguration, name: "asound-empty.conf")

    private static func write(_ text: String, name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-alsa-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// Points this process's ALSA at `configPath`, once, before any test initialises PortAudio.
    /// (alsa-lib re-reads ALSA_CONFIG_PATH whenever PortAudio initialises anew.) The variable
    /// also keeps a developer's real sound cards out of the tests, and JACK_DEFAULT_SERVER
    /// names a server that does not exist, so a running JACK server does not add devices.
    static let installed: Bool = {
        setenv("ALSA_CONFIG_PATH", configPath, 1)
        setenv("JACK_DEFAULT_SERVER", "concord-test-no-such-server", 1)
        return true
    }()
}

/// A JACK server with its dummy backend: a software sound card paced by a timer at 48 kHz with
/// 480-frame periods, the one clocked device a machine without a sound card can have. Needs
/// `jackd` (Debian: jackd2); tests that use it are skipped without it.
final class DummyJackServer: @unchecked Sendable {
    static let executable: String? = ["/usr/bin/jackd", "/usr/local/bin/jackd"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    let name = "concord-test-\(getpid())"
    private let process = Process()

    /// Starts the server; `stop()` ends it.
    init() throws {
        process.executableURL = URL(fileURLWithPath: Self.executable ?? "/usr/bin/jackd")
        process.arguments = ["--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "480", "-C", "2", "-P", "2"]
        process.environment = ["JACK_NO_AUDIO_RESERVATION": "1", "PATH": "/usr/bin:/bin"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }

    deinit {
        stop()
    }
}
