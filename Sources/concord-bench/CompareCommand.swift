import ArgumentParser
import ConcordBench
import Foundation

/// `concord-bench compare A.json B.json`: both scenarios over the same seeds, every metric side
/// by side with the paired difference and its 95 % interval.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Run two scenarios over the same seeds; per metric both values, B − A and its 95 % interval.",
        discussion: """
            The scenarios must have the same participants speaking from the same files (e.g. one
            with "jitter_buffer": {"mode": "neteq"}). Each run is reduced to the mean over its
            streams; the interval is Student's t over the per-seed differences.
            Example: concord-bench compare fixtures/two-person-lan.scenario.json my-variant.scenario.json --seeds 5
            """)

    @Argument(help: "Scenario A (JSON).") var a: String
    @Argument(help: "Scenario B (JSON).") var b: String
    @Option(parsing: .unconditional, help: "Seeds (seed, seed+1, …), 2...1000.") var seeds: Int = 5
    @Option(parsing: .unconditional, help: "First seed (default: scenario A's).") var seed: UInt64?
    @Option(parsing: .unconditional, help: "Simulated seconds of both, up to 3600 (default: each scenario's).") var duration: Double?
    @Option(parsing: .unconditional, help: "Simulations at once (default: all cores), 1...256.")
    var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Print JSON instead of a table.") var json = false
    @Flag(help: "No progress line on stderr.") var quiet = false

    func validate() throws {
        try checkRange("--seeds", seeds, 2...1_000, unit: "seeds")
        try checkRange("--jobs", jobs, 1...256, unit: "simulations")
        try checkDuration(duration)
    }

    func run() throws {
        let first = try load(a)
        let start = seed ?? first.seed
        let sideA = try resolve(a, start: start)
        let sideB = try resolve(b, start: start)
        if let a = sideA.first, let b = sideB.first {
            let differences = participantDifferences(a, b)
            guard differences.isEmpty else {
                throw BenchFailure(
                    description: "\(self.a) and \(self.b) cannot be compared stream for stream: \(differences.joined(separator: "; "))")
            }
        }
        let reports = try ParallelRuns.execute(sideA + sideB, jobs: jobs, quiet: quiet, label: "compare")
        let comparisons = PairedComparison.compare(
            (0..<seeds).compactMap { reports[$0] }, (0..<seeds).compactMap { reports[seeds + $0] })
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(comparisons), as: UTF8.self))
            return
        }
        print("A: \(a)\nB: \(b)\nseeds \(start)…\(start &+ UInt64(seeds - 1))\n")
        print("metric".padding(toLength: 30, withPad: " ", startingAt: 0) + "         A          B      B − A   95 % interval")
        for c in comparisons {
            let interval = c.low.flatMap { low in c.high.map { String(format: "[%.3f, %.3f]", low, $0) } } ?? "—"
            print(
                c.metric.padding(toLength: 30, withPad: " ", startingAt: 0)
                    + String(format: "%10.3f %10.3f %10.3f   ", c.a, c.b, c.difference) + interval)
        }
    }

    private func load(_ path: String) throws -> Scenario {
        do {
            return try ScenarioLoader.decode(path: path)
        } catch {
            throw BenchFailure(description: "\(error)")
        }
    }

    /// `path` at seeds start, start+1, …, checked before any run.
    private func resolve(_ path: String, start: UInt64) throws -> [ResolvedScenario] {
        var spec = try load(path)
        if let duration { spec.durationSeconds = duration }
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try (0..<seeds).map { k in
            spec.seed = start &+ UInt64(k)
            do {
                return try ScenarioResolver.resolve(spec, file: path, baseDirectory: base)
            } catch {
                throw BenchFailure(description: "\(error)")
            }
        }
    }
}
