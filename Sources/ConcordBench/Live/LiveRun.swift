#if canImport(Glibc)
import Glibc
#endif
import AudioFiles
import Concord
import Foundation

/// A scenario run with real clients: one `concord join` process per participant, on loopback
/// through the scenario's network as a real-time relay (`LoopbackRelay`), in real time. The
/// processes start at their join times, are told to leave (SIGTERM) or killed (SIGKILL) at the
/// scenario's times, and play microphones rendered from the scenario's WAVs, offsets and talk
/// schedules; their stream logs become the bench's `StreamRecord`s, so the report is measured
/// as a simulated run's is.
///
/// Files, under `directory/live/NAME/`: `microphone.wav` (what the client's input plays),
/// `NAME.out.wav` (what it played), `summary.json`, `stream-log/`, `client.log` (its stderr and
/// stdout), and `home/` (its identity).
public enum LiveRun {
    public struct Outcome: Sendable {
        public var report: BenchReport
        public var timelines: [StreamTimeline]
        public var records: [StreamRecord]
        public var relay: RelayStatistics
        /// Each client's longest engine stall, ms (from its stream log; `EngineTiming`).
        public var engineStallMs: [String: Double]
    }

    /// A participant's process while the run lasts.
    private final class Client {
        let index: Int
        let name: String
        let folder: String
        var process: Process?
        var startedAt: Int64?
        var stoppedAt: Int64?
        /// It was told to stop (or killed); an exit before that is a failure.
        var stopping = false

        init(index: Int, name: String, folder: String) {
            self.index = index
            self.name = name
            self.folder = folder
        }
    }

    /// What `execute` checks before it starts anything: the scenario is one real clients can
    /// run (`LivePlan`) and `client` starts.
    public static func check(_ scenario: ResolvedScenario, client: String) throws(LiveRunError) {
        _ = try LivePlan(scenario)
        try checkClient(client)
    }

    /// Runs `scenario` live. `client`: the `concord` program. `progress`: seconds elapsed, about
    /// once a second.
    public static func execute(
        _ scenario: ResolvedScenario, client: String, port: UInt16, directory: String, speechQuality: SpeechQualityScope = .none,
        progress: ((Double) -> Void)? = nil
    ) throws -> Outcome {
        let plan = try LivePlan(scenario)
        try checkClient(client)
        let wallStart = Date()
        let totalSamples = Int((scenario.durationSeconds * Double(AudioFormat.sampleRate)).rounded())
        let folders = scenario.participants.map { directory + "/live/" + BenchRun.fileSafe($0.name) }
        let microphones = try renderMicrophones(scenario, totalSamples: totalSamples)
        for (i, folder) in folders.enumerated() {
            do {
                try FileManager.default.createDirectory(atPath: folder + "/home", withIntermediateDirectories: true)
                try WAVWriter.write(path: folder + "/microphone.wav", samples: microphones[i])
            } catch {
                throw LiveRunError.cannotWrite(path: folder, reason: "\(error)")
            }
        }

        let relay = try LoopbackRelay(scenario: scenario, port: port)
        let invite = RoomSecret.generate().inviteString
        let origin = LoopbackRelay.monotonicNanoseconds()
        let relayDone = DispatchSemaphore(value: 0)
        let relayStatistics = UncheckedSendable(Box<RelayStatistics>(RelayStatistics()))
        Thread.detachNewThread {
            relayStatistics.value.value = relay.run(for: nil, origin: origin)
            relayDone.signal()
        }

        let clients = scenario.participants.indices.map { Client(index: $0, name: scenario.participants[$0].name, folder: folders[$0]) }
        var actions: [(at: Double, client: Int, kind: Int)] = []  // kind 0 start, 1 stop
        for (i, p) in plan.participants.enumerated() {
            actions.append((p.startSeconds, i, 0))
            if let stop = p.stopSeconds, stop < scenario.durationSeconds { actions.append((stop, i, 1)) }
        }
        actions.sort { ($0.at, $0.kind) < ($1.at, $1.kind) }
        func now() -> Int64 { LoopbackRelay.monotonicNanoseconds() - origin }
        func sleep(until seconds: Double) {
            var nextProgress = Double(Int(Double(now()) / 1e9) + 1)
            while true {
                let left = seconds - Double(now()) / 1e9
                if left <= 0 { return }
                if let progress, Double(now()) / 1e9 >= nextProgress {
                    progress(nextProgress)
                    nextProgress += 1
                }
                usleep(UInt32(min(left, 0.05) * 1e6))
            }
        }
        // Each microphone file begins at its participant's join (`renderMicrophones`).
        let microphoneStarts = plan.participants.map { Int64(($0.startSeconds * 1e9).rounded()) }
        var failure: Error?
        for action in actions {
            sleep(until: action.at)
            let c = clients[action.client]
            if action.kind == 0 {
                do {
                    c.process = try launch(
                        client, arguments: arguments(
                            plan, i: c.index, relay: relay, invite: invite, folder: c.folder, name: c.name,
                            microphoneStartNanoseconds: origin + microphoneStarts[action.client]),
                        folder: c.folder)
                    c.startedAt = now()
                } catch {
                    failure = failure ?? error
                }
            } else if let process = c.process {
                c.stopping = true
                c.stoppedAt = now()
                kill(process.processIdentifier, plan.participants[c.index].crashes ? SIGKILL : SIGTERM)
            }
        }
        sleep(until: scenario.durationSeconds)
        let end = now()
        for c in clients where !c.stopping {
            if let process = c.process {
                c.stopping = true
                kill(process.processIdentifier, SIGTERM)
            }
        }
        for c in clients {
            guard let process = c.process else { continue }
            // Leaving finalizes WAVs and writes the summary: give a loaded machine time for it.
            let deadline = Date().addingTimeInterval(30)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        relay.stop()
        relayDone.wait()
        if let failure { throw failure }
        for c in clients {
            guard let process = c.process else { continue }
            let killed = plan.participants[c.index].crashes && c.stoppedAt != nil
            if !killed && (process.terminationReason != .exit || process.terminationStatus != 0) {
                throw LiveRunError.clientFailed(name: c.name, reason: exitSentence(process, log: c.folder + "/client.log"))
            }
        }

        // The logs, measured as a simulation's records are.
        var participants: [LiveRecords.Participant] = []
        var members: [LiveMembership.Participant] = []
        for c in clients {
            var log: StreamLogFolder?
            if c.process != nil {
                do {
                    log = try StreamLogFolder(directory: c.folder + "/stream-log")
                } catch {
                    throw LiveRunError.clientFailed(name: c.name, reason: "its stream log cannot be read: \(error)")
                }
            }
            participants.append(
                .init(name: c.name, log: log, microphone: microphones[c.index], microphoneStartNanoseconds: microphoneStarts[c.index]))
            members.append(
                .init(name: c.name, startedAt: c.startedAt, leftAt: c.stoppedAt, crashed: plan.participants[c.index].crashes, log: log))
        }
        let lookahead: Int
        do {
            lookahead = try OpusEncoder(settings: scenario.codec).lookaheadSamples
        } catch {
            throw BenchRunError(description: "the codec settings cannot make an encoder: \(error)")
        }
        let records = LiveRecords.build(
            participants, originNanoseconds: origin, frameSamples: scenario.codec.frameSamples, lookaheadSamples: lookahead,
            totalSamples: totalSamples)
        let analysed = try BenchRun.analyse(
            count: records.count, record: { records[$0] }, scenario: scenario, parallel: true, speechQuality: speechQuality)
        let streams = analysed.map(\.report)
        var childUsage = rusage()
        getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &childUsage)
        let childCPU = Double(childUsage.ru_utime.tv_sec + childUsage.ru_stime.tv_sec)
            + Double(childUsage.ru_utime.tv_usec + childUsage.ru_stime.tv_usec) / 1e6
        let report = BenchReport(
            scenario: scenario.name, seed: scenario.seed, simulatedSeconds: scenario.durationSeconds,
            wallSeconds: Date().timeIntervalSince(wallStart), simulationWallSeconds: Double(end) / 1e9,
            cpuSeconds: childCPU + relayStatistics.value.value.cpuSeconds, cpuCodecSeconds: 0, network: scenario.networkSummary,
            jitterBuffer: scenario.jitterBufferSummary, streams: streams,
            room: StreamAnalyzer.room(streams, participants: scenario.participants.count),
            membership: LiveMembership.report(members, scenario: scenario, originNanoseconds: origin, endNanoseconds: origin + end),
            scenarioEvents: ScenarioEventReport.list(for: scenario))
        var stalls: [String: Double] = [:]
        for p in participants { if let log = p.log { stalls[p.name] = log.longestStallMilliseconds } }
        return Outcome(
            report: report, timelines: analysed.map(\.timeline), records: records, relay: relayStatistics.value.value,
            engineStallMs: stalls)
    }

    /// Writes the report and each stream's track and each talker's source as `BenchRun.write`
    /// does (the clients' own outputs are already in `live/`).
    public static func write(_ outcome: Outcome, to directory: String) throws {
        _ = try ReportWriter.write(report: outcome.report, timelines: outcome.timelines, to: directory)
        try BenchRun.writeStreams(outcome.records, track: { outcome.records[$0].track }, to: directory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(outcome.relay).write(to: URL(fileURLWithPath: directory + "/relay.json"))
    }

    /// The `concord join` command line of participant `i`. Its microphone file starts at its join
    /// time on the run's clock, `microphoneStartNanoseconds` (CLOCK_MONOTONIC), as the simulated
    /// participant's does, not when the process gets to it.
    static func arguments(
        _ plan: LivePlan, i: Int, relay: LoopbackRelay, invite: String, folder: String, name: String, microphoneStartNanoseconds: Int64
    ) -> [String] {
        ["join", plan.roomID, "--client-id", name] + relay.layout.joinArguments(i) + ["--invite", invite]
            + plan.engineArguments
            + [
                "--input-wav", folder + "/microphone.wav", "--input-wav-start-ns", "\(microphoneStartNanoseconds)",
                "--output-wav", folder + "/" + BenchRun.fileSafe(name) + ".out.wav",
                "--summary-json", folder + "/summary.json", "--stream-log", folder + "/stream-log",
            ]
    }

    /// What each participant's microphone plays from the moment its client starts: the
    /// scenario's speech (WAV, offset, loop, talk schedule) from its join time to its leave or
    /// crash, as a simulated participant hears it.
    static func renderMicrophones(_ scenario: ResolvedScenario, totalSamples: Int) throws -> [[Float]] {
        let rate = Double(AudioFormat.sampleRate)
        var cache: [String: [Float]] = [:]
        return try scenario.participants.map { p in
            let startSample = min(totalSamples, Int((p.joinSeconds * rate).rounded()))
            let stopSeconds = min(p.crashSeconds ?? p.leaveSeconds ?? scenario.durationSeconds, scenario.durationSeconds)
            let stopSample = max(startSample, min(totalSamples, Int((stopSeconds * rate).rounded())))
            guard let path = p.wavPath else { return [Float](repeating: 0, count: stopSample - startSample) }
            let wav: [Float]
            if let cached = cache[path] {
                wav = cached
            } else {
                do {
                    wav = try WAVReader.readMono48k(path: path)
                } catch {
                    throw BenchRunError(description: "\(path): \(error)")
                }
                cache[path] = wav
            }
            return Array(SourceSignal.build(wav: wav, participant: p, totalSamples: stopSample)[startSample..<stopSample])
        }
    }

    /// The client program starts and answers `join --help`, or the reason it does not.
    static func checkClient(_ path: String) throws(LiveRunError) {
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw .clientUnavailable(path: path, reason: "no executable file there (build it with `swift build --product concord`, or give --client)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["join", "--help"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw .clientUnavailable(path: path, reason: "it does not start: \(error.localizedDescription)")
        }
        process.waitUntilExit()
        guard process.terminationReason == .exit, process.terminationStatus == 0 else {
            throw .clientUnavailable(path: path, reason: "`\(path) join --help` failed (is it concord?)")
        }
    }

    private static func launch(_ client: String, arguments: [String], folder: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: client)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["CONCORD_HOME"] = folder + "/home"
        process.environment = environment
        guard FileManager.default.createFile(atPath: folder + "/client.log", contents: nil),
            let log = FileHandle(forWritingAtPath: folder + "/client.log")
        else {
            throw LiveRunError.cannotWrite(path: folder + "/client.log", reason: "cannot create it")
        }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw LiveRunError.clientUnavailable(path: client, reason: "it does not start: \(error.localizedDescription)")
        }
        return process
    }

    private static func exitSentence(_ process: Process, log: String) -> String {
        let how =
            process.terminationReason == .exit
            ? "it exited with status \(process.terminationStatus)" : "it was ended by signal \(process.terminationStatus)"
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        let tail = text.split(separator: "\n").suffix(3).joined(separator: " / ")
        return tail.isEmpty ? how : "\(how): \(tail)"
    }
}

/// A value a detached thread hands back.
private final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}
