import CaptureProcessing
import AudioFiles
import Concord
import Foundation
import SimNet

/// A scenario checked and turned into engine and simulator values, ready to run.
public struct ResolvedScenario: Sendable {
    public struct Participant: Sendable, Equatable {
        public var name: String
        /// nil: a listener whose microphone hears only silence.
        public var wavPath: String?
        public var startSeconds: Double
        public var loop: Bool
        /// Half-open intervals [from, to) in seconds when the microphone is open; nil = always.
        public var talk: [Range<Double>]?
        /// With a room: when the participant joins, and when it leaves or crashes.
        public var joinSeconds: Double = 0
        public var leaveSeconds: Double?
        public var crashSeconds: Double?
        /// Its sound card clock's error in parts per million (`AudioClock`).
        public var clockPPM: Double = 0
        /// Its loudspeaker's echo and its room's noise at its microphone; nil: neither.
        public var acoustics: Acoustics?
    }

    /// `AcousticsSpec` checked, files found.
    public struct Acoustics: Sendable, Equatable {
        public var echoDelayMilliseconds: Double
        public var echoGainDB: Double
        public var rt60Seconds: Double
        public var impulseResponsePath: String?
        public var noisePath: String?
        public var snrDB: Double
    }

    public enum Event: Sendable {
        case partition(atSeconds: Double, groups: [[Int]])
        case heal(atSeconds: Double)
        case setLink(atSeconds: Double, from: Int, to: Int, conditions: PathConditions)
    }

    public var name: String
    public var seed: UInt64
    public var durationSeconds: Double
    public var codec: OpusSettings
    public var redundantFrames: Int
    /// The bitrate of redundant copies; nil: they repeat the primary payload.
    public var copyBitrate: Int?
    /// Each talker adapts FEC and copies to its listeners' reports (copies at `copyBitrate`).
    public var adaptiveProtection = false
    public var jitterBuffer: JitterBufferSettings
    /// What plays every received stream.
    public var jitterBufferKind: JitterBufferKind = .concord
    public var participants: [Participant]
    public var defaultConditions: PathConditions
    /// Per directed pair (participant indices).
    public var linkConditions: [(from: Int, to: Int, conditions: PathConditions)]
    public var events: [Event]
    public var networkSummary: String
    /// What plays every received stream, for the report: "concord adaptive" (with its bounds when
    /// not the defaults), "concord fixed 60 ms", "neteq".
    public var jitterBufferSummary: String {
        switch jitterBufferKind {
        case .neteq: return "neteq"
        case .concord:
            switch jitterBuffer.mode {
            case .fixed(let ms): return "concord fixed \(ms) ms"
            case .adaptive:
                let defaults = JitterBufferSettings()
                var bounds: [String] = []
                if jitterBuffer.minimumDelayMilliseconds != defaults.minimumDelayMilliseconds {
                    bounds.append("min \(jitterBuffer.minimumDelayMilliseconds) ms")
                }
                if jitterBuffer.maximumDelayMilliseconds != defaults.maximumDelayMilliseconds {
                    bounds.append("max \(jitterBuffer.maximumDelayMilliseconds) ms")
                }
                if jitterBuffer.initialDelayMilliseconds != defaults.initialDelayMilliseconds {
                    bounds.append("initial \(jitterBuffer.initialDelayMilliseconds) ms")
                }
                let worth = jitterBuffer.lateLossWorthMilliseconds
                if worth != defaults.lateLossWorthMilliseconds {
                    bounds.append("late loss worth \(worth == worth.rounded() && worth < 1e15 ? "\(Int(worth))" : "\(worth)") ms")
                }
                return (["concord adaptive"] + bounds).joined(separator: ", ")
            }
        }
    }
    /// The room id when participants meet through the room protocol; nil for a fixed mesh.
    public var roomID: String?
    /// Every datagram sealed (see `Scenario.sealed`).
    public var sealed: Bool = true
    /// WebRTC's processing on every microphone; nil: none.
    public var audioProcessing: WebRTCAudioProcessor.Settings?
}

/// The jitter buffer and decoder of every received stream.
public enum JitterBufferKind: String, Sendable {
    /// Concord's (`ResolvedScenario.jitterBuffer`).
    case concord
    /// WebRTC's NetEq with its default settings, as a reference on the same packets.
    case neteq
}

/// The semantic checks of a scenario: ranges, names, files. Each failure names its field.
///
/// Every number the simulation turns into an index, an address or a buffer size is bounded
/// here, so that no scenario can reach a precondition or an integer trap mid-run.
public enum ScenarioResolver {
    /// Participant i gets 10.147.17.(firstHostAddress + i) on the simulated /24 (.1–.9 are left
    /// to other simulated hosts, .255 is the broadcast address the room protocol uses).
    public static let firstHostAddress = 10
    /// The /24 address plan's room: .10 to .254.
    public static let maxParticipants = 254 - firstHostAddress + 1
    /// One hour. Memory grows with duration: each talker's microphone is held in memory at
    /// 192 kB per simulated second (48 kHz Float32) and each stream's packet and playout records
    /// take ≈ 6 kB per second; tracks and mixes go to a temporary file (192 kB per stream-second,
    /// checked against free space before the run). An hour of a 4-talker room is ≈ 2.8 GB of
    /// microphones; longer runs are better split.
    public static let maxDurationSeconds = 3_600.0
    /// The largest sound card clock error a participant may have: ±1000 ppm is far beyond what
    /// real devices show (tens to a few hundred ppm) and keeps a run's clocks within 0.1 %.
    public static let maximumClockPPM = 1_000.0
    /// The longest room id the room protocol carries (`RoomMessage.maxIdentifierBytes`).
    public static var maxRoomIDBytes: Int { RoomMessage.maxIdentifierBytes }

    public static func resolve(_ s: Scenario, file: String, baseDirectory: String) throws(ScenarioError) -> ResolvedScenario {
        func fail(_ field: String, _ reason: String) -> ScenarioError { ScenarioError(file: file, field: field, reason: reason) }

        guard !s.name.isEmpty else { throw fail("name", "must not be empty") }
        guard s.durationSeconds > 0, s.durationSeconds <= maxDurationSeconds else {
            throw fail(
                "duration_seconds",
                "\(s.durationSeconds) is out of range (0, \(Int(maxDurationSeconds))] s (the bench keeps every talker's audio in memory)")
        }
        guard s.participants.count <= maxParticipants else {
            throw fail(
                "participants",
                "\(s.participants.count) participants; at most \(maxParticipants) (each gets an address in the simulated 10.147.17.0/24, from .10 to .254)")
        }

        // Codec.
        let application: OpusSettings.Application =
            switch s.codec.application {
            case .voip: .voip
            case .restrictedLowDelay: .restrictedLowDelay
            }
        let codec = OpusSettings(
            application: application, bitrate: s.codec.bitrate, complexity: s.codec.complexity,
            frameMilliseconds: s.codec.frameMs, variableBitrate: s.codec.vbr, inbandFEC: s.codec.fec,
            expectedLossPercent: s.codec.expectedLossPercent ?? (s.codec.fec ? 10 : 0), dtx: s.codec.dtx)
        do {
            try codec.validate()
        } catch {
            guard case let .invalidSetting(name, value, allowed) = error else { throw fail("codec", "\(error)") }
            let field = ["frameMilliseconds": "frame_ms", "expectedLossPercent": "expected_loss_percent"][name] ?? name
            throw fail("codec.\(field)", "\(value) is out of range; allowed: \(allowed)")
        }
        guard (0...VoicePacket.maxRedundantBlocks).contains(s.codec.redundancy) else {
            throw fail("codec.redundancy", "\(s.codec.redundancy) is out of range 0...\(VoicePacket.maxRedundantBlocks)")
        }
        if let copyBitrate = s.codec.copyBitrate, !OpusSettings.bitrateRange.contains(copyBitrate) {
            throw fail("codec.copy_bitrate", "\(copyBitrate) is out of range; allowed: 6000...510000 b/s")
        }
        let adaptive = s.codec.protection == .adaptive
        if adaptive {
            // The policy owns FEC and the copies; a fixed figure beside it would be ignored.
            for (field, set) in [("fec", s.codec.fec), ("expected_loss_percent", s.codec.expectedLossPercent != nil),
                ("redundancy", s.codec.redundancy != 0)] where set {
                throw fail("codec.\(field)", "cannot be set with \"protection\": \"adaptive\", which chooses FEC and copies itself")
            }
        }

        // Jitter buffer.
        var jitterBuffer = JitterBufferSettings()
        var jitterBufferKind = JitterBufferKind.concord
        switch s.jitterBuffer.mode {
        case .adaptive: jitterBuffer.mode = .adaptive
        case .fixed:
            guard let ms = s.jitterBuffer.fixedMs else { throw fail("jitter_buffer.fixed_ms", "required when mode is fixed") }
            jitterBuffer.mode = .fixed(milliseconds: ms)
        case .neteq:
            jitterBufferKind = .neteq
            let concordOnly = [
                ("fixed_ms", s.jitterBuffer.fixedMs != nil), ("min_ms", s.jitterBuffer.minMs != nil),
                ("max_ms", s.jitterBuffer.maxMs != nil), ("initial_ms", s.jitterBuffer.initialMs != nil),
                ("late_loss_worth_ms", s.jitterBuffer.lateLossWorthMs != nil),
            ]
            for (field, set) in concordOnly where set {
                throw fail(
                    "jitter_buffer.\(field)",
                    "sets Concord's jitter buffer; mode neteq runs WebRTC's NetEq with its own default settings")
            }
        }
        let minMs = s.jitterBuffer.minMs ?? jitterBuffer.minimumDelayMilliseconds
        let maxMs = s.jitterBuffer.maxMs ?? jitterBuffer.maximumDelayMilliseconds
        jitterBuffer.minimumDelayMilliseconds = minMs
        jitterBuffer.maximumDelayMilliseconds = maxMs
        jitterBuffer.initialDelayMilliseconds = min(max(s.jitterBuffer.initialMs ?? jitterBuffer.initialDelayMilliseconds, minMs), max(maxMs, 0))
        jitterBuffer.lateLossWorthMilliseconds = s.jitterBuffer.lateLossWorthMs ?? jitterBuffer.lateLossWorthMilliseconds
        do {
            try jitterBuffer.validate()
        } catch {
            guard case let .invalidSetting(name, value, allowed) = error else { throw fail("jitter_buffer", "\(error)") }
            let field = ["minimumDelayMilliseconds": "min_ms", "maximumDelayMilliseconds": "max_ms", "fixed delay": "fixed_ms",
                         "initialDelayMilliseconds": "initial_ms", "lateLossWorthMilliseconds": "late_loss_worth_ms"][name] ?? name
            throw fail("jitter_buffer.\(field)", "\(value) is out of range; allowed: \(allowed)")
        }

        // Participants.
        guard s.participants.count >= 2 else { throw fail("participants", "a room needs at least 2 participants") }
        var participants: [ResolvedScenario.Participant] = []
        var index: [String: Int] = [:]
        for (i, p) in s.participants.enumerated() {
            let field = "participants[\(i)]"
            guard !p.name.isEmpty, p.name.utf8.count <= RoomMessage.maxIdentifierBytes else {
                throw fail("\(field).name", "must be 1 to \(RoomMessage.maxIdentifierBytes) bytes (it is the client id)")
            }
            guard index[p.name] == nil else { throw fail("\(field).name", "\"\(p.name)\" is used twice") }
            index[p.name] = i
            var path: String?
            if let wav = p.wav {
                path = wav.hasPrefix("/") ? wav : URL(fileURLWithPath: baseDirectory).appendingPathComponent(wav).path
                do {
                    _ = try WAVReader.info(path: path!)
                } catch {
                    throw fail("\(field).wav", "\(error)")
                }
            }
            guard p.startSeconds >= 0, p.startSeconds <= s.durationSeconds else {
                throw fail("\(field).start_seconds", "\(p.startSeconds) is out of range 0...\(s.durationSeconds) (the run's duration)")
            }
            var talk: [Range<Double>]?
            if let intervals = p.talk {
                talk = []
                for (j, pair) in intervals.enumerated() {
                    guard pair.count == 2, pair[0] >= 0, pair[0] < pair[1], pair[1].isFinite else {
                        throw fail("\(field).talk[\(j)]", "must be [from, to] with 0 ≤ from < to")
                    }
                    talk!.append(pair[0]..<pair[1])
                }
            }
            var resolved = ResolvedScenario.Participant(
                name: p.name, wavPath: path, startSeconds: p.startSeconds, loop: p.loop, talk: talk)
            if p.joinSeconds != nil || p.leaveSeconds != nil || p.crashSeconds != nil {
                guard s.room != nil else {
                    throw fail("\(field)", "join_seconds, leave_seconds and crash_seconds need a \"room\"")
                }
            }
            resolved.joinSeconds = p.joinSeconds ?? 0
            guard resolved.joinSeconds >= 0, resolved.joinSeconds < s.durationSeconds else {
                throw fail("\(field).join_seconds", "\(resolved.joinSeconds) is outside the run [0, \(s.durationSeconds))")
            }
            guard p.leaveSeconds == nil || p.crashSeconds == nil else {
                throw fail("\(field)", "give leave_seconds or crash_seconds, not both")
            }
            for (key, value) in [("leave_seconds", p.leaveSeconds), ("crash_seconds", p.crashSeconds)] {
                guard let value else { continue }
                guard value > resolved.joinSeconds, value <= s.durationSeconds else {
                    throw fail("\(field).\(key)", "\(value) must be after join_seconds and within the run")
                }
            }
            resolved.leaveSeconds = p.leaveSeconds
            resolved.crashSeconds = p.crashSeconds
            if let ppm = p.clockPPM {
                guard ppm.isFinite, abs(ppm) <= Self.maximumClockPPM else {
                    throw fail("\(field).clock_ppm", "\(ppm) is outside −\(Int(Self.maximumClockPPM))…\(Int(Self.maximumClockPPM)) ppm")
                }
                resolved.clockPPM = ppm
            }
            if let a = p.acoustics {
                resolved.acoustics = try acoustics(a, field: "\(field).acoustics", fail: fail, baseDirectory: baseDirectory)
            }
            participants.append(resolved)
        }
        func participant(_ name: String?, _ field: String) throws(ScenarioError) -> Int {
            guard let name else { throw fail(field, "required") }
            guard let i = index[name] else {
                throw fail(field, "\"\(name)\" is not a participant (\(s.participants.map(\.name).joined(separator: ", ")))")
            }
            return i
        }

        // Network.
        let defaultConditions = try conditions(s.network.links, base: .ideal, field: "network.links", fail: fail, baseDirectory: baseDirectory)
        var links: [(from: Int, to: Int, conditions: PathConditions)] = []
        for (i, link) in s.network.perLink.enumerated() {
            let field = "network.per_link[\(i)]"
            let a = try participant(link.from, "\(field).from"), b = try participant(link.to, "\(field).to")
            guard a != b else { throw fail("\(field).to", "a link joins two different participants") }
            let c = try conditions(link.conditions, base: defaultConditions, field: "\(field).conditions", fail: fail, baseDirectory: baseDirectory)
            links.append((a, b, c))
            if link.bothDirections { links.append((b, a, c)) }
        }
        var events: [ResolvedScenario.Event] = []
        for (i, e) in s.network.events.enumerated() {
            let field = "network.events[\(i)]"
            guard e.atSeconds >= 0, e.atSeconds <= s.durationSeconds else {
                throw fail("\(field).at_seconds", "\(e.atSeconds) is outside the run (0...\(s.durationSeconds))")
            }
            switch e.action {
            case "partition":
                guard let groups = e.groups, groups.count >= 2 else {
                    throw fail("\(field).groups", "a partition needs at least two groups of participant names")
                }
                var seen = Set<Int>()
                var resolved: [[Int]] = []
                for (g, group) in groups.enumerated() {
                    var members: [Int] = []
                    for (m, name) in group.enumerated() {
                        let p = try participant(name, "\(field).groups[\(g)][\(m)]")
                        guard seen.insert(p).inserted else { throw fail("\(field).groups[\(g)][\(m)]", "\"\(name)\" is in two groups") }
                        members.append(p)
                    }
                    resolved.append(members)
                }
                events.append(.partition(atSeconds: e.atSeconds, groups: resolved))
            case "heal":
                events.append(.heal(atSeconds: e.atSeconds))
            case "set_link":
                let a = try participant(e.from, "\(field).from"), b = try participant(e.to, "\(field).to")
                guard a != b else { throw fail("\(field).to", "a link joins two different participants") }
                guard let spec = e.conditions else { throw fail("\(field).conditions", "required for set_link") }
                let c = try conditions(spec, base: defaultConditions, field: "\(field).conditions", fail: fail, baseDirectory: baseDirectory)
                events.append(.setLink(atSeconds: e.atSeconds, from: a, to: b, conditions: c))
                if e.bothDirections ?? true { events.append(.setLink(atSeconds: e.atSeconds, from: b, to: a, conditions: c)) }
            default:
                throw fail("\(field).action", "\"\(e.action)\" is not one of partition, heal, set_link")
            }
        }

        return ResolvedScenario(
            name: s.name, seed: s.seed, durationSeconds: s.durationSeconds, codec: codec, redundantFrames: s.codec.redundancy,
            copyBitrate: s.codec.copyBitrate ?? (adaptive ? ProtectionPolicy.copyBitrate(forPrimary: codec.bitrate) : nil),
            adaptiveProtection: adaptive,
            jitterBuffer: jitterBuffer, jitterBufferKind: jitterBufferKind, participants: participants,
            defaultConditions: defaultConditions,
            linkConditions: links, events: events, networkSummary: s.network.summary,
            roomID: try roomID(s, fail: fail), sealed: s.sealed,
            // Every part off is no processor at all (the module would still high-pass filter).
            audioProcessing: s.audioProcessing.flatMap {
                $0.echoCancellation || $0.noiseSuppression || $0.gainControl
                    ? WebRTCAudioProcessor.Settings(
                        echoCancellation: $0.echoCancellation, noiseSuppression: $0.noiseSuppression, gainControl: $0.gainControl,
                        residualEchoSuppression: $0.residualEchoSuppression)
                    : nil
            })
    }

    /// The longest echo delay and reverberation a scenario may give a room (the simulation keeps
    /// the loudspeaker's history that long, and convolves with the whole tail).
    public static let maxEchoDelayMilliseconds = 1_000.0
    public static let maxRT60Milliseconds = 2_000.0
    /// A noise recording is looped; ten minutes of it is more than any room needs in memory.
    public static let maxNoiseSeconds = 600.0

    private static func acoustics(
        _ a: AcousticsSpec, field: String, fail: (String, String) -> ScenarioError, baseDirectory: String
    ) throws(ScenarioError) -> ResolvedScenario.Acoustics {
        // Two pulls: the simulated devices hand over 5 ms at a time, as PortAudio's do,
        // and a frame's echo must have been played before the frame is captured.
        guard a.echoDelayMs.isFinite, (10...maxEchoDelayMilliseconds).contains(a.echoDelayMs) else {
            throw fail("\(field).echo_delay_ms", "\(a.echoDelayMs) is outside 10…\(Int(maxEchoDelayMilliseconds)) ms")
        }
        guard a.echoGainDB.isFinite, (-60...20).contains(a.echoGainDB) else {
            throw fail("\(field).echo_gain_db", "\(a.echoGainDB) is outside −60…20 dB")
        }
        guard a.rt60Ms.isFinite, (10...maxRT60Milliseconds).contains(a.rt60Ms) else {
            throw fail("\(field).rt60_ms", "\(a.rt60Ms) is outside 10…\(Int(maxRT60Milliseconds)) ms")
        }
        if let snr = a.snrDB {
            guard a.noise != nil else { throw fail("\(field).snr_db", "sets the level of a noise: give noise with it") }
            guard snr.isFinite, (-10...60).contains(snr) else { throw fail("\(field).snr_db", "\(snr) is outside −10…60 dB") }
        }
        func file(_ name: String?, _ key: String, maxSeconds: Double) throws(ScenarioError) -> String? {
            guard let name else { return nil }
            let path = name.hasPrefix("/") ? name : URL(fileURLWithPath: baseDirectory).appendingPathComponent(name).path
            do {
                let info = try WAVReader.info(path: path)
                guard info.frames > 0 else { throw fail("\(field).\(key)", "\(path) holds no samples") }
                guard info.duration <= maxSeconds else {
                    throw fail("\(field).\(key)", "\(path) is \(info.duration) s long; at most \(Int(maxSeconds)) s")
                }
            } catch let error as ScenarioError {
                throw error
            } catch {
                throw fail("\(field).\(key)", "\(error)")
            }
            return path
        }
        return ResolvedScenario.Acoustics(
            echoDelayMilliseconds: a.echoDelayMs, echoGainDB: a.echoGainDB, rt60Seconds: a.rt60Ms / 1000,
            impulseResponsePath: try file(a.impulseResponse, "impulse_response", maxSeconds: maxRT60Milliseconds / 1000),
            noisePath: try file(a.noise, "noise", maxSeconds: maxNoiseSeconds),
            snrDB: a.snrDB ?? 20)
    }

    private static func roomID(_ s: Scenario, fail: (String, String) -> ScenarioError) throws(ScenarioError) -> String? {
        guard let room = s.room else { return nil }
        guard !room.id.isEmpty, room.id.utf8.count <= maxRoomIDBytes else {
            throw fail("room.id", "is \(room.id.utf8.count) bytes; must be 1 to \(maxRoomIDBytes) bytes (UTF-8), the room protocol's limit")
        }
        // Voice ids are FNV-1a of the names; two names that collide could not both be heard.
        var seen: [UInt32: String] = [:]
        for (i, p) in s.participants.enumerated() {
            let id = VoicePeers.voiceID(for: p.name)
            if let other = seen[id] {
                throw fail("participants[\(i)].name", "\"\(p.name)\" has the same voice id as \"\(other)\"; rename one")
            }
            seen[id] = p.name
        }
        return room.id
    }

    /// `spec` on top of `base`: its preset first (if any), then each explicit field.
    static func conditions(
        _ spec: LinkSpec, base: PathConditions, field: String, fail: (String, String) -> ScenarioError, baseDirectory: String
    ) throws(ScenarioError) -> PathConditions {
        var c = base
        if let name = spec.preset {
            guard let preset = PathConditions.preset(named: name) else {
                throw fail("\(field).preset", "unknown preset \"\(name)\"; known: \(PathConditions.presetNames.joined(separator: ", "))")
            }
            c = preset
        }
        func percent(_ value: Double?, _ key: String) throws(ScenarioError) -> Double? {
            guard let value else { return nil }
            guard value >= 0, value <= 100 else { throw fail("\(field).\(key)", "\(value) is out of range 0...100 %") }
            return value / 100
        }
        if let ms = spec.delayMs {
            guard ms >= 0, ms <= 60_000 else { throw fail("\(field).delay_ms", "\(ms) is out of range 0...60000 ms") }
            c.delay = .milliseconds(ms)
        }
        if let ms = spec.jitterMs {
            guard ms >= 0, ms <= 10_000 else { throw fail("\(field).jitter_ms", "\(ms) is out of range 0...10000 ms") }
            c.jitter = .milliseconds(ms)
        }
        if let name = spec.jitterDistribution {
            let known: [String: JitterDistribution] = ["uniform": .uniform, "normal": .normal, "pareto": .pareto, "paretonormal": .paretoNormal]
            guard let d = known[name] else {
                throw fail("\(field).jitter_distribution", "\"\(name)\" is not one of \(known.keys.sorted().joined(separator: ", "))")
            }
            c.jitterDistribution = d
        }
        if let r = spec.jitterCorrelation {
            guard r >= 0, r < 1 else { throw fail("\(field).jitter_correlation", "\(r) is out of range [0, 1)") }
            c.jitterCorrelation = r
        }
        if let reorder = spec.reorder { c.allowReordering = reorder }
        if spec.lossPercent != nil && spec.gilbertElliott != nil {
            throw fail(field, "give loss_percent or gilbert_elliott, not both")
        }
        if let p = try percent(spec.lossPercent, "loss_percent") { c.loss = p > 0 ? .bernoulli(p) : .none }
        if let ge = spec.gilbertElliott {
            let f = "gilbert_elliott"
            c.loss = .gilbertElliott(
                p: try percent(ge.p, "\(f).p")!, r: try percent(ge.r, "\(f).r")!,
                oneMinusH: try percent(ge.oneMinusH, "\(f).one_minus_h")!, oneMinusK: try percent(ge.oneMinusK, "\(f).one_minus_k")!)
        }
        if let p = try percent(spec.duplicatePercent, "duplicate_percent") { c.duplicate = p }
        if let p = try percent(spec.corruptPercent, "corrupt_percent") { c.corrupt = p }
        if let mtu = spec.mtu {
            guard mtu >= 68, mtu <= 65_535 else { throw fail("\(field).mtu", "\(mtu) is out of range 68...65535 bytes") }
            c.mtu = mtu
        }
        if spec.rateKbps != nil || spec.queuePackets != nil || spec.packetOverheadBytes != nil {
            let existing = c.rate
            let kbps = spec.rateKbps ?? existing.map { Double($0.bitsPerSecond) / 1000 }
            guard let kbps else { throw fail("\(field).rate_kbps", "required with queue_packets or packet_overhead_bytes") }
            guard kbps > 0, kbps <= 100_000_000 else {
                throw fail("\(field).rate_kbps", "\(kbps) is out of range (0, 100000000] kb/s")
            }
            let queue = spec.queuePackets ?? existing?.queueLimitPackets ?? 1000
            guard queue >= 1, queue <= 1_000_000 else {
                throw fail("\(field).queue_packets", "\(queue) is out of range 1...1000000 packets")
            }
            let overhead = spec.packetOverheadBytes ?? existing?.packetOverheadBytes ?? 0
            guard overhead >= 0, overhead <= 65_535 else {
                throw fail("\(field).packet_overhead_bytes", "\(overhead) is out of range 0...65535 bytes")
            }
            c.rate = RateLimit(bitsPerSecond: Int64(kbps * 1000), packetOverheadBytes: overhead, queueLimitPackets: queue)
        }
        if let path = spec.trace {
            let full = path.hasPrefix("/") ? path : URL(fileURLWithPath: baseDirectory).appendingPathComponent(path).path
            // The system's reason first: SimNet's own message would carry a Foundation error dump.
            let fd = open(full, O_RDONLY)
            guard fd >= 0 else { throw fail("\(field).trace", "cannot read \(full): \(String(cString: strerror(errno)))") }
            close(fd)
            do {
                c.trace = try Trace.load(contentsOfFile: full)
            } catch {
                throw fail("\(field).trace", "\(error)")
            }
        }
        return c
    }
}
