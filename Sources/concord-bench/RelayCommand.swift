import ArgumentParser
import Concord
import ConcordBench
import Foundation

/// `concord-bench relay`: a scenario's simulated network as a real-time UDP relay on loopback,
/// for real `concord join` processes.
struct RelayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "relay",
        abstract: "Run a scenario's network in real time as a UDP relay on loopback, for real `concord join` clients.",
        discussion: """
            Each participant's client binds 127.77.0.N and advertises the relay's 127.77.1.N; the \
            relay forwards every datagram after what the scenario's path from sender to receiver \
            does to it (delay, jitter, loss, duplication, reordering, rate limit and queue, traces, \
            partitions and link changes at their times), and fans discovery broadcasts sent to \
            127.77.2.1 out over each path. It prints the `concord join` options for each participant \
            and runs until --duration has passed or Ctrl-C. The clients' own events (joins, leaves, \
            crashes) and simulated sound-card clock drift are not the relay's: start and stop the \
            clients yourself.
            Example: concord-bench relay fixtures/four-person-wifi-loss.scenario.json --duration 60
            """)

    @Argument(help: "A scenario JSON file (schema in the README).") var scenario: String
    @OptionGroup var network: NetworkOptions
    @Option(parsing: .unconditional, help: "Random seed (overrides the scenario's).") var seed: UInt64?
    @Option(parsing: .unconditional, help: "The UDP port of every client and of the relay (1 to 65535).") var port: Int = 7400
    @Option(parsing: .unconditional, help: "Stop after this many seconds (default: at Ctrl-C), up to a day.")
    var duration: Double?
    @Option(help: "Write the relay's counters and scheduling error as JSON here when it stops.") var statsJson: String?
    @Flag(help: "No progress line on stderr.") var quiet = false

    func validate() throws {
        guard (1...65_535).contains(port) else { throw ValidationError("--port \(port): must be 1 to 65535") }
        try checkRange("--duration", duration, 0...86_400, unit: "s")
        if let duration, duration <= 0 { throw ValidationError("--duration must be more than 0 s") }
    }

    func run() throws {
        var spec = try ScenarioOptions.decode(scenario)
        if let seed { spec.seed = seed }
        network.apply(to: &spec.network.links)
        let resolved = try ScenarioOptions.resolve(spec, file: scenario, baseDirectory: ScenarioOptions.baseDirectory(of: scenario))
        if let statsJson { try OutputCheck.prepareFile(statsJson, flag: "--stats-json") }

        let relay: LoopbackRelay
        do {
            relay = try LoopbackRelay(scenario: resolved, port: UInt16(port))
        } catch {
            throw BenchFailure(description: "\(error)")
        }
        let room = resolved.roomID ?? resolved.name
        let invite = RoomSecret.generate().inviteString
        print("relaying \(resolved.name) (\(resolved.networkSummary)) on port \(port); start each participant with:")
        for (i, participant) in resolved.participants.enumerated() {
            var arguments = ["concord", "join", room, "--client-id", participant.name] + relay.layout.joinArguments(i)
            arguments += ["--invite", invite]
            if let wav = participant.wavPath { arguments += ["--input-wav", wav] }
            arguments += ["--output-wav", "\(participant.name).out.wav"]
            print("  " + arguments.map(Self.quoted).joined(separator: " "))
        }
        if resolved.participants.contains(where: { $0.clockPPM != 0 }) {
            printError("note: the scenario's sound-card clock drift is not simulated here: real clients run on their own clocks")
        }
        // Scripts read the commands while the relay runs.
        fflush(nil)

        let signals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { relay.stop() }
            source.resume()
            return source
        }
        defer { signals.forEach { $0.cancel() } }
        let terminal = isatty(STDERR_FILENO) == 1 && !quiet
        let statistics = relay.run(for: duration) { seconds in
            if terminal { ProgressLine.write(String(format: "\rrelayed %.0f s", seconds)) }
        }
        if terminal { ProgressLine.write("\n") }
        print(statistics.summary)
        if let statsJson {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            do {
                try encoder.encode(statistics).write(to: URL(fileURLWithPath: statsJson))
            } catch {
                throw BenchFailure(description: "cannot write --stats-json \(statsJson): \(error.localizedDescription)")
            }
        }
    }

    static func quoted(_ word: String) -> String {
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=".contains($0) } ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}

private func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
