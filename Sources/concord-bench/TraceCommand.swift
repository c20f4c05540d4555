import ArgumentParser
import AudioFiles
import ConcordBench
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
    @Option(parsing: .unconditional, help: "Simulated seconds (default: the WAV's length + 1 s), up to 3600.") var duration: Double?
    @Flag(help: "Loop the WAV.") var loop = false
    @OptionGroup var codec: CodecOptions
    @OptionGroup var jitterBuffer: JitterBufferOptions
    @OptionGroup var output: OutputOptions
    @OptionGroup var speechQuality: SpeechQualityOptions

    func validate() throws {
        try checkDuration(duration)
    }

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
                spec.durationSeconds = min(try WAVReader.info(path: input).duration + 1, ScenarioResolver.maxDurationSeconds)
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
        try output.runAndReport(resolved, speechQuality: speechQuality.scope)
    }
}

/// `concord-bench record-trace`: a trace of a simulated path, in the format `trace` replays.
struct RecordTraceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "record-trace",
        abstract: "Record what a SimNet preset does to a 50 packet/s stream, as a trace CSV.")

    @Option(help: "The preset (see `concord-bench presets`).") var network: String
    @Option(parsing: .unconditional, help: "Seconds of traffic, up to 3600.") var duration: Double = 30
    @Option(parsing: .unconditional, help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Output CSV file.") var out: String

    func validate() throws {
        guard duration > 0, duration <= 3_600 else {
            throw ValidationError("--duration must be more than 0 and at most 3600 s, not \(shown(duration))")
        }
    }

    func run() throws {
        // The file first: an unwritable path fails now, not after the recording.
        try OutputCheck.prepareFile(out, flag: "--out")
        let csv: String
        do {
            csv = try TraceRecorder.record(preset: network, seconds: duration, seed: seed)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
        try OutputCheck.write(csv, to: out, flag: "--out")
        print("wrote \(out)")
    }
}
