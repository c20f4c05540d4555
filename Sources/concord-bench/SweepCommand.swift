import ArgumentParser
import ConcordBench
import Foundation

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Vary one parameter over several values and seeds; independent runs use all cores.",
        discussion: """
            Parameters: \(SweepParameter.allCases.map(\.rawValue).joined(separator: ", ")).
            Example: concord-bench sweep --participant a=fixtures/a.wav --participant b=fixtures/b.wav \\
                       --parameter loss --values 0,2,5,10,20 --seeds 3 --fec
            Writes sweep.csv, sweep.json and sweep.html (one row per value: means over seeds).
            """)

    @OptionGroup var input: ScenarioOptions
    @Option(help: "The parameter to vary.") var parameter: SweepParameter
    @Option(parsing: .unconditional, help: "Comma-separated values (a negative one is refused with its range).") var values: String
    @Option(parsing: .unconditional, help: "Seeds per value (seed, seed+1, …), 1...1000.") var seeds: Int = 3
    @Option(parsing: .unconditional, help: "Simulations at once (default: all cores), 1...256.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var output: OutputOptions

    func validate() throws {
        try checkRange("--seeds", seeds, 1...1_000, unit: "seeds")
        try checkRange("--jobs", jobs, 1...256, unit: "simulations")
        guard !valueList.isEmpty else { throw ValidationError("--values needs at least one value") }
        guard valueList.count <= 1_000 else { throw ValidationError("--values takes at most 1000 values, not \(valueList.count)") }
    }

    var valueList: [String] { values.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }

    func run() throws {
        let (base, file, directory) = try input.specification(seed: output.seed)
        // Resolve every run first, so a bad value fails before any long work.
        var runs: [(value: String, scenario: ResolvedScenario)] = []
        for value in valueList {
            for k in 0..<seeds {
                var spec = base
                spec.seed = base.seed &+ UInt64(k)
                do {
                    try parameter.apply(value, to: &spec)
                    spec.name = "\(base.name)-\(parameter.rawValue)=\(value)"
                    runs.append((value, try ScenarioResolver.resolve(spec, file: file, baseDirectory: directory)))
                } catch {
                    throw BenchFailure(description: "--values \(value): \(error)")
                }
            }
        }
        // The output folder before the runs: a sweep never ends in an unwritable folder.
        let out = output.directory(for: "sweep-\(parameter.rawValue)")
        try OutputCheck.prepareDirectory(out, flag: "--out", needsBytes: 1_000_000)
        let spill = runs.map { Simulation.spillBytes($0.scenario) }.max() ?? 0
        try OutputCheck.requireSpace(
            spill * min(jobs, runs.count), in: NSTemporaryDirectory(), purpose: "the runs' temporary tracks")
        let reports = try ConcurrentRuns.execute(runs.map(\.scenario), jobs: jobs, quiet: output.quiet, label: "sweep")

        var rows: [SweepRow] = []
        for value in valueList {
            let matching = runs.indices.filter { runs[$0].value == value }.map { reports[$0] }
            rows.append(SweepRow.aggregate(parameter: parameter.rawValue, value: value, reports: matching))
        }
        do {
            try SweepReport.write(rows: rows, to: out, title: "\(base.name): \(parameter.rawValue)")
        } catch {
            throw BenchFailure(description: "cannot write the results to \(out): \(OutputCheck.sentence(error))")
        }
        for row in rows {
            print(
                "\(parameter.rawValue)=\(row.value)".padding(toLength: 24, withPad: " ", startingAt: 0)
                    + String(format: "MOS %.2f  latency p95 %.0f ms  conceal %.1f %%",
                             row.mosEmodel.mean, row.latencyMsP95.mean, 100 * row.concealmentRatio.mean))
        }
        print("results: \(out)/sweep.html")
    }
}

/// What `sweep` can vary, and how each value changes the scenario.
enum SweepParameter: String, CaseIterable, ExpressibleByArgument {
    case loss, delayMs = "delay-ms", jitterMs = "jitter-ms", network, bitrate, frameMs = "frame-ms", complexity, fec,
        expectedLoss = "expected-loss", redundancy, copyBitrate = "copy-bitrate", protection, jitterBuffer = "jitter-buffer"

    struct BadValue: Error, CustomStringConvertible { var description: String }

    func apply(_ value: String, to s: inout Scenario) throws {
        func number() throws -> Double {
            guard let v = Double(value) else { throw BadValue(description: "'\(value)' is not a number") }
            return v
        }
        func integer() throws -> Int {
            guard let v = Int(value) else { throw BadValue(description: "'\(value)' is not an integer") }
            return v
        }
        switch self {
        case .loss:
            s.network.links.lossPercent = try number()
            s.network.links.gilbertElliott = nil
        case .delayMs: s.network.links.delayMs = try number()
        case .jitterMs: s.network.links.jitterMs = try number()
        case .network: s.network.links.preset = value
        case .bitrate: s.codec.bitrate = try integer()
        case .frameMs: s.codec.frameMs = try integer()
        case .complexity: s.codec.complexity = try integer()
        case .expectedLoss: s.codec.expectedLossPercent = try integer()
        case .redundancy: s.codec.redundancy = try integer()
        case .copyBitrate: s.codec.copyBitrate = try integer()
        case .protection:
            guard let protection = CodecSpec.Protection(rawValue: value) else {
                throw BadValue(description: "'\(value)' is not fixed or adaptive")
            }
            s.codec.protection = protection
        case .fec:
            guard let on = ["on": true, "off": false, "true": true, "false": false][value] else {
                throw BadValue(description: "'\(value)' is not on/off")
            }
            s.codec.fec = on
        case .jitterBuffer:
            guard let mode = JitterBufferOptions.parse(value) else {
                throw BadValue(description: "'\(value)' is not adaptive, fixed:MS or neteq")
            }
            s.jitterBuffer.mode = mode.mode
            s.jitterBuffer.fixedMs = mode.fixedMs
        }
    }
}
