import AudioFiles
import CaptureProcessing
import Concord
import Foundation
import Logging
import NetEqReference
import PacketCapture
import SimNet
import SpeechQuality

/// The simulation driver: runs a scenario's participants — the real engine — over SimNet in
/// virtual time, with WAV files as microphones, and records everything the metrics need.
///
/// Timing model (the one `StreamRecord` documents): participant p ticks every frame F at
/// times phase_p + (k+1)·F; at tick k it captures the source samples [phase_p + kF,
/// phase_p + (k+1)F) — the frame just spoken — and plays one frame per remote talker, written
/// to that talker's track at the tick's sample position. Phases are drawn from the seed so
/// that participants' clocks are not artificially aligned.
///
/// Deterministic: the same scenario and seed give the same records, parallel or not.
public final class Simulation {
    public let scenario: ResolvedScenario
    private let logger: Logger
    private let capture: PacketCaptureFile?

    /// The outcome of a run, before metrics.
    public struct Result: Sendable {
        /// One per stream; `track` is left empty (the tracks are on disk: see `track(_:)`).
        public var records: [StreamRecord]
        /// The participants' names, in the order of `mix(_:)`.
        public var mixNames: [String]
        public var simulatedSeconds: Double
        public var cpuSeconds: Double
        public var cpuCodecSeconds: Double
        public var networkCounters: PathCounters
        /// Datagrams the engine dropped as malformed (e.g. corrupted on the path).
        public var malformedPackets: Int
        /// Room measurements, when participants met through the room protocol.
        public var membership: MembershipReport?
        /// The security layer's costs and rejections, when sealed.
        public var security: SecurityReport?
        /// The listeners' receiver reports beside the bench's own figures.
        public var receiverReports: ReceiverReportsReport
        public var protection: ProtectionReport?
        /// Echo and noise at the microphones, when a participant has a room.
        public var acoustics: AcousticsReport?
        /// The tracks and mixes on disk, as each listener's clock played them: record i's track is
        /// signal `recordSignals[i].signal`, participant j's mix is signal `firstMixSignal + j`.
        let signals: SpilledSignals
        let recordSignals: [(signal: Int, clock: AudioClock)]
        let firstMixSignal: Int
        /// The participants' sound card clocks.
        let clocks: [AudioClock]
        /// The run's length in reference samples.
        let length: Int

        /// What the listener of `records[index]` played of its talker, from time 0, in reference
        /// time (48 kHz, aligned with the talker's source).
        public func track(_ index: Int) throws -> [Float] {
            guard recordSignals.indices.contains(index) else { return [] }
            let (signal, clock) = recordSignals[index]
            return try clock.inReferenceTime(signals.read(signal), length: length)
        }

        /// `records[index]` with its track read back from disk.
        public func record(_ index: Int) throws -> StreamRecord {
            var record = records[index]
            record.track = try track(index)
            return record
        }

        /// The mix participant `index` heard, from time 0, in reference time.
        public func mix(_ index: Int) throws -> [Float] {
            guard mixNames.indices.contains(index) else { return [] }
            return try clocks[index].inReferenceTime(signals.read(firstMixSignal + index), length: length)
        }
    }

    /// Temporary disk a run of `scenario` may need for its tracks and mixes (every stream of a
    /// talker with a WAV, every listener's mix; less when some are silent).
    public static func spillBytes(_ scenario: ResolvedScenario) -> Int {
        let talkers = scenario.participants.filter { $0.wavPath != nil }.count
        let count = scenario.participants.count
        let samples = Int((scenario.durationSeconds + drainSeconds) * Double(AudioFormat.sampleRate))
        return SpilledSignals.bytes(count: talkers * max(0, count - 1) + count, length: samples)
    }

    /// Fewer decoders than this in one tick run on the calling thread.
    static let minimumParallelDecodes = 8

    /// Silence after the scenario's end, long enough for any jitter buffer to drain.
    public static let drainSeconds = 2.0

    /// - Parameter capture: where every datagram is recorded as participant i's interface i + 1
    ///   saw it: when it was sent and, if it arrived, when it arrived (virtual time from the Unix
    ///   epoch).
    public init(scenario: ResolvedScenario, logger: Logger = Logger(label: "concord.bench"), capture: PacketCaptureFile? = nil) {
        self.scenario = scenario
        self.logger = logger
        self.capture = capture
    }

    /// Runs the scenario; `progress` is called with the simulated seconds done, about every
    /// simulated second. With `parallel`, codec work uses every core (results are identical:
    /// only independent encoders and decoders run at once) and the CPU figure is the process's;
    /// without, the run stays on the calling thread and the CPU figure is that thread's, which
    /// is what a sweep running several simulations at once needs.
    public func run(parallel: Bool = true, progress: ((Double) -> Void)? = nil) throws -> Result {
        let s = scenario
        let rate = AudioFormat.sampleRate
        let F = s.codec.frameSamples
        // After the scenario's duration the microphones hear silence for `drainSeconds` while
        // everything keeps running, so packets still in flight arrive and play instead of
        // counting as lost; the records keep only what was said before the end.
        let spokenSamples = Int(s.durationSeconds * Double(rate))
        let totalSamples = spokenSamples + Int(Self.drainSeconds * Double(rate))
        let count = s.participants.count
        let sources = try speech(spokenSamples: spokenSamples, totalSamples: totalSamples)
        let clocks = s.participants.map { AudioClock(ppm: $0.clockPPM) }
        let microphones = try zip(clocks, sources).map { clock, source in try clock.recording(of: source) }
        // Rooms: each participant's loudspeaker back into its microphone, and its room's noise.
        let pullSamples = Concord.Participant.pullSamples(frameSamples: F)
        let acousticPaths: [AcousticPath?] = try s.participants.indices.map { i in
            try s.participants[i].acoustics.map {
                try AcousticPath(
                    $0, seed: s.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15, speechPower: AcousticPath.activeSpeechPower(sources[i]),
                    totalSamples: clocks[i].samples(inReferenceSamples: totalSamples), block: pullSamples)
            }
        }
        let acousticFrames = acousticPaths.map { $0.map { _ in AcousticFrameLog() } }
        let processors = try s.participants.map { _ in try s.audioProcessing.map { MeasuredCaptureProcessor(try WebRTCAudioProcessor($0)) } }

        // The network.
        let simulator = Simulator()
        let network = Network(simulator: simulator, seed: s.seed, defaultConditions: s.defaultConditions)
        let port: UInt16 = 9_993
        let hosts = (0..<count).map {
            network.addHost(address: IPv4Address(10, 147, 17, UInt8(ScenarioResolver.firstHostAddress + $0)))
        }
        for link in s.linkConditions { network.setConditions(link.conditions, from: hosts[link.from], to: hosts[link.to]) }
        NetworkEvents.schedule(s.events, simulator: simulator, network: network, hosts: hosts)

        // The engine: one VoiceClient per person, in a room or a fixed mesh, sealed as a real
        // client seals (pair sessions) unless the scenario says otherwise.
        let meter = ThreadCPUMeter()
        let securityMeter = WallTimeMeter()
        var jitterBuffer = s.jitterBuffer
        jitterBuffer.recordEvents = true
        let playout: Participant.MakePlayout? =
            switch s.jitterBufferKind {
            case .concord: nil
            case .neteq: { _, frameSamples in try NetEqPlayout(frameSamples: frameSamples, recordEvents: true) }
            }
        let addresses = hosts.map { RoomAddress.ipv4($0.address.rawValue, port: port) }
        let roomKey = RoomKey(secret: .generate(), roomID: s.roomID ?? "bench-mesh")
        let mesh = s.participants.enumerated().map { VoiceClient.Member(clientID: $1.name, address: addresses[$0]) }
        let clients = try (0..<count).map { i in
            let name = s.participants[i].name
            var sealing = VoiceClient.Sealing.plain
            if s.sealed {
                var g = SplitMix64(seed: s.seed ^ 0x5EA1_5EA1 &+ UInt64(i) &* 0x9E37_79B9)
                let transport = SecureTransport(
                    roomKey: roomKey, identity: .generate(), clientID: name,
                    sessionSalt: (0..<16).map { _ in UInt8(truncatingIfNeeded: g.next()) }, logger: logger)
                transport.cpuObserver = securityMeter
                sealing = .paired(transport)
            }
            let membership: VoiceClient.Membership =
                s.roomID == nil
                ? .fixed(mesh) : .room(RoomNode(seed: s.seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15, logger: logger))
            let protection = s.adaptiveProtection
                ? ProtectionPolicy(copyBitrate: s.copyBitrate ?? ProtectionPolicy.copyBitrate(forPrimary: s.codec.bitrate))
                : nil
            let client = try VoiceClient(
                clientID: name, codec: s.codec, jitterBuffer: jitterBuffer, redundantFrames: s.redundantFrames,
                copyBitrate: s.copyBitrate, protection: protection, playout: playout, membership: membership, sealing: sealing, logger: logger)
            client.participant.codecObserver = meter
            client.participant.muted = s.participants[i].wavPath == nil  // a listener only
            if let processor = processors[i] { try client.participant.setCaptureProcessor(processor) }
            return client
        }
        let recorder = try StreamRecorder(
            talkers: s.participants.map { $0.wavPath != nil }, voiceIDs: clients.map(\.participant.id),
            totalSamples: clocks.map { $0.samples(inReferenceSamples: totalSamples) }.max() ?? totalSamples)
        let reportLog = ReceiverReportLog(names: s.participants.map(\.name))
        let protectionLog = ProtectionLog(count: count)
        for (l, client) in clients.enumerated() {
            recorder.attach(listener: l, to: client.participant)
            client.onVoiceArrival = { recorder.noteArrival($0, at: l) }
            client.onReceiverReport = { reportLog.note($0, talker: l) }
            client.onProtectionChange = { protectionLog.note($0, talker: l) }
            client.transport?.onStaleVoiceDropped = { recorder.noteDropped($0, by: l, to: $1) }
        }

        // Rooms: joins, leaves, crashes and the room's measurements; a fixed mesh just runs.
        var transports: [SimNetTransport] = []
        let rooms = s.roomID.map { RoomDriver(roomID: $0, scenario: s, clients: clients, network: network, simulator: simulator) }
        transports = hosts.enumerated().map { l, host in
            SimNetTransport(
                host: host, port: port, network: network,
                capture: capture.map { .init(file: $0, interface: UInt32(l + 1)) }
            ) { bytes, from, now in
                if let rooms {
                    rooms.receive(bytes, from: from, at: l, now: now)
                } else {
                    _ = transports[l].perform(clients[l].receive(bytes: bytes, from: from, now: now))
                }
            }
        }
        let reportTransits = ReportTransitLog(count: count)
        for (l, transport) in transports.enumerated() { transport.reportTransits = (reportTransits, l) }
        rooms?.start(on: transports)

        var rng = SplitMix64(seed: s.seed ^ 0x7469_636B)
        let phases = (0..<count).map { _ in Int(rng.next() % UInt64(F)) }
        var failure: Error?
        let workers = parallel ? ProcessInfo.processInfo.activeProcessorCount : 1
        let cpuStart = parallel ? ThreadCPUMeter.processSeconds() : ThreadCPUMeter.threadSeconds()
        let silence = [Float](repeating: 0, count: F)
        let frames = FramePipeline(
            count: count, frameSamples: F, totalSamples: totalSamples, phases: phases, clocks: clocks, workers: workers,
            // A room's echo depends on what was played, which the previous window's ticks decide;
            // so does what a capture processor does (the mix is its echo canceller's far end, and
            // it is one object: encoding ahead ran it on two threads at once).
            pipelined: workers > 1 && rooms == nil && !s.adaptiveProtection && !acousticPaths.contains { $0 != nil }
                && !processors.contains { $0 != nil },
            simulator: simulator,
            encode: { i, position, now in
                if rooms?.crashed.contains(i) == true { return .success(nil) }
                let microphone = microphones[i]
                var frame = position > microphone.count ? silence : Array(microphone[(position - F)..<position])
                guard let path = acousticPaths[i], let log = acousticFrames[i] else {
                    return Swift.Result { try clients[i].encode(frame, now: now) }
                }
                let voice = AcousticFrameLog.power(frame)
                let spoken = processors[i] != nil ? frame : []
                let added = path.microphone(&frame, from: position - F)
                let encoded: FramePipeline.Encoded = Swift.Result { try clients[i].encode(frame, now: now) }
                let echo = added.echoPower / Double(F)
                let capture = clients[i].participant.lastCapture
                log.frames.append(
                    .init(
                        seconds: now.seconds, voice: voice, echo: echo, noise: added.noisePower / Double(F),
                        encoded: capture.map { pow(10, $0.outputLevelDBFS / 10) } ?? AcousticFrameLog.power(frame),
                        voiceDetected: capture?.voiceDetected, echoHeard: capture?.echoHeard))
                if let processor = processors[i], AcousticsReport.isDoubleTalk(voice: voice, echo: echo) {
                    log.doubleTalk.voice += spoken
                    log.doubleTalk.microphone += processor.lastInput
                    log.doubleTalk.processed += processor.lastOutput
                }
                return encoded
            },
            tick: { i, position, now, encoded, plays in
                let client = clients[i]
                switch encoded {
                case .failure(let error):
                    failure = error
                    return
                case .success(let frame?):
                    recorder.noteSent(frame, by: i, at: now)
                    _ = transports[i].perform(client.send(frame, now: now))
                case .success(nil):
                    break
                }
                // A fixed mesh has no room timers: its security layer ticks with the frames.
                if rooms == nil { _ = transports[i].perform(client.tick(now: now)) }
                guard plays else { return }
                // The sound card pulls the playout every `pullSamples` of its clock; the first pull of
                // each frame lands on the tick, the others between ticks.
                let pull = client.participant.pullSamples
                for k in 0..<(F / pull) {
                    let at = position + k * pull
                    let pulled = { [self] (now: Instant) in
                        if rooms?.crashed.contains(i) == true { return }
                        self.playout(client.participant, now: now, workers: workers, pipelined: rooms == nil && workers > 1)
                        acousticPaths[i]?.play(client.participant.mix, at: at)
                        recorder.notePlayout(of: client.participant, listener: i, at: at)
                    }
                    if k == 0 {
                        pulled(now)
                    } else {
                        let time = clocks[i].instant(ofSample: at)
                        simulator.schedule(at: SimTime(nanoseconds: time.nanoseconds)) { pulled(time) }
                    }
                }
            },
            stopped: {
                if failure == nil, let refused = rooms?.failure { failure = refused }
                return failure != nil
            })
        frames.start()
        var done = 0.0
        let end = s.durationSeconds + Self.drainSeconds
        while done < end {
            done = min(end, done + 1)
            simulator.run(until: .seconds(done))
            progress?(min(done, s.durationSeconds))
        }
        frames.finish()
        if let failure = failure ?? rooms?.failure { throw failure }
        try recorder.signals.finish()
        let cpuSeconds = (parallel ? ThreadCPUMeter.processSeconds() : ThreadCPUMeter.threadSeconds()) - cpuStart

        var records: [StreamRecord] = []
        var recordSignals: [(signal: Int, clock: AudioClock)] = []
        let endOfSpeech = FramePipeline.time(spokenSamples)
        for t in 0..<count where s.participants[t].wavPath != nil {
            for l in 0..<count where l != t {
                // Not a stream: the talker said nothing while the listener was there.
                guard talked(sources[t], t, whilePresent: l),
                    let stream = recorder.record(
                        from: t, to: l, endOfSpeech: endOfSpeech, listener: clients[l].participant,
                        talkerID: clients[t].participant.id)
                else { continue }
                recordSignals.append((stream.track, clocks[l]))
                records.append(
                    StreamRecord(
                        from: s.participants[t].name, to: s.participants[l].name, frameSamples: F,
                        lookaheadSamples: clients[t].participant.sender.encoder.lookaheadSamples,
                        mouthTimeOfTimestampZero: clocks[t].instant(ofSample: phases[t]), talkerSampleRate: clocks[t].sampleRate,
                        listenerSampleRate: clocks[l].sampleRate,
                        sent: stream.sent, arrivals: stream.arrivals, playout: stream.playout,
                        jitterBuffer: stream.jitterBuffer, source: sources[t], track: []))
            }
        }
        let sealed = clients.compactMap(\.transport)
        let receiverReports = ReceiverReportComparison.report(
            records: records, names: s.participants.map(\.name), log: reportLog, transits: reportTransits,
            reportsSent: clients.reduce(0) { $0 + $1.reportCounters.sent },
            reportBytes: transports.reduce(0) { $0 + $1.reportBytesSent }, seconds: s.durationSeconds + Self.drainSeconds)
        return Result(
            records: records, mixNames: s.participants.map(\.name),
            simulatedSeconds: s.durationSeconds, cpuSeconds: cpuSeconds, cpuCodecSeconds: meter.codecSeconds,
            networkCounters: network.totalCounters,
            malformedPackets: clients.reduce(0) { $0 + $1.participant.statistics.malformedPackets },
            membership: rooms?.report(until: endOfSpeech),
            security: s.sealed
                ? SecurityReport(transports: sealed, cpuSeconds: securityMeter.seconds, codecSeconds: meter.codecSeconds)
                : nil,
            receiverReports: receiverReports,
            protection: s.adaptiveProtection
                ? ProtectionReport.make(scenario: s, changes: protectionLog.changes, runSeconds: s.durationSeconds) : nil,
            acoustics: acousticPaths.contains { $0 != nil }
                ? acousticsReport(
                    s, logs: acousticFrames, processors: processors, codecSeconds: meter.codecSeconds, frameSeconds: Double(F) / Double(rate))
                : nil,
            signals: recorder.signals, recordSignals: recordSignals, firstMixSignal: recorder.streamCount,
            clocks: clocks, length: totalSamples)
    }

    private func acousticsReport(
        _ s: ResolvedScenario, logs: [AcousticFrameLog?], processors: [MeasuredCaptureProcessor?], codecSeconds: Double,
        frameSeconds: Double
    ) -> AcousticsReport {
        let visqol = Swift.Result { () throws(ViSQOLError) in try ViSQOL() }
        var report = AcousticsReport(
            processing: s.audioProcessing.map(AcousticsReport.describe) ?? "none",
            participants: s.participants.indices.compactMap { i in
                guard let acoustics = s.participants[i].acoustics, let log = logs[i] else { return nil }
                var scores: AcousticsReport.DoubleTalkScores?
                if processors[i] != nil {
                    switch visqol {
                    case .success(let visqol): scores = AcousticsReport.score(log.doubleTalk, with: visqol)
                    case .failure(let error): scores = .init(notScored: error.description)
                    }
                }
                return AcousticsReport.participant(
                    name: s.participants[i].name, echoGainDB: acoustics.echoGainDB, frames: log.frames, frameSeconds: frameSeconds,
                    doubleTalkScores: scores)
            })
        let measured = processors.compactMap { $0 }
        if !measured.isEmpty {
            let seconds = Double(measured.reduce(0) { $0 + $1.cpuNanoseconds }) / 1e9
            let chunks = Double(measured.reduce(0) { $0 + $1.capturedSamples }) / Double(AudioFormat.samples(milliseconds: 10))
            report.processingMicrosecondsPer10ms = chunks > 0 ? seconds * 1e6 / chunks : nil
            report.processingShareOfCodecCPU = codecSeconds > 0 ? seconds / codecSeconds : nil
        }
        return report
    }

    /// What every participant says over the whole run, in reference time: its WAV placed and
    /// gated as the scenario says, then silence while the run drains; a listener's is empty
    /// (read as zeros).
    private func speech(spokenSamples: Int, totalSamples: Int) throws -> [[Float]] {
        var wavCache: [String: [Float]] = [:]
        return try scenario.participants.map { p in
            guard let path = p.wavPath else { return [] }
            let wav: [Float]
            if let cached = wavCache[path] {
                wav = cached
            } else {
                wav = try WAVReader.readMono48k(path: path)
                wavCache[path] = wav
            }
            return SourceSignal.build(wav: wav, participant: p, totalSamples: spokenSamples)
                + [Float](repeating: 0, count: totalSamples - spokenSamples)
        }
    }

    /// Plays one pull of every voice peer and mixes them. While the next window encodes on the
    /// other core (`pipelined`), decoding stays here; otherwise it uses all cores when there
    /// are enough decoders to pay for waking the other threads (a listener in a big room hears
    /// a few talkers: handing 4 decodes of ~25 µs to a thread pool 50 times per tick cost more
    /// than it saved). Only receivers with something to decode count: in a 50-person room each
    /// listener holds 49 receivers, of which the few talkers' are busy and the rest play silence.
    private func playout(_ participant: Concord.Participant, now: Instant, workers: Int, pipelined: Bool) {
        let receivers = UncheckedSendable(participant.receivers)
        let busy = receivers.value.reduce(0) { $0 + ($1.isQuiet ? 0 : 1) }
        let decodeWorkers = pipelined || busy < Self.minimumParallelDecodes ? 1 : workers
        parallelFor(receivers.value.count, workers: decodeWorkers) { receivers.value[$0].playout(now: now) }
        participant.mixPlayedFrames()
    }

    /// One 16-bit step: a sample below this is digital silence, not speech.
    static let audibleSample: Float = 1 / 32_768

    /// Whether talker `t` made a sound while both it and listener `l` were present (in a room,
    /// from the later join to the earlier leave or crash; in a fixed mesh, the whole run).
    private func talked(_ source: [Float], _ t: Int, whilePresent l: Int) -> Bool {
        let a = scenario.participants[t], b = scenario.participants[l]
        let from = max(a.joinSeconds, b.joinSeconds)
        let to = min(a.leaveSeconds ?? a.crashSeconds ?? .infinity, b.leaveSeconds ?? b.crashSeconds ?? .infinity, scenario.durationSeconds)
        let rate = Double(AudioFormat.sampleRate)
        let start = max(0, min(source.count, Int(from * rate)))
        let end = max(start, min(source.count, Int(to * rate)))
        return source[start..<end].contains { abs($0) >= Self.audibleSample }
    }
}
