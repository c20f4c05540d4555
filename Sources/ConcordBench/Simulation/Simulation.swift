import AudioFiles
import Concord
import Foundation
import Logging
import SimNet

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
        /// The tracks and mixes on disk: record i's track is signal `recordSignals[i]`,
        /// participant j's mix is signal `firstMixSignal + j`.
        let signals: SpilledSignals
        let recordSignals: [Int]
        let firstMixSignal: Int

        /// What the listener of `records[index]` played of its talker, from time 0.
        public func track(_ index: Int) throws -> [Float] {
            guard recordSignals.indices.contains(index) else { return [] }
            return try signals.read(recordSignals[index])
        }

        /// `records[index]` with its track read back from disk.
        public func record(_ index: Int) throws -> StreamRecord {
            var record = records[index]
            record.track = try track(index)
            return record
        }

        /// The mix participant `index` heard, from time 0.
        public func mix(_ index: Int) throws -> [Float] {
            guard mixNames.indices.contains(index) else { return [] }
            return try signals.read(firstMixSignal + index)
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

    public init(scenario: ResolvedScenario, logger: Logger = Logger(label: "concord.bench")) {
        self.scenario = scenario
        self.logger = logger
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

        // Microphones.
        var wavCache: [String: [Float]] = [:]
        // A listener's microphone is silence: an empty source, read as zeros.
        var sources: [[Float]] = []
        for p in s.participants {
            guard let path = p.wavPath else {
                sources.append([])
                continue
            }
            if wavCache[path] == nil { wavCache[path] = try WAVReader.readMono48k(path: path) }
            sources.append(
                SourceSignal.build(wav: wavCache[path]!, participant: p, totalSamples: spokenSamples)
                    + [Float](repeating: 0, count: totalSamples - spokenSamples))
        }

        // The engine, one Participant per person.
        let meter = ThreadCPUMeter()
        var jitterBuffer = s.jitterBuffer
        jitterBuffer.recordEvents = true
        // Voice ids: 1…n in a fixed mesh; in a room, what every node derives from the name.
        let voiceIDs = (0..<count).map { i in
            s.roomID == nil ? PeerID(i + 1) : VoiceRoom.voiceID(for: s.participants[i].name)
        }
        let indexOfVoiceID = Dictionary(uniqueKeysWithValues: voiceIDs.enumerated().map { ($1, $0) })
        let participants = try (0..<count).map { i in
            let p = try Concord.Participant(
                id: voiceIDs[i], codec: s.codec, jitterBuffer: jitterBuffer, redundantFrames: s.redundantFrames,
                logger: logger)
            p.codecObserver = meter
            p.muted = s.participants[i].wavPath == nil  // a listener only
            return p
        }
        if s.roomID == nil {
            for p in participants { for q in participants where q !== p { try p.addPeer(q.id) } }
        }

        // The network.
        let simulator = Simulator()
        let network = Network(simulator: simulator, seed: s.seed, defaultConditions: s.defaultConditions)
        let port: UInt16 = 9_993
        let hosts = (0..<count).map {
            network.addHost(address: IPv4Address(10, 147, 17, UInt8(ScenarioResolver.firstHostAddress + $0)))
        }
        func address(_ i: Int) -> RoomAddress { .ipv4(hosts[i].address.rawValue, port: port) }
        // Security: each participant seals and opens as a real client does (pair sessions).
        let securityMeter = WallTimeMeter()
        let roomKey = RoomKey(secret: .generate(), roomID: s.roomID ?? "bench-mesh")
        let transports: [SecureTransport]? =
            s.sealed
            ? (0..<count).map { i in
                var g = SplitMix64(seed: s.seed ^ 0x5EA1_5EA1 &+ UInt64(i) &* 0x9E37_79B9)
                let transport = SecureTransport(
                    roomKey: roomKey, identity: .generate(), clientID: s.participants[i].name,
                    sessionSalt: (0..<16).map { _ in UInt8(truncatingIfNeeded: g.next()) }, logger: logger)
                transport.cpuObserver = securityMeter
                return transport
            } : nil
        func perform(_ effects: [RoomEffect], from i: Int) {
            for case let .send(bytes, to) in effects {
                guard case .ipv4(let raw) = to.host else { continue }
                hosts[i].send(from: port, to: Endpoint(IPv4Address(rawValue: raw), to.port), payload: bytes)
            }
        }
        for link in s.linkConditions { network.setConditions(link.conditions, from: hosts[link.from], to: hosts[link.to]) }
        for event in s.events { schedule(event, simulator: simulator, network: network, hosts: hosts) }

        // Recording.
        // sent[t][l]: what talker t addressed to listener l (with a room, only its view's members).
        var sent = [[[SentPacketRecord]]](repeating: [[SentPacketRecord]](repeating: [], count: count), count: count)
        var sentUnwrap = (0..<count).map { _ in (SequenceUnwrapper<UInt16>(), SequenceUnwrapper<UInt32>()) }
        var arrivals = [[[ArrivalRecord]]](repeating: [[ArrivalRecord]](repeating: [], count: count), count: count)
        var arrivalUnwrap = (0..<count).map { _ in (0..<count).map { _ in (SequenceUnwrapper<UInt16>(), SequenceUnwrapper<UInt32>()) } }
        // Tracks only for talkers with a microphone (the streams that are analysed), on disk:
        // signal trackIndex[l][t] is what l played of t; the mixes follow the tracks.
        var trackIndex = [[Int?]](repeating: [Int?](repeating: nil, count: count), count: count)
        var streamCount = 0
        for t in 0..<count where s.participants[t].wavPath != nil {
            for l in 0..<count where l != t {
                trackIndex[l][t] = streamCount
                streamCount += 1
            }
        }
        let signals = try SpilledSignals(count: streamCount + count, length: totalSamples)
        var events = [[[PlayoutEvent]]](repeating: [[PlayoutEvent]](repeating: [], count: count), count: count)
        // Statistics of receivers released when their talker left the listener's view.
        var retired = [[JitterBufferStatistics?]](repeating: [JitterBufferStatistics?](repeating: nil, count: count), count: count)
        for (l, p) in participants.enumerated() {
            // Playout events are kept only for analysed streams (from a talker with a
            // microphone): the others' would be taken and dropped every tick.
            let recordOnlyAnalysed = { (receiver: VoiceReceiver) in
                guard let t = indexOfVoiceID[receiver.peer] else { return }
                receiver.recordsEvents = trackIndex[l][t] != nil
            }
            p.receivers.forEach(recordOnlyAnalysed)  // a fixed mesh's, added above
            p.onReceiverAdded = recordOnlyAnalysed
            p.onReceiverRemoved = { receiver in
                guard let t = indexOfVoiceID[receiver.peer] else { return }
                let taken = receiver.takeEvents()
                if trackIndex[l][t] != nil { events[l][t].append(contentsOf: taken) }
                retired[l][t] = retired[l][t].map { $0.adding(receiver.statistics) } ?? receiver.statistics
            }
        }

        // Rooms: each participant's room node, and the room's measurements.
        let rooms: RoomDriver? = s.roomID.map { id in
            RoomDriver(
                roomID: id, scenario: s, participants: participants, hosts: hosts, port: port, network: network,
                simulator: simulator, transports: transports, logger: logger)
        }
        func send(_ bytes: [UInt8], from i: Int, toVoiceID id: PeerID, now: Instant) {
            guard let j = indexOfVoiceID[id] else { return }
            if let transports {
                perform(transports[i].send(bytes, to: address(j), now: now), from: i)
            } else {
                hosts[i].send(from: port, to: Endpoint(hosts[j].address, port), payload: bytes)
            }
        }

        for (l, host) in hosts.enumerated() {
            let participant = participants[l]
            host.bind(port: port) { datagram, time in
                let now = Instant(nanoseconds: time.nanoseconds)
                if datagram.payload.count > 1, datagram.payload[1] == VoicePacket.packetType,
                    let header = try? VoicePacket.Header.parse(datagram.payload)
                {
                    if let t = indexOfVoiceID[header.senderID], trackIndex[l][t] != nil {
                        arrivals[l][t].append(
                            ArrivalRecord(
                                sequence: arrivalUnwrap[l][t].0.unwrap(header.sequenceNumber),
                                timestamp: arrivalUnwrap[l][t].1.unwrap(header.timestamp), arrivalTime: now,
                                bytes: datagram.payload.count))
                    }
                }
                if let rooms {
                    rooms.receive(datagram, at: l, now: now)
                } else if let transports {
                    let from = RoomAddress.ipv4(datagram.source.address.rawValue, port: datagram.source.port)
                    let (delivered, effects) = transports[l].receive(datagram.payload, from: from, now: now)
                    perform(effects, from: l)
                    for d in delivered { participant.receive(d.bytes, now: now) }
                } else {
                    participant.receive(datagram.payload, now: now)
                }
            }
        }
        rooms?.start()

        // Frame ticks, in windows of one frame: window w starts at w·F and holds tick w−1 of
        // every participant (tick times are phase + w·F, phase < F). A capture depends only on
        // the participant's own microphone and settings, never on what it received, so a
        // window's encodes can run apart from its ticks. In a fixed mesh, window w+1's encodes
        // run on another core while window w's ticks send and decode (a two-stage pipeline);
        // with a room, whose membership can change what a capture does mid-window, a window's
        // encodes run at its start on all cores and each tick's decoders on all cores.
        var rng = SplitMix64(seed: s.seed ^ 0x7469_636B)
        let phases = (0..<count).map { _ in Int(rng.next() % UInt64(F)) }
        var captured = [Swift.Result<[OutgoingDatagram], Error>](repeating: .success([]), count: count)
        var failure: Error?
        let workers = parallel ? ProcessInfo.processInfo.activeProcessorCount : 1
        let pipelined = workers > 1 && rooms == nil
        let cpuStart = parallel ? ThreadCPUMeter.processSeconds() : ThreadCPUMeter.threadSeconds()
        func time(_ position: Int) -> Instant { Instant(nanoseconds: Int64(position) * 1_000_000_000 / Int64(rate)) }
        typealias Captures = UnsafeMutableBufferPointer<Swift.Result<[OutgoingDatagram], Error>>

        /// Encodes window w for every participant into `results`; touches only the senders.
        func encode(window w: Int, into results: Captures, workers: Int) {
            let frames = (0..<count).map { i -> [Float] in
                let position = phases[i] + w * F
                return sources[i].isEmpty ? [Float](repeating: 0, count: F) : Array(sources[i][(position - F)..<position])
            }
            let work = UncheckedSendable((participants, frames, results, rooms?.crashed ?? []))
            parallelFor(count, workers: workers) { i in
                let (participants, frames, results, down) = work.value
                let now = time(phases[i] + w * F)
                results.initializeElement(
                    at: i, to: down.contains(i) ? .success([]) : Swift.Result { try participants[i].capture(frames[i], now: now) })
            }
        }
        var ahead: (window: Int, results: Captures, done: DispatchGroup)?

        func window(_ w: Int) {
            if failure == nil, let refused = rooms?.failure { failure = refused }
            guard failure == nil, w * F + F <= totalSamples else { return }
            let results: Captures
            if let next = ahead, next.window == w {
                next.done.wait()
                results = next.results
                ahead = nil
            } else {
                results = .allocate(capacity: count)
                encode(window: w, into: results, workers: workers)
            }
            for i in 0..<count { captured[i] = results.moveElement(from: i) }
            results.deallocate()
            if pipelined, (w + 1) * F + F <= totalSamples {
                let next = (window: w + 1, results: Captures.allocate(capacity: count), done: DispatchGroup())
                let job = UncheckedSendable({ encode(window: w + 1, into: next.results, workers: 1) })
                DispatchQueue.global().async(group: next.done) { job.value() }
                ahead = next
            }
            for i in 0..<count {
                let position = phases[i] + w * F
                if position + F <= totalSamples {
                    simulator.schedule(at: SimTime(nanoseconds: time(position).nanoseconds)) { tick(i, position) }
                }
            }
            simulator.schedule(at: SimTime(nanoseconds: time((w + 1) * F).nanoseconds)) { window(w + 1) }
        }

        func tick(_ i: Int, _ position: Int) {
            let now = time(position)
            let p = participants[i]
            switch captured[i] {
            case .failure(let error):
                failure = error
                return
            case .success(let datagrams):
                // One packet, the same bytes to every peer it is addressed to.
                if let first = datagrams.first, let header = try? VoicePacket.Header.parse(first.bytes) {
                    let record = SentPacketRecord(
                        sequence: sentUnwrap[i].0.unwrap(header.sequenceNumber),
                        timestamp: sentUnwrap[i].1.unwrap(header.timestamp), sendTime: now,
                        bytes: first.bytes.count + (transports == nil ? 0 : SealedFormat.overhead))
                    for datagram in datagrams {
                        if let l = indexOfVoiceID[datagram.destination] { sent[i][l].append(record) }
                    }
                }
                for datagram in datagrams { send(datagram.bytes, from: i, toVoiceID: datagram.destination, now: now) }
            }
            if rooms == nil, let transports { perform(transports[i].tick(now: now), from: i) }
            if rooms?.crashed.contains(i) == true { return }
            let receivers = UncheckedSendable(p.receivers)
            // While the next window encodes on the other core, decode here; otherwise on all cores,
            // when there are enough decoders to pay for waking the other threads (a listener in a
            // big room hears a few talkers: handing 4 decodes of ~25 µs to a thread pool 50 times
            // per tick cost more than it saved).
            // Only receivers with something to decode count: in a 50-person room each listener
            // holds 49 receivers, of which the few talkers' are busy and the rest play silence.
            let busy = receivers.value.reduce(0) { $0 + ($1.isQuiet ? 0 : 1) }
            let decodeWorkers = pipelined || busy < Self.minimumParallelDecodes ? 1 : workers
            parallelFor(receivers.value.count, workers: decodeWorkers) { receivers.value[$0].playout(now: now) }
            p.mixPlayedFrames()
            for r in p.receivers where r.recordsEvents {  // the others are not analysed
                guard let t = indexOfVoiceID[r.peer], let k = trackIndex[i][t] else { continue }
                signals.write(r.frame, signal: k, at: position)
                events[i][t].append(contentsOf: r.takeEvents())
            }
            signals.write(p.mix, signal: streamCount + i, at: position)
        }

        simulator.schedule(at: SimTime(nanoseconds: time(F).nanoseconds)) { window(1) }
        var done = 0.0
        let end = s.durationSeconds + Self.drainSeconds
        while done < end {
            done = min(end, done + 1)
            simulator.run(until: .seconds(done))
            progress?(min(done, s.durationSeconds))
        }
        if let next = ahead {  // a failure stopped the windows early: let the encoder finish
            next.done.wait()
            _ = next.results.deinitialize()
            next.results.deallocate()
        }
        if let failure = failure ?? rooms?.failure { throw failure }
        try signals.finish()
        let cpuSeconds = (parallel ? ThreadCPUMeter.processSeconds() : ThreadCPUMeter.threadSeconds()) - cpuStart

        var records: [StreamRecord] = []
        var recordSignals: [Int] = []
        let endOfSpeech = time(spokenSamples)
        for t in 0..<count where s.participants[t].wavPath != nil {
            for l in 0..<count where l != t {
                // Not a stream: the talker said nothing while the listener was there.
                guard let k = trackIndex[l][t], talked(sources[t], t, whilePresent: l) else { continue }
                recordSignals.append(k)
                let spoken = sent[t][l].filter { $0.sendTime <= endOfSpeech }
                let lastTimestamp = spoken.last?.timestamp ?? -1
                let heard = arrivals[l][t].filter { $0.sequence <= (spoken.last?.sequence ?? -1) }
                let played = events[l][t].filter { e in
                    e.timestamp.map { $0 <= lastTimestamp } ?? (e.playoutTime <= endOfSpeech)
                }
                records.append(
                    StreamRecord(
                        from: s.participants[t].name, to: s.participants[l].name, frameSamples: F,
                        lookaheadSamples: participants[t].sender.encoder.lookaheadSamples,
                        mouthTimeOfTimestampZero: Instant(nanoseconds: Int64(phases[t]) * 1_000_000_000 / Int64(rate)),
                        sent: spoken, arrivals: heard, playout: played,
                        jitterBuffer: combined(retired[l][t], participants[l].receiver(for: voiceIDs[t])?.statistics),
                        source: sources[t], track: []))
            }
        }
        return Result(
            records: records, mixNames: s.participants.map(\.name),
            simulatedSeconds: s.durationSeconds, cpuSeconds: cpuSeconds, cpuCodecSeconds: meter.codecSeconds,
            networkCounters: network.totalCounters,
            malformedPackets: participants.reduce(0) { $0 + $1.statistics.malformedPackets },
            membership: rooms?.report(until: time(spokenSamples)),
            security: transports.map {
                SecurityReport(transports: $0, cpuSeconds: securityMeter.seconds, codecSeconds: meter.codecSeconds)
            }, signals: signals, recordSignals: recordSignals, firstMixSignal: streamCount)
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

    private func combined(_ a: JitterBufferStatistics?, _ b: JitterBufferStatistics?) -> JitterBufferStatistics {
        switch (a, b) {
        case let (a?, b?): return a.adding(b)
        case let (a?, nil): return a
        case let (nil, b?): return b
        case (nil, nil): return JitterBufferStatistics()
        }
    }

    private func schedule(_ event: ResolvedScenario.Event, simulator: Simulator, network: Network, hosts: [SimNet.Host]) {
        switch event {
        case let .partition(at, groups):
            simulator.schedule(at: .seconds(at)) {
                for a in groups.indices {
                    for b in groups.indices where b > a {
                        network.partition(groups[a].map { hosts[$0] }, groups[b].map { hosts[$0] })
                    }
                }
            }
        case let .heal(at):
            simulator.schedule(at: .seconds(at)) { network.heal() }
        case let .setLink(at, from, to, conditions):
            simulator.schedule(at: .seconds(at)) { network.setConditions(conditions, from: hosts[from], to: hosts[to]) }
        }
    }
}
