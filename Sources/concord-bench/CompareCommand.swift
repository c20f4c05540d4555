import ArgumentParser
import ConcordBench
import Foundation

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run two scenarios of the same room over the same seeds and compare them metric by metric.",
        discussion: """
            Typically the same scenario with one thing changed (the jitter buffer, FEC, the bitrate).
            Run k of each uses seed + k, so both see the same network draws and traces; for every
            room and stream metric it reports both means, the paired difference B − A and its 95 %
            confidence interval over the seeds (Student's t). Writes compare.json and compare.csv.
            Example: concord-bench compare fixtures/two-person-lan.scenario.json my-variant.json --seeds 5
            """)

    @Argument(help: "Scenario A (JSON, schema in the README).") var first: String
    @Argument(help: "Scenario B: the same participants.") var second: String
    @Option(parsing: .unconditional, help: "Seeds (seed, seed+1, …), 1...1000; two at least for an interval.") var seeds: Int = 5
    @Option(parsing: .unconditional, help: "Simulated seconds of both, up to 3600 (default: each scenario's).") var duration: Double?
    @Option(parsing: .unconditional, help: "Simulations at once (default: all cores), 1...256.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var output: OutputOptions
    @OptionGroup var speechQuality: SpeechQualityOptions

    func validate() throws {
        try checkRange("--seeds", seeds, 1...1_000, unit: "seeds")
        try checkRange("--jobs", jobs, 1...256, unit: "simulations")
        try checkDuration(duration)
    }

    /// The scenario in `path`, run for `duration` seconds when given.
    func load(_ path: String) throws -> ResolvedScenario {
        var spec = try ScenarioLoader.decode(path: path)
        if let duration { spec.durationSeconds = duration }
        return try ScenarioResolver.resolve(spec, file: path, baseDirectory: URL(fileURLWithPath: path).deletingLastPathComponent().path)
    }

    func run() throws {
        let a = try load(first)
        let b = try load(second)
        if let difference = Comparison.participantDifference(a: a.participants.map(\.name), b: b.participants.map(\.name)) {
            throw BenchFailure(description: "cannot compare \(first) with \(second): \(difference)")
        }
        let base = output.seed ?? a.seed
        let seedList = (0..<seeds).map { base &+ UInt64($0) }
        let runs = seedList.flatMap { seed in
            [a, b].map { scenario in
                var s = scenario
                s.seed = seed
                return s
            }
        }
        // The output folder before the runs: a comparison never ends in an unwritable folder.
        let out = output.directory(for: "compare-\(a.name)-\(b.name)")
        try OutputCheck.prepareDirectory(out, flag: "--out", needsBytes: 1_000_000)
        let spill = runs.map { Simulation.spillBytes($0) }.max() ?? 0
        try OutputCheck.requireSpace(
            spill * min(jobs, runs.count), in: NSTemporaryDirectory(), purpose: "the runs' temporary tracks")
        let reports = try ConcurrentRuns.execute(runs, speechQuality: speechQuality.scope, jobs: jobs, quiet: output.quiet, label: "compare")
        let rows = Comparison.rows(
            a: stride(from: 0, to: reports.count, by: 2).map { reports[$0] },
            b: stride(from: 1, to: reports.count, by: 2).map { reports[$0] })
        do {
            try Comparison.write(rows, a: first, b: second, seeds: seedList, to: out)
        } catch {
            throw BenchFailure(description: "cannot write the results to \(out): \(OutputCheck.sentence(error))")
        }
        print("A = \(first)\nB = \(second)\n\(seeds) seeds from \(base); room metrics (streams in compare.csv):")
        print("metric".padding(toLength: 32, withPad: " ", startingAt: 0) + "         A          B      B − A   95 % interval")
        for row in rows where row.scope == "room" {
            let interval = row.low.map { String(format: "[%.4g, %.4g]", $0, row.high ?? $0) } ?? "(one seed)"
            print(
                row.metric.padding(toLength: 32, withPad: " ", startingAt: 0)
                    + String(format: "%10.4g %10.4g %10.4g   ", row.a, row.b, row.difference) + interval
                    + (row.isSignificant ? "  *" : ""))
        }
        print("* the interval excludes 0\nresults: \(out)/compare.csv")
    }
}
