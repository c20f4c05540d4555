import Concord
import Foundation

/// What a live session did, written as JSON by `concord join --summary-json PATH` when it ends:
/// for scripts and for the integration test (which compares the room views of several clients
/// at one instant: `viewChanges` are stamped on CLOCK_MONOTONIC, shared by processes on one
/// machine).
public struct LiveSummary: Codable, Sendable, Equatable {
    public struct ViewChange: Codable, Sendable, Equatable {
        public var atNanoseconds: Int64
        public var view: [String]

        enum CodingKeys: String, CodingKey {
            case view
            case atNanoseconds = "at_ns"
        }
    }

    public struct Message: Codable, Sendable, Equatable {
        public var from: String
        public var text: String
    }

    public struct Peer: Codable, Sendable, Equatable {
        public var clientID: String
        public var fingerprint: String?
        /// Its stream as this client received it, at the last snapshot taken while in the room:
        /// packets and loss over the session, the buffer delay of the last 2 s of audio and over
        /// the session, concealment, RTT and the latency estimate.
        public var voice: VoiceFigures

        public var lossPercent: Double { voice.lossPercent }

        public init(clientID: String, fingerprint: String?, voice: VoiceFigures) {
            self.clientID = clientID
            self.fingerprint = fingerprint
            self.voice = voice
        }

        enum CodingKeys: String, CodingKey {
            case fingerprint, voice
            case clientID = "client_id"
        }
    }

    /// A change of this client's loss protection (adaptive protection only).
    public struct ProtectionChange: Codable, Sendable, Equatable {
        public var atNanoseconds: Int64
        public var from: String
        public var to: String

        enum CodingKeys: String, CodingKey {
            case from, to
            case atNanoseconds = "at_ns"
        }
    }

    public var roomID: String
    public var clientID: String
    /// The engine's first tick (monotonic ns): the input's first frame ended and the output's
    /// first frame began then — the origin of both WAV devices' timelines.
    public var firstTickAtNanoseconds: Int64?
    public var address: String
    public var fingerprint: String
    public var viewChanges: [ViewChange] = []
    /// Every change of the loss protection, in order (empty with fixed protection).
    public var protectionChanges: [ProtectionChange] = []
    public var messages: [Message] = []
    /// Every member seen while this client was in the room, in the order first seen, as last
    /// seen (a member who left keeps the figures it had then).
    public var peers: [Peer] = []
    public var security = SecurityCounters()
    public var securityStatistics = SecureTransport.Statistics()
    public var datagramsReceived = 0
    public var datagramsSent = 0
    /// Datagrams dropped because the engine thread fell 8192 datagrams behind.
    public var inboxOverflowDrops = 0
    /// Exact copies of sealed broadcasts and handshakes dropped before opening (a broadcast
    /// heard both by broadcast and by the subnet sweep's unicast copy).
    public var duplicateDatagrams = 0
    /// How punctually the engine ticked (stalls of the thread or the process).
    public var engineTiming = EngineTiming()
    /// True once the client left and finalized its output.
    public var left = false
    /// Pinned identities after the session (saved to the config by the CLI; not in the JSON).
    public var knownKeys = KnownKeys()

    enum CodingKeys: String, CodingKey {
        case roomID = "room_id"
        case clientID = "client_id"
        case firstTickAtNanoseconds = "first_tick_at_ns"
        case address, fingerprint, messages, peers, security, left
        case viewChanges = "view_changes"
        case protectionChanges = "protection_changes"
        case securityStatistics = "security_statistics"
        case datagramsReceived = "datagrams_received"
        case datagramsSent = "datagrams_sent"
        case inboxOverflowDrops = "inbox_overflow_drops"
        case duplicateDatagrams = "duplicate_datagrams"
        case engineTiming = "engine_timing"
    }

    public init(roomID: String, clientID: String, address: String, fingerprint: String) {
        self.roomID = roomID
        self.clientID = clientID
        self.address = address
        self.fingerprint = fingerprint
    }

    /// The JSON `concord join --summary-json` writes: indented, keys sorted, "/" left as is
    /// (addresses and paths stay readable; JSON does not need it escaped).
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The view this client held at `instant` (monotonic nanoseconds), or nil before its first.
    public func view(at instant: Int64) -> [String]? {
        viewChanges.last { $0.atNanoseconds <= instant }?.view
    }
}
