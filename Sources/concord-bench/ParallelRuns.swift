import ConcordBench
import Foundation
import Synchronization

/// Runs independent simulations `jobs` at a time, each single-threaded, with a progress line.
enum ParallelRuns {
    /// The reports by index of `scenarios`; the first failure is thrown once all have ended.
    static func execute(_ scenarios: [ResolvedScenario], jobs: Int, quiet: Bool, label: String) throws -> [Int: BenchReport] {
        let terminal = isatty(STDERR_FILENO) == 1
        let results = Mutex<[Int: BenchReport]>([:])
        let failures = Mutex<[String]>([])
        let done = Atomic<Int>(0)
        let started = Date()
        let total = scenarios.count
        let queue = DispatchQueue(label: label, attributes: .concurrent)
        let group = DispatchGroup()
        let slots = DispatchSemaphore(value: jobs)
        for (index, scenario) in scenarios.enumerated() {
            slots.wait()
            queue.async(group: group) {
                defer { slots.signal() }
                do {
                    let outcome = try BenchRun.execute(scenario, parallel: false)
                    results.withLock { $0[index] = outcome.report }
                } catch {
                    failures.withLock { $0.append("\(scenario.name): \(error)") }
                }
                let n = done.add(1, ordering: .relaxed).newValue
                if !quiet {
                    // `\r` only on a terminal; a pipe or CI log gets one plain line per run.
                    let line = label + String(format: ": %d/%d runs (%.0f s)", n, total, Date().timeIntervalSince(started))
                    ProgressLine.write(terminal ? "\r" + line : line + "\n")
                }
            }
        }
        group.wait()
        if !quiet && terminal { ProgressLine.write("\n") }
        if let first = failures.withLock({ $0.first }) { throw BenchFailure(description: first) }
        return results.withLock { $0 }
    }
}
