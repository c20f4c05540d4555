import ConcordBench
import Foundation
import Synchronization

/// Independent single-threaded simulations, `jobs` at a time, with one progress line: how
/// `sweep` and `compare` use every core (a run's own parallelism would fight the others').
enum ConcurrentRuns {
    /// The reports in the order of `scenarios`; the first failure, named by its scenario, ends it.
    static func execute(
        _ scenarios: [ResolvedScenario], speechQuality: SpeechQualityScope = .none, jobs: Int, quiet: Bool, label: String
    ) throws -> [BenchReport] {
        let results = Mutex<[Int: BenchReport]>([:])
        let failures = Mutex<[String]>([])
        let done = Atomic<Int>(0)
        let started = Date()
        let terminal = isatty(STDERR_FILENO) == 1
        let total = scenarios.count
        let queue = DispatchQueue(label: label, attributes: .concurrent)
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: jobs)
        for (index, scenario) in scenarios.enumerated() {
            slots.wait()
            queue.async(group: group) {
                defer { slots.signal() }
                do {
                    let outcome = try BenchRun.execute(scenario, parallel: false, speechQuality: speechQuality)
                    results.withLock { $0[index] = outcome.report }
                } catch {
                    failures.withLock { $0.append("\(scenario.name): \(error)") }
                }
                let n = done.add(1, ordering: .relaxed).newValue
                if !quiet {
                    // `\r` only on a terminal; a pipe or CI log gets one plain line per run.
                    let line = "\(label): " + String(format: "%d/%d runs (%.0f s)", n, total, Date().timeIntervalSince(started))
                    ProgressLine.write(terminal ? "\r" + line : line + "\n")
                }
            }
        }
        group.wait()
        if !quiet && terminal { ProgressLine.write("\n") }
        if let first = failures.withLock({ $0.first }) { throw BenchFailure(description: first) }
        let reports = results.withLock { $0 }
        return scenarios.indices.compactMap { reports[$0] }
    }
}
