import AudioFiles
import Concord
import Foundation
import Logging
import PacketCapture
import SpeechQuality

/// One benchmark run end to end: simulate, analyse every stream, write the outputs.
public enum BenchRun {
    public struct Outcome: Sendable {
        public var report: BenchReport
        public var timelines: [StreamTimeline]
        public var simulation: Simulation.Result
    }

    /// Simulates `scenario` and computes its report (no files written but `capture`'s, see
    /// `Simulation.init`). `parallel`: use every core within this run (see `Simulation.run`); a
    /// sweep turns it off and runs several at once. `speechQuality`: which streams ViSQOL scores
    /// (the others' `quality` says why not); none unless asked, as scoring costs more CPU than
    /// the rest of the analysis (the CLI asks for `auto`).
    public static func execute(
        _ scenario: ResolvedScenario, parallel: Bool = true, speechQuality: SpeechQualityScope = .none,
        logger: Logger = Logger(label: "concord.bench"), capture: PacketCaptureFile? = nil,
        progress: ((Double) -> Void)? = nil
    ) throws -> Outcome {
        let wallStart = Date()
        let result = try Simulation(scenario: scenario, logger: logger, capture: capture).run(parallel: parallel, progress: progress)
        let simulationWall = Date().timeIntervalSince(wallStart)
        let analysed = try analyse(
            count: result.records.count, record: result.record, scenario: scenario, parallel: parallel, speechQuality: speechQuality)
        let streams = analysed.map(\.report)
        let report = BenchReport(
            scenario: scenario.name, seed: scenario.seed, simulatedSeconds: result.simulatedSeconds,
            wallSeconds: Date().timeIntervalSince(wallStart), simulationWallSeconds: simulationWall, cpuSeconds: result.cpuSeconds,
            cpuCodecSeconds: result.cpuCodecSeconds, network: scenario.networkSummary, jitterBuffer: scenario.jitterBufferSummary, streams: streams,
            room: StreamAnalyzer.room(streams, participants: scenario.participants.count), membership: result.membership,
            security: result.security, scenarioEvents: ScenarioEventReport.list(for: scenario),
            receiverReports: result.receiverReports, protection: result.protection, acoustics: result.acoustics)
        return Outcome(report: report, timelines: analysed.map(\.timeline), simulation: result)
    }

    /// Every stream's report and timeline; `record(i)` is called once per stream, from several
    /// threads when `parallel`.
    static func analyse(
        count: Int, record: @Sendable (Int) throws -> StreamRecord, scenario: ResolvedScenario, parallel: Bool,
        speechQuality: SpeechQualityScope
    ) throws -> [(report: StreamReport, timeline: StreamTimeline)] {
        let decision = speechQuality.decision(streams: count)
        let scorer: Swift.Result<SpeechQualityScorer, ViSQOLError>? =
            decision.score ? Swift.Result { () throws(ViSQOLError) in try SpeechQualityScorer() } : nil
        // One stream's track in memory per worker at a time: read back, analysed, scored, dropped.
        let slots = UncheckedSendable(
            UnsafeMutableBufferPointer<Swift.Result<(report: StreamReport, timeline: StreamTimeline), Error>>.allocate(
                capacity: count))
        defer { slots.value.deallocate() }
        parallelFor(count, workers: parallel ? ProcessInfo.processInfo.activeProcessorCount : 1) { i in
            slots.value.initializeElement(
                at: i,
                to: Swift.Result {
                    let record = try record(i)
                    var analysed = StreamAnalyzer.analyze(
                        record, crossCorrelation: .init(), learningArrivals: SteadyState.learningArrivals(scenario.jitterBuffer))
                    switch scorer {
                    case .success(let scorer)?:
                        analysed.report.quality = scorer.score(
                            record, spokenSeconds: scenario.durationSeconds, steadyFromSeconds: analysed.report.steadyState?.fromSeconds,
                            medianLatencyMs: analysed.report.steadyState?.latencyMs?.p50 ?? analysed.report.latencyMs?.p50)
                    case .failure(let error)?:
                        analysed.report.quality = .notScored("not scored: \(error.description)")
                    case nil:
                        analysed.report.quality = .notScored(decision.reason ?? "not scored")
                    }
                    return analysed
                })
        }
        let outcomes = (0..<count).map { slots.value.moveElement(from: $0) }
        return try outcomes.map { try $0.get() }
    }

    /// Writes report.json/csv/html, the time series, the listeners' WAVs (the mix, and one track
    /// per remote talker) and each talker's source (what its microphone captured) into `directory`.
    public static func write(_ outcome: Outcome, to directory: String) throws {
        _ = try ReportWriter.write(report: outcome.report, timelines: outcome.timelines, to: directory)
        let dir = URL(fileURLWithPath: directory)
        let simulation = outcome.simulation
        for (j, name) in simulation.mixNames.enumerated() {
            try WAVWriter.write(path: dir.appendingPathComponent("\(fileSafe(name)).mix.wav").path, samples: try simulation.mix(j))
        }
        try writeStreams(simulation.records, track: simulation.track, to: directory)
    }

    /// Writes each stream's track (`track(i)` for `records[i]`) and each talker's source once.
    static func writeStreams(_ records: [StreamRecord], track: (Int) throws -> [Float], to directory: String) throws {
        var written: Set<String> = []
        for (i, record) in records.enumerated() {
            try WAVWriter.write(path: directory + "/" + trackFile(listener: record.to, talker: record.from), samples: try track(i))
            if written.insert(record.from).inserted {
                try WAVWriter.write(path: directory + "/" + sourceFile(record.from), samples: record.source)
            }
        }
    }

    /// The listener's track of a talker, as `write` names it.
    public static func trackFile(listener: String, talker: String) -> String { "\(fileSafe(listener)).from-\(fileSafe(talker)).wav" }
    /// A talker's source, as `write` names it.
    public static func sourceFile(_ talker: String) -> String { "\(fileSafe(talker)).source.wav" }

    static func fileSafe(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "_" })
    }
}

/// A run that could not complete, in one sentence.
public struct BenchRunError: Error, CustomStringConvertible {
    public var description: String
    public init(description: String) { self.description = description }
}
