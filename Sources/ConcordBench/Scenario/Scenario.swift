import Foundation

/// A benchmark scenario, as written in JSON (snake_case keys; the README documents the schema
/// and `fixtures/*.scenario.json` are complete examples). Every field but `participants` has a
/// default. Unknown keys are rejected, so a typo never silently does nothing.
public struct Scenario: Codable, Sendable, Equatable {
    public var name: String = "scenario"
    public var durationSeconds: Double = 30
    public var seed: UInt64 = 1
    public var codec: CodecSpec = .init()
    public var jitterBuffer: JitterBufferSpec = .init()
    public var network: NetworkSpec = .init()
    public var participants: [ParticipantSpec] = []
    /// Present: participants find each other through Concord's room protocol (and may join,
    /// leave and crash on a schedule); absent: a fixed mesh connected from the start.
    public var room: RoomSpec?
    /// Seal every datagram as a real client does (pair sessions, `SecureTransport`); false
    /// runs the plain protocol, to measure what security costs.
    public var sealed: Bool = true
    /// Echo cancellation and the rest on every participant's microphone; absent: none.
    public var audioProcessing: AudioProcessingSpec?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, seed, codec, network, participants, room, sealed
        case durationSeconds = "duration_seconds"
        case jitterBuffer = "jitter_buffer"
        case audioProcessing = "audio_processing"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? name
        durationSeconds = try c.decodeIfPresent(Double.self, forKey: .durationSeconds) ?? durationSeconds
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        codec = try c.decodeIfPresent(CodecSpec.self, forKey: .codec) ?? codec
        jitterBuffer = try c.decodeIfPresent(JitterBufferSpec.self, forKey: .jitterBuffer) ?? jitterBuffer
        network = try c.decodeIfPresent(NetworkSpec.self, forKey: .network) ?? network
        participants = try c.decode([ParticipantSpec].self, forKey: .participants)
        room = try c.decodeIfPresent(RoomSpec.self, forKey: .room)
        sealed = try c.decodeIfPresent(Bool.self, forKey: .sealed) ?? sealed
        audioProcessing = try c.decodeIfPresent(AudioProcessingSpec.self, forKey: .audioProcessing)
    }
}

/// The room the participants meet in.
public struct RoomSpec: Codable, Sendable, Equatable {
    public var id: String = "bench-room"

    public init(id: String = "bench-room") { self.id = id }

    enum CodingKeys: String, CodingKey, CaseIterable { case id }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decodeIfPresent(String.self, forKey: .id) ?? id
    }
}

/// Opus settings shared by every participant.
public struct CodecSpec: Codable, Sendable, Equatable {
    public var bitrate: Int = 32_000
    public var frameMs: Int = 20
    public var complexity: Int = 10
    public var vbr: Bool = true
    public var fec: Bool = false
    /// The loss the encoder plans FEC for; defaults to 10 when `fec` is on, else 0.
    public var expectedLossPercent: Int?
    public var dtx: Bool = false
    public var application: Application = .voip
    /// Earlier frames repeated in each packet (RFC 2198-style redundancy), 0...8.
    public var redundancy: Int = 0
    /// The bitrate of those copies, from a second encoder; absent: each copy repeats the primary
    /// payload (fixed redundancy), or half the primary bitrate, at least 8000 (adaptive protection).
    public var copyBitrate: Int?
    /// `fixed`: `fec` and `redundancy` hold for the whole call; `adaptive`: each talker chooses
    /// FEC and copies from its listeners' receiver reports (`ProtectionPolicy`).
    public var protection: Protection = .fixed

    public enum Protection: String, Codable, CaseIterable, Sendable {
        case fixed, adaptive
    }

    /// The Opus application mode, as the scenario spells it.
    public enum Application: String, Codable, CaseIterable, Sendable {
        case voip
        case restrictedLowDelay = "restricted_low_delay"
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case bitrate, complexity, vbr, fec, dtx, application, redundancy, protection
        case copyBitrate = "copy_bitrate"
        case frameMs = "frame_ms"
        case expectedLossPercent = "expected_loss_percent"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bitrate = try c.decodeIfPresent(Int.self, forKey: .bitrate) ?? bitrate
        frameMs = try c.decodeIfPresent(Int.self, forKey: .frameMs) ?? frameMs
        complexity = try c.decodeIfPresent(Int.self, forKey: .complexity) ?? complexity
        vbr = try c.decodeIfPresent(Bool.self, forKey: .vbr) ?? vbr
        fec = try c.decodeIfPresent(Bool.self, forKey: .fec) ?? fec
        expectedLossPercent = try c.decodeIfPresent(Int.self, forKey: .expectedLossPercent)
        dtx = try c.decodeIfPresent(Bool.self, forKey: .dtx) ?? dtx
        application = try c.decodeIfPresent(oneOf: Application.self, forKey: .application) ?? application
        redundancy = try c.decodeIfPresent(Int.self, forKey: .redundancy) ?? redundancy
        copyBitrate = try c.decodeIfPresent(Int.self, forKey: .copyBitrate)
        protection = try c.decodeIfPresent(oneOf: Protection.self, forKey: .protection) ?? protection
    }
}

/// Jitter-buffer settings shared by every listener.
public struct JitterBufferSpec: Codable, Sendable, Equatable {
    public var mode: Mode = .adaptive
    /// The delay of a fixed buffer.
    public var fixedMs: Int?
    /// Concord's buffer only; absent: `JitterBufferSettings`' defaults (0, 1000 and 80 ms).
    public var minMs: Int?
    public var maxMs: Int?
    public var initialMs: Int?
    /// What a unit of late-loss probability is worth in ms of delay (`JitterBufferSettings`);
    /// absent: the E-model's 15 750. Moves the buffer along its delay–late-loss trade.
    public var lateLossWorthMs: Double?

    /// As the scenario spells it.
    public enum Mode: String, Codable, CaseIterable, Sendable {
        case adaptive
        case fixed
        /// WebRTC's NetEq with its default settings, in place of Concord's buffer and decoder.
        case neteq
    }

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode
        case fixedMs = "fixed_ms"
        case minMs = "min_ms"
        case maxMs = "max_ms"
        case initialMs = "initial_ms"
        case lateLossWorthMs = "late_loss_worth_ms"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try c.decodeIfPresent(oneOf: Mode.self, forKey: .mode) ?? mode
        fixedMs = try c.decodeIfPresent(Int.self, forKey: .fixedMs)
        minMs = try c.decodeIfPresent(Int.self, forKey: .minMs)
        maxMs = try c.decodeIfPresent(Int.self, forKey: .maxMs)
        initialMs = try c.decodeIfPresent(Int.self, forKey: .initialMs)
        lateLossWorthMs = try c.decodeIfPresent(Double.self, forKey: .lateLossWorthMs)
    }
}

/// Conditions of one direction of a link: a SimNet preset, then any explicit field on top.
public struct LinkSpec: Codable, Sendable, Equatable {
    public var preset: String?
    public var delayMs: Double?
    public var jitterMs: Double?
    /// `uniform`, `normal`, `pareto` or `paretonormal` (netem's names).
    public var jitterDistribution: String?
    public var jitterCorrelation: Double?
    public var reorder: Bool?
    /// Bernoulli loss.
    public var lossPercent: Double?
    /// Gilbert–Elliott loss with netem's gemodel parameters, in percent: p, r, 1-h, 1-k.
    public var gilbertElliott: GilbertElliottSpec?
    public var duplicatePercent: Double?
    public var corruptPercent: Double?
    public var mtu: Int?
    public var rateKbps: Double?
    public var queuePackets: Int?
    public var packetOverheadBytes: Int?
    /// A SimNet trace CSV (`seq,send_ms,arrive_ms`) to replay, relative to the scenario file.
    public var trace: String?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case preset, reorder, mtu, trace
        case delayMs = "delay_ms"
        case jitterMs = "jitter_ms"
        case jitterDistribution = "jitter_distribution"
        case jitterCorrelation = "jitter_correlation"
        case lossPercent = "loss_percent"
        case gilbertElliott = "gilbert_elliott"
        case duplicatePercent = "duplicate_percent"
        case corruptPercent = "corrupt_percent"
        case rateKbps = "rate_kbps"
        case queuePackets = "queue_packets"
        case packetOverheadBytes = "packet_overhead_bytes"
    }
}

public struct GilbertElliottSpec: Codable, Sendable, Equatable {
    public var p: Double
    public var r: Double
    public var oneMinusH: Double = 100
    public var oneMinusK: Double = 0

    enum CodingKeys: String, CodingKey, CaseIterable {
        case p, r
        case oneMinusH = "one_minus_h"
        case oneMinusK = "one_minus_k"
    }

    public init(p: Double, r: Double, oneMinusH: Double = 100, oneMinusK: Double = 0) {
        self.p = p
        self.r = r
        self.oneMinusH = oneMinusH
        self.oneMinusK = oneMinusK
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        p = try c.decode(Double.self, forKey: .p)
        r = try c.decode(Double.self, forKey: .r)
        oneMinusH = try c.decodeIfPresent(Double.self, forKey: .oneMinusH) ?? oneMinusH
        oneMinusK = try c.decodeIfPresent(Double.self, forKey: .oneMinusK) ?? oneMinusK
    }
}

/// Conditions for one pair of participants, on top of the room-wide `links`.
public struct PerLinkSpec: Codable, Sendable, Equatable {
    public var from: String
    public var to: String
    /// Apply to to → from as well (default true).
    public var bothDirections: Bool = true
    public var conditions: LinkSpec

    enum CodingKeys: String, CodingKey, CaseIterable {
        case from, to, conditions
        case bothDirections = "both_directions"
    }

    public init(from: String, to: String, bothDirections: Bool = true, conditions: LinkSpec) {
        self.from = from
        self.to = to
        self.bothDirections = bothDirections
        self.conditions = conditions
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        from = try c.decode(String.self, forKey: .from)
        to = try c.decode(String.self, forKey: .to)
        bothDirections = try c.decodeIfPresent(Bool.self, forKey: .bothDirections) ?? true
        conditions = try c.decode(LinkSpec.self, forKey: .conditions)
    }
}

/// Something that happens to the network during the run.
public struct NetworkEventSpec: Codable, Sendable, Equatable {
    public var atSeconds: Double
    /// `partition` (with `groups`), `heal`, or `set_link` (with `from`, `to`, `conditions`,
    /// optionally `both_directions`, default true).
    public var action: String
    public var groups: [[String]]?
    public var from: String?
    public var to: String?
    public var bothDirections: Bool?
    public var conditions: LinkSpec?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case action, groups, from, to, conditions
        case atSeconds = "at_seconds"
        case bothDirections = "both_directions"
    }

    public init(atSeconds: Double, action: String, groups: [[String]]? = nil, from: String? = nil, to: String? = nil,
                bothDirections: Bool? = nil, conditions: LinkSpec? = nil) {
        self.atSeconds = atSeconds
        self.action = action
        self.groups = groups
        self.from = from
        self.to = to
        self.bothDirections = bothDirections
        self.conditions = conditions
    }
}

public struct NetworkSpec: Codable, Sendable, Equatable {
    /// Conditions of every link (each direction separately), e.g. `{"preset": "wifi"}`.
    public var links: LinkSpec = .init()
    public var perLink: [PerLinkSpec] = []
    public var events: [NetworkEventSpec] = []

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case links, events
        case perLink = "per_link"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        links = try c.decodeIfPresent(LinkSpec.self, forKey: .links) ?? links
        perLink = try c.decodeIfPresent([PerLinkSpec].self, forKey: .perLink) ?? []
        events = try c.decodeIfPresent([NetworkEventSpec].self, forKey: .events) ?? []
    }

    /// A short human name for reports: the room-wide preset, or "custom".
    public var summary: String {
        var s = links.preset ?? (links == LinkSpec() ? "ideal" : "custom")
        if links.preset != nil && links != { var l = LinkSpec(); l.preset = links.preset; return l }() { s += "+custom" }
        if !perLink.isEmpty { s += " (\(perLink.count) per-link)" }
        return s
    }
}

/// One virtual person: a WAV file as microphone.
public struct ParticipantSpec: Codable, Sendable, Equatable {
    public var name: String
    /// Any file libsndfile reads; relative paths are relative to the scenario file. Absent: a
    /// listener who says nothing.
    public var wav: String?
    /// When the WAV starts playing into the microphone (s).
    public var startSeconds: Double = 0
    /// Start the WAV again when it ends (default true); otherwise silence after it.
    public var loop: Bool = true
    /// When the microphone is open: `[[from_s, to_s], …]`. Absent = always. The WAV keeps
    /// playing on its own timeline; outside these intervals the microphone hears silence.
    public var talk: [[Double]]?
    /// With a room: when this participant joins it (default 0), and when it leaves gracefully
    /// or crashes (stops dead, sending nothing more), if it does.
    public var joinSeconds: Double?
    public var leaveSeconds: Double?
    public var crashSeconds: Double?
    /// How fast this participant's sound card clock runs, in parts per million (−1000…1000;
    /// default 0): its capture and playout follow it, as real devices drift.
    public var clockPPM: Double?
    /// Its loudspeaker's echo and the noise at its microphone; absent: neither.
    public var acoustics: AcousticsSpec?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, wav, loop, talk, acoustics
        case startSeconds = "start_seconds"
        case joinSeconds = "join_seconds"
        case leaveSeconds = "leave_seconds"
        case crashSeconds = "crash_seconds"
        case clockPPM = "clock_ppm"
    }

    public init(name: String, wav: String?, startSeconds: Double = 0, loop: Bool = true, talk: [[Double]]? = nil) {
        self.name = name
        self.wav = wav
        self.startSeconds = startSeconds
        self.loop = loop
        self.talk = talk
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        wav = try c.decodeIfPresent(String.self, forKey: .wav)
        startSeconds = try c.decodeIfPresent(Double.self, forKey: .startSeconds) ?? 0
        loop = try c.decodeIfPresent(Bool.self, forKey: .loop) ?? true
        talk = try c.decodeIfPresent([[Double]].self, forKey: .talk)
        joinSeconds = try c.decodeIfPresent(Double.self, forKey: .joinSeconds)
        leaveSeconds = try c.decodeIfPresent(Double.self, forKey: .leaveSeconds)
        crashSeconds = try c.decodeIfPresent(Double.self, forKey: .crashSeconds)
        clockPPM = try c.decodeIfPresent(Double.self, forKey: .clockPPM)
        acoustics = try c.decodeIfPresent(AcousticsSpec.self, forKey: .acoustics)
    }
}

extension KeyedDecodingContainer {
    /// A string field that must be one of `T`'s spellings; any other is an error listing them all.
    func decodeIfPresent<T: RawRepresentable & CaseIterable>(oneOf type: T.Type, forKey key: Key) throws -> T?
    where T.RawValue == String {
        guard let text = try decodeIfPresent(String.self, forKey: key) else { return nil }
        guard let value = T(rawValue: text) else {
            let spellings = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "\"\(text)\" is not one of \(spellings)")
        }
        return value
    }
}
