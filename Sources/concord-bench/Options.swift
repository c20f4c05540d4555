import ArgumentParser
import ConcordBench
import Foundation
import PacketCapture

/// Codec settings; each given flag overrides the scenario's value.
struct CodecOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Opus bitrate, bits/s (6000...510000).") var bitrate: Int?
    @Option(name: .customLong("frame-ms"), parsing: .unconditional, help: "Frame duration: 10, 20, 40 or 60 ms.") var frameMs: Int?
    @Option(parsing: .unconditional, help: "Opus complexity 0...10.") var complexity: Int?
    @Flag(inversion: .prefixedNo, help: "Opus in-band FEC.") var fec: Bool?
    @Option(name: .customLong("expected-loss"), parsing: .unconditional, help: "Loss % the encoder plans FEC for.") var expectedLoss: Int?
    @Flag(inversion: .prefixedNo, help: "Opus DTX (silence is not sent).") var dtx: Bool?
    @Flag(help: "Constant bitrate instead of VBR.") var cbr = false
    @Option(parsing: .unconditional, help: "Earlier frames repeated in each packet (RED), 0...8.") var redundancy: Int?
    @Option(
        name: .customLong("copy-bitrate"), parsing: .unconditional,
        help: "Bitrate of the redundant copies, bits/s, from a second encoder (default: repeat the primary; 16000 adaptive).")
    var copyBitrate: Int?
    @Option(help: "fixed (FEC and redundancy as set) or adaptive (chosen from the listeners' reports).")
    var protection: CodecSpec.Protection?

    func apply(to codec: inout CodecSpec) {
        if let bitrate { codec.bitrate = bitrate }
        if let frameMs { codec.frameMs = frameMs }
        if let complexity { codec.complexity = complexity }
        if let fec { codec.fec = fec }
        if let expectedLoss { codec.expectedLossPercent = expectedLoss }
        if let dtx { codec.dtx = dtx }
        if cbr { codec.vbr = false }
        if let redundancy { codec.redundancy = redundancy }
        if let copyBitrate { codec.copyBitrate = copyBitrate }
        if let protection { codec.protection = protection }
    }
}

/// Jitter-buffer settings; each given flag overrides the scenario's value.
struct JitterBufferOptions: ParsableArguments {
    @Option(
        name: .customLong("jitter-buffer"),
        help: "adaptive, fixed:MS (e.g. fixed:60), or neteq (WebRTC's NetEq in place of Concord's buffer and decoder).")
    var jitterBuffer: String?
    @Option(name: .customLong("jb-min-ms"), parsing: .unconditional, help: "Adaptive target floor, ms.") var minMs: Int?
    @Option(name: .customLong("jb-max-ms"), parsing: .unconditional, help: "Adaptive target ceiling, ms.") var maxMs: Int?

    func validate() throws {
        guard let text = jitterBuffer else { return }
        guard let mode = Self.parse(text) else {
            throw ValidationError("--jitter-buffer must be 'adaptive', 'fixed:MS' or 'neteq', not '\(text)'")
        }
        if mode.mode == .neteq, let flag = minMs != nil ? "--jb-min-ms" : maxMs != nil ? "--jb-max-ms" : nil {
            throw ValidationError(
                "\(flag) sets Concord's jitter buffer; --jitter-buffer neteq runs WebRTC's NetEq with its own default settings")
        }
    }

    static func parse(_ text: String) -> (mode: JitterBufferSpec.Mode, fixedMs: Int?)? {
        if text == "adaptive" { return (.adaptive, nil) }
        if text == "neteq" { return (.neteq, nil) }
        if text.hasPrefix("fixed:"), let ms = Int(text.dropFirst(6)) { return (.fixed, ms) }
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
    @Option(name: .customLong("delay-ms"), parsing: .unconditional, help: "One-way base delay, ms.") var delayMs: Double?
    @Option(name: .customLong("jitter-ms"), parsing: .unconditional, help: "Jitter (standard deviation), ms.") var jitterMs: Double?
    @Option(parsing: .unconditional, help: "Random (Bernoulli) loss, %.") var loss: Double?

    func validate() throws {
        try checkRange("--delay-ms", delayMs, 0...60_000, unit: "ms")
        try checkRange("--jitter-ms", jitterMs, 0...10_000, unit: "ms")
        try checkRange("--loss", loss, 0...100, unit: "%")
    }

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
    @Option(parsing: .unconditional, help: "Random seed (overrides the scenario's).") var seed: UInt64?
    @Flag(help: "No progress line on stderr.") var quiet = false

    /// Runs `scenario` with a progress line, writes the outputs and prints the summary. The
    /// output folder, the temporary disk and the capture file (`pcap`) are checked first: a long
    /// run never ends in an unwritable folder or a full disk.
    func runAndReport(_ scenario: ResolvedScenario, speechQuality: SpeechQualityScope, pcap: String? = nil) throws {
        let directory = directory(for: scenario.name)
        let spill = Simulation.spillBytes(scenario)
        // The outputs: 16-bit WAVs of every track and mix (half the spill), plus the reports.
        try OutputCheck.prepareDirectory(directory, flag: "--out", needsBytes: spill / 2)
        try OutputCheck.requireSpace(spill, in: NSTemporaryDirectory(), purpose: "the run's temporary tracks")
        let capture = try pcap.map(Self.createCapture)
        let progress = ProgressLine(total: scenario.durationSeconds, quiet: quiet)
        let outcome: BenchRun.Outcome
        do {
            outcome = try BenchRun.execute(scenario, speechQuality: speechQuality, capture: capture, progress: progress.update)
        } catch {
            progress.finish()
            try? capture?.close()
            throw BenchFailure(description: "the run failed: \(error)")
        }
        progress.finish()
        if let capture { try Self.finish(capture) }
        do {
            try BenchRun.write(outcome, to: directory)
        } catch {
            throw BenchFailure(description: "cannot write the results to \(directory): \(OutputCheck.sentence(error))")
        }
        print(ReportWriter.summary(outcome.report))
        print("results: \(directory)/report.html")
        if let capture { print("capture: \(capture.path) (\(capture.recordCount) datagrams)") }
    }

    /// Runs `scenario` with real clients (`LiveRun`), then in virtual time, and writes the live
    /// report with its comparison; the virtual run's outputs go to `virtual/` beside it.
    func runLiveAndReport(_ given: ResolvedScenario, client: String, port: UInt16, speechQuality: SpeechQualityScope) throws {
        let scenario = LivePlan.asRun(given)
        do {
            try LiveRun.check(scenario, client: client)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
        let directory = directory(for: scenario.name + "-live")
        let spill = Simulation.spillBytes(scenario)
        try OutputCheck.prepareDirectory(directory, flag: "--out", needsBytes: spill)
        let terminal = isatty(STDERR_FILENO) == 1 && !quiet
        if !quiet {
            ProgressLine.write(
                "running \(scenario.participants.count) concord clients live through the relay on port \(port) for \(shown(scenario.durationSeconds)) s\n")
        }
        let live: LiveRun.Outcome
        do {
            live = try LiveRun.execute(scenario, client: client, port: port, directory: directory, speechQuality: speechQuality) { seconds in
                if terminal { ProgressLine.write(String(format: "\rlive %.0f/%.0f s", seconds, scenario.durationSeconds)) }
            }
        } catch {
            if terminal { ProgressLine.write("\n") }
            throw BenchFailure(description: "the live run failed: \(error)")
        }
        if terminal { ProgressLine.write("\n") }
        let progress = ProgressLine(total: scenario.durationSeconds, quiet: quiet)
        let virtual: BenchRun.Outcome
        do {
            virtual = try BenchRun.execute(scenario, speechQuality: speechQuality, progress: progress.update)
        } catch {
            progress.finish()
            throw BenchFailure(description: "the virtual-time run failed: \(error)")
        }
        progress.finish()
        var outcome = live
        outcome.report.live = LiveComparisonReport(
            live: live.report, virtual: virtual.report, frameMs: Double(scenario.codec.frameMilliseconds), relay: live.relay,
            engineStallMs: live.engineStallMs)
        do {
            try LiveRun.write(outcome, to: directory)
            try BenchRun.write(virtual, to: directory + "/virtual")
        } catch {
            throw BenchFailure(description: "cannot write the results to \(directory): \(OutputCheck.sentence(error))")
        }
        print(ReportWriter.summary(outcome.report))
        print("results: \(directory)/report.html (the virtual-time run: \(directory)/virtual/report.html)")
    }

    private static func createCapture(_ path: String) throws -> PacketCaptureFile {
        do {
            return try PacketCaptureFile(path: path)
        } catch {
            throw BenchFailure(description: "--pcap \(error.path) cannot be written: \(error.reason)")
        }
    }

    /// Closes the capture; says so when a datagram was too long for an IP datagram.
    private static func finish(_ capture: PacketCaptureFile) throws {
        do {
            try capture.close()
        } catch {
            throw BenchFailure(description: "writing --pcap \(error.path) failed: \(error.reason)")
        }
        let cut = capture.cutDatagrams
        if cut > 0 {
            ProgressLine.write(
                "note: --pcap \(capture.path): \(cut) datagram(s) longer than an IP datagram can carry were cut to its largest payload\n")
        }
    }

    func directory(for name: String) -> String {
        if let out { return out }
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        return "bench-results/\(name)-\(stamp)"
    }
}

/// Which streams of a run ViSQOL scores.
struct SpeechQualityOptions: ParsableArguments {
    @Option(
        name: .customLong("speech-quality"),
        help: """
            ViSQOL speech quality per stream: auto (every stream when the room has at most \(SpeechQualityScope.autoStreamLimit)), \
            all, or none.
            """)
    var scope: SpeechQualityScope = .auto
}

extension SpeechQualityScope: ExpressibleByArgument {}

/// A clear message and a non-zero exit for a scenario that cannot run.
struct BenchFailure: Error, CustomStringConvertible {
    var description: String
}

/// `value` within `range`, or a usage error naming the flag and the allowed range.
func checkRange(_ flag: String, _ value: Double?, _ range: ClosedRange<Double>, unit: String) throws {
    guard let value else { return }
    guard range.contains(value) else {
        throw ValidationError("\(flag) must be within \(shown(range.lowerBound))...\(shown(range.upperBound)) \(unit), not \(shown(value))")
    }
}

func checkRange(_ flag: String, _ value: Int?, _ range: ClosedRange<Int>, unit: String) throws {
    try checkRange(flag, value.map(Double.init), Double(range.lowerBound)...Double(range.upperBound), unit: unit)
}

/// A number as people write it: 60000, -5, 0.5, 1e+09.
func shown(_ value: Double) -> String { String(format: "%g", value) }

/// Prints "simulated X/Y s" on stderr, once the run has taken longer than two wall seconds.
/// On a terminal the line rewrites itself (`\r`); into a pipe or a CI log, where `\r` would
/// pile up as one unreadable line, it prints a plain line at most every ten wall seconds.
final class ProgressLine {
    private let total: Double
    private let start = Date()
    private let quiet: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private var shown = false
    private var lastPlainLine = 0.0
    private var finalLineShown = false

    init(total: Double, quiet: Bool) {
        self.total = total
        self.quiet = quiet
    }

    func update(_ done: Double) {
        let elapsed = Date().timeIntervalSince(start)
        guard !quiet, elapsed > 2 else { return }
        let text = String(format: "simulated %.0f/%.0f s (%.1f× real time)", done, total, done / elapsed)
        if terminal {
            shown = true
            Self.write("\r" + text)
        } else if !finalLineShown, elapsed - lastPlainLine >= 10 || done >= total {
            lastPlainLine = elapsed
            finalLineShown = done >= total
            Self.write(text + "\n")
        }
    }

    func finish() {
        if shown { Self.write("\n") }
    }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
extension CodecSpec.Protection: ExpressibleByArgument {}
