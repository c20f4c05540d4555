import ArgumentParser
import ConcordBench
import Foundation

/// Codec settings; each given flag overrides the scenario's value.
struct CodecOptions: ParsableArguments {
    @Option(help: "Opus bitrate, bits/s (6000...510000).") var bitrate: Int?
    @Option(name: .customLong("frame-ms"), help: "Frame duration: 10, 20, 40 or 60 ms.") var frameMs: Int?
    @Option(help: "Opus complexity 0...10.") var complexity: Int?
    @Flag(inversion: .prefixedNo, help: "Opus in-band FEC.") var fec: Bool?
    @Option(name: .customLong("expected-loss"), help: "Loss % the encoder plans FEC for.") var expectedLoss: Int?
    @Flag(inversion: .prefixedNo, help: "Opus DTX (silence is not sent).") var dtx: Bool?
    @Flag(help: "Constant bitrate instead of VBR.") var cbr = false
    @Option(help: "Earlier frames repeated in each packet (RED), 0...8.") var redundancy: Int?

    func apply(to codec: inout CodecSpec) {
        if let bitrate { codec.bitrate = bitrate }
        if let frameMs { codec.frameMs = frameMs }
        if let complexity { codec.complexity = complexity }
        if let fec { codec.fec = fec }
        if let expectedLoss { codec.expectedLossPercent = expectedLoss }
        if let dtx { codec.dtx = dtx }
        if cbr { codec.vbr = false }
        if let redundancy { codec.redundancy = redundancy }
    }
}

/// Jitter-buffer settings; each given flag overrides the scenario's value.
struct JitterBufferOptions: ParsableArguments {
    @Option(name: .customLong("jitter-buffer"), help: "adaptive, or fixed:MS (e.g. fixed:60).") var jitterBuffer: String?
    @Option(name: .customLong("jb-min-ms"), help: "Adaptive target floor, ms.") var minMs: Int?
    @Option(name: .customLong("jb-max-ms"), help: "Adaptive target ceiling, ms.") var maxMs: Int?

    func validate() throws {
        if let mode = jitterBuffer, Self.parse(mode) == nil {
            throw ValidationError("--jitter-buffer must be 'adaptive' or 'fixed:MS', not '\(mode)'")
        }
    }

    static func parse(_ text: String) -> (mode: String, fixedMs: Int?)? {
        if text == "adaptive" { return ("adaptive", nil) }
        if text.hasPrefix("fixed:"), let ms = Int(text.dropFirst(6)) { return ("fixed", ms) }
        return nil
    }

    func apply(to spec: inout JitterBufferSpec) {
        if let mode = jitterBuffer.flatMap(Self.parse) {
            spec.mode = mode.mode
            spec.fixedMs = mode.fixedMs
        }
        if let minMs { spec.minMs = minMs }
        if let maxMs { spec.maxMs = maxMs }
    }
}

/// Network settings for all links; each given flag overrides the scenario's value.
struct NetworkOptions: ParsableArguments {
    @Option(help: "A SimNet preset for every link (see `concord-bench presets`).") var network: String?
    @Option(name: .customLong("delay-ms"), help: "One-way base delay, ms.") var delayMs: Double?
    @Option(name: .customLong("jitter-ms"), help: "Jitter (standard deviation), ms.") var jitterMs: Double?
    @Option(help: "Random (Bernoulli) loss, %.") var loss: Double?

    func apply(to links: inout LinkSpec) {
        if let network { links.preset = network }
        if let delayMs { links.delayMs = delayMs }
        if let jitterMs { links.jitterMs = jitterMs }
        if let loss {
            links.lossPercent = loss
            links.gilbertElliott = nil
        }
    }
}

struct OutputOptions: ParsableArguments {
    @Option(help: "Output folder (default: a new folder under ./bench-results/).") var out: String?
    @Option(help: "Random seed (overrides the scenario's).") var seed: UInt64?
    @Flag(help: "No progress line on stderr.") var quiet = false

    /// Runs `scenario` with a progress line, writes the outputs and prints the summary.
    func runAndReport(_ scenario: ResolvedScenario) throws {
        let directory = directory(for: scenario.name)
        let progress = ProgressLine(total: scenario.durationSeconds, quiet: quiet)
        let outcome = try BenchRun.execute(scenario, progress: progress.update)
        progress.finish()
        try BenchRun.write(outcome, to: directory)
        print(ReportWriter.summary(outcome.report))
        print("results: \(directory)/report.html")
    }

    func directory(for name: String) -> String {
        if let out { return out }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return "bench-results/\(name)-\(stamp)"
    }
}

/// A clear message and a non-zero exit for a scenario that cannot run.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}

/// Prints "simulated X/Y s" on stderr, once the run has taken longer than two wall seconds.
final class ProgressLine {
    private let total: Double
    private let start = Date()
    private let quiet: Bool
    private var shown = false

    init(total: Double, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func update(_ done: Double) {
        let elapsed = Date().timeIntervalSince(start)
        guard !quiet, elapsed > 2 else { return }
        shown = true
        let line = String(format: "\rsimulated %.0f/%.0f s (%.1f× real time)", done, total, done / elapsed)
        FileHandle.standardError.write(line.data(using: .utf8)!)
    }

    func finish() {
        if shown { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}
