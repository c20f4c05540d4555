import Concord
import Foundation
import Logging

/// One benchmark run end to end: simulate, analyse every stream, write the outputs.
public enum BenchRun {
    public struct Outcome: Sendable {
        public var report: BenchReport
        public var timelines: [StreamTimeline]
        public var simulation: Simulation.Result
    }

    /// Simulates `scenario` and computes its report (no files written). `parallel`: use every
    /// core within this run (see `Simulation.run`); a sweep turns it off and runs several at once.
    public static func execute(
        _ scenario: ResolvedScenario, parallel: Bool = true, logger: Logger = Logger(label: "concord.bench"),
        progress: ((Double) -> Void)? = nil
    ) throws -> Outcome {
        let wallStart = Date()
        let result = try Simulation(scenario: scenario, logger: logger).run(parallel: parallel, progress: progress)
        let simulationWall = Date().timeIntervalSince(wallStart)
        let records = UncheckedSendable(result.records)
        let slots = UncheckedSendable(
            UnsafeMutableBufferPointer<(report: StreamReport, timeline: StreamTimeline)>.allocate(capacity: records.value.count))
        defer { slots.value.deallocate() }
        parallelFor(records.value.count, workers: parallel ? ProcessInfo.processInfo.activeProcessorCount : 1) { i in
            slots.value.initializeElement(at: i, to: StreamAnalyzer.analyze(records.value[i]))
        }
        let analysed = (0..<records.value.count).map { slots.value.moveElement(from: $0) }
        let streams = analysed.map(\.report)
        let report = BenchReport(
            scenario: scenario.name, seed: scenario.seed, simulatedSeconds: result.simulatedSeconds,
            wallSeconds: Date().timeIntervalSince(wallStart), simulationWallSeconds: simulationWall, cpuSeconds: result.cpuSeconds,
            cpuCodecSeconds: result.cpuCodecSeconds, network: scenario.networkSummary, streams: streams,
            room: StreamAnalyzer.room(streams, participants: scenario.participants.count), membership: result.membership,
            security: result.security)
        return Outcome(report: report, timelines: analysed.map(\.timeline), simulation: result)
    }

    /// Writes report.json/csv/html and the listeners' WAVs (the mix, and one track per remote
    /// talker) into `directory`.
    public static func write(_ outcome: Outcome, to directory: String) throws {
        _ = try ReportWriter.write(report: outcome.report, timelines: outcome.timelines, to: directory)
        let dir = URL(fileURLWithPath: directory)
        for mix in outcome.simulation.mixes {
            try WAVWriter.write(path: dir.appendingPathComponent("\(fileSafe(mix.name)).mix.wav").path, samples: mix.samples)
        }
        for record in outcome.simulation.records {
            try WAVWriter.write(
                path: dir.appendingPathComponent("\(fileSafe(record.to)).from-\(fileSafe(record.from)).wav").path,
                samples: record.track)
        }
    }

    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}
