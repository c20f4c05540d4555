import ArgumentParser
import ConcordBench
import Foundation

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a scenario file, or a quick room from --participant flags.",
        discussion: """
            Examples:
              concord-bench run fixtures/two-person-lan.scenario.json
              concord-bench run --participant alice=fixtures/a.wav --participant bob=fixtures/b.wav --network wifi --duration 30
            Flags given with a scenario file override its values.
            """)

    @OptionGroup var input: ScenarioOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var speechQuality: SpeechQualityOptions
    @Option(help: "Write every datagram sent and received to this libpcap file (virtual time; see the README).")
    var pcap: String?
    @Flag(help: "Run real `concord join` clients through the scenario's network as a loopback relay, in real time; compare with the virtual-time run.")
    var live = false
    @Option(help: "With --live: the concord program (default: the one beside concord-bench).") var client: String?
    @Option(name: .customLong("relay-port"), parsing: .unconditional, help: "With --live: the UDP port of the clients and the relay.")
    var relayPort: Int = 7400

    func validate() throws {
        if !live, client != nil { throw ValidationError("--client is for --live runs") }
        if live, pcap != nil { throw ValidationError("--pcap records a virtual-time run; with --live, each client can write one (concord join --pcap)") }
        guard (1...65_535).contains(relayPort) else { throw ValidationError("--relay-port \(relayPort): must be 1 to 65535") }
    }

    func run() throws {
        let scenario = try input.resolve(seed: output.seed)
        if live {
            try output.runLiveAndReport(
                scenario, client: client ?? Self.siblingClient, port: UInt16(relayPort), speechQuality: speechQuality.scope)
        } else {
            try output.runAndReport(scenario, speechQuality: speechQuality.scope, pcap: pcap)
        }
    }

    /// `concord` in the folder this program runs from (the build folder, or where both were installed).
    static var siblingClient: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("concord").path
    }
}

/// `--duration` within the scenario limit (0, `ScenarioResolver.maxDurationSeconds`].
func checkDuration(_ duration: Double?) throws {
    guard let duration else { return }
    let limit = ScenarioResolver.maxDurationSeconds
    guard duration > 0, duration <= limit else {
        throw ValidationError("--duration must be more than 0 and at most \(Int(limit)) s, not \(shown(duration))")
    }
}

/// A scenario from a file or from --participant flags, with the flags that override it.
struct ScenarioOptions: ParsableArguments {
    @Argument(help: "A scenario JSON file (schema in the README).") var scenario: String?
    @Option(name: .customLong("participant"), help: "NAME=WAV, once per participant (quick run).") var participants: [String] = []
    @Option(parsing: .unconditional, help: "Simulated seconds, up to 3600.") var duration: Double?
    @OptionGroup var network: NetworkOptions
    @OptionGroup var codec: CodecOptions
    @OptionGroup var jitterBuffer: JitterBufferOptions

    func validate() throws {
        if scenario == nil && participants.count < 2 {
            throw ValidationError("give a scenario file, or at least two --participant NAME=WAV")
        }
        if scenario != nil && !participants.isEmpty {
            throw ValidationError("give a scenario file or --participant flags, not both")
        }
        for p in participants where Self.split(p) == nil {
            throw ValidationError("--participant takes NAME=WAV, not '\(p)'")
        }
        try checkDuration(duration)
    }

    static func split(_ text: String) -> (name: String, wav: String)? {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else { return nil }
        return (String(text[..<eq]), String(text[text.index(after: eq)...]))
    }

    /// The scenario with every given flag applied, before semantic checks.
    func specification(seed: UInt64?) throws -> (scenario: Scenario, file: String, baseDirectory: String) {
        var spec: Scenario
        let file: String
        let base: String
        if let path = scenario {
            spec = try Self.decode(path)
            file = path
            base = Self.baseDirectory(of: path)
        } else {
            spec = Scenario()
            spec.name = "quick"
            spec.participants = participants.compactMap(Self.split).map { ParticipantSpec(name: $0.name, wav: $0.wav) }
            file = "command line"
            base = FileManager.default.currentDirectoryPath
        }
        if let duration { spec.durationSeconds = duration }
        if let seed { spec.seed = seed }
        network.apply(to: &spec.network.links)
        codec.apply(to: &spec.codec)
        jitterBuffer.apply(to: &spec.jitterBuffer)
        return (spec, file, base)
    }

    func resolve(seed: UInt64?) throws -> ResolvedScenario {
        let (spec, file, base) = try specification(seed: seed)
        return try Self.resolve(spec, file: file, baseDirectory: base)
    }

    /// A scenario file's specification; what is wrong with it as a `BenchFailure`.
    static func decode(_ path: String) throws -> Scenario {
        do {
            return try ScenarioLoader.decode(path: path)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
    }

    /// The folder a scenario file's relative paths (WAVs, traces) start from.
    static func baseDirectory(of path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }

    static func resolve(_ spec: Scenario, file: String, baseDirectory: String) throws -> ResolvedScenario {
        do {
            return try ScenarioResolver.resolve(spec, file: file, baseDirectory: baseDirectory)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
    }
}
