import ArgumentParser
import ConcordBench
import Concord
import Foundation

struct TraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Replay a recorded one-way trace (seq,send_ms,arrive_ms) from one talker to one listener.",
        discussion: """
            The k-th packet the talker sends gets row k's one-way delay, or is lost when arrive_ms
            is empty; the trace loops when it ends. The way back is ideal.
            Example: concord-bench trace --trace my-path.csv --input fixtures/a.wav --jitter-buffer adaptive
            """)

    @Option(help: "The trace CSV (SimNet's format).") var trace: String
    @Option(help: "The talker's WAV.") var input: String
    @Option(help: "Simulated seconds (default: the WAV's length + 1 s).") var duration: Double?
    @Flag(help: "Loop the WAV.") var loop = false
    @OptionGroup var codec: CodecOptions
    @OptionGroup var jitterBuffer: JitterBufferOptions
    @OptionGroup var output: OutputOptions

    func run() throws {
        var spec = Scenario()
        spec.name = "trace-" + URL(fileURLWithPath: trace).deletingPathExtension().lastPathComponent
        spec.participants = [
            ParticipantSpec(name: "talker", wav: input, loop: loop), ParticipantSpec(name: "listener", wav: nil),
        ]
        var link = LinkSpec()
        link.trace = trace
        spec.network.perLink = [PerLinkSpec(from: "talker", to: "listener", bothDirections: false, conditions: link)]
        if let duration {
            spec.durationSeconds = duration
        } else {
            do {
                spec.durationSeconds = try WAVReader.info(path: input).duration + 1
            } catch {
                throw BenchFailure(description: "\(error)")
            }
        }
        if let seed = output.seed { spec.seed = seed }
        codec.apply(to: &spec.codec)
        jitterBuffer.apply(to: &spec.jitterBuffer)
        let resolved: ResolvedScenario
        do {
            resolved = try ScenarioResolver.resolve(spec, file: "command line", baseDirectory: FileManager.default.currentDirectoryPath)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
        try output.runAndReport(resolved)
    }
}

/// `concord-bench record-trace`: a trace of a simulated path, in the format `trace` replays.
struct RecordTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-trace",
        abstract: "Record what a SimNet preset does to a 50 packet/s stream, as a trace CSV.")

    @Option(help: "The preset (see `concord-bench presets`).") var network: String
    @Option(help: "Seconds of traffic.") var duration: Double = 30
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Output CSV file.") var out: String

    func run() throws {
        do {
            let csv = try TraceRecorder.record(preset: network, seconds: duration, seed: seed)
            try csv.write(toFile: out, atomically: true, encoding: .utf8)
        } catch let error as ScenarioError {
            throw BenchFailure(description: "\(error)")
        }
        print("wrote \(out)")
    }
}
