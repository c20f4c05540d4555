import Concord

/// Everything the live view shows, as plain values: the live driver fills one about 4 times a
/// second and ``LiveViewRenderer`` turns it into terminal lines (or a one-line status).
public struct LiveSnapshot: Sendable, Equatable {
    /// Another member of the room, as this client sees it.
    public struct Member: Sendable, Equatable {
        public var clientID: String
        public var displayName: String
        public var address: String
        /// Its identity's fingerprint; nil until its handshake completed.
        public var fingerprint: String?
        /// Its identity key differs from the pinned one: the view shows a loud warning.
        public var keyChanged: Bool
        /// "alive", "suspect".
        public var status: String
        public var speaking: Bool
        /// Locally silenced (volume 0).
        public var muted: Bool
        /// 1.0 = 100 %.
        public var volume: Float
        /// Level of its decoded audio; nil if no stream.
        public var levelDBFS: Float?
        /// Its stream's figures: loss, jitter buffer, concealment, RTT, latency estimate.
        public var voice: VoiceFigures

        public init(
            clientID: String,
            displayName: String? = nil,
            address: String = "",
            fingerprint: String? = nil,
            keyChanged: Bool = false,
            status: String = "alive",
            speaking: Bool = false,
            muted: Bool = false,
            volume: Float = 1,
            levelDBFS: Float? = nil,
            voice: VoiceFigures = .noAudio()
        ) {
            self.clientID = clientID
            self.displayName = displayName ?? clientID
            self.address = address
            self.fingerprint = fingerprint
            self.keyChanged = keyChanged
            self.status = status
            self.speaking = speaking
            self.muted = muted
            self.volume = volume
            self.levelDBFS = levelDBFS
            self.voice = voice
        }
    }

    /// A room text message, a notice (join, leave, key change...) or an error (a command that
    /// could not be run).
    public struct Message: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            /// A text someone sent to the room.
            case text
            /// Something that happened.
            case notice
            /// Something the user asked for that did not happen, and why.
            case error
        }

        public var secondsSinceStart: Double
        public var from: String
        public var text: String
        public var kind: Kind

        public init(secondsSinceStart: Double, from: String, text: String, kind: Kind = .text) {
            self.secondsSinceStart = secondsSinceStart
            self.from = from
            self.text = text
            self.kind = kind
        }
    }

    public var roomID: String
    public var clientID: String
    /// This client's own identity fingerprint.
    public var fingerprint: String
    public var address: String
    /// Where the client is in the room's life.
    public enum Phase: String, Sendable, Equatable, CustomStringConvertible {
        /// Looking for the room (or about to create it).
        case discovering
        case member
        case left

        public var description: String { rawValue }
    }

    public var phase: Phase
    public var muted: Bool
    /// nil: no input device.
    public var inputLevelDBFS: Float?
    /// The others, sorted.
    public var members: [Member]
    /// Newest last; the renderer shows the last ones that fit.
    public var messages: [Message]
    public var security: SecurityCounters
    public var handshakes: Int
    public var impersonations: Int
    /// Datagrams that were not Concord packets at all.
    public var garbageDatagrams: Int
    public var uptimeSeconds: Double
    /// The fixed parts of the latency estimate (``LatencyEstimate``), for the view's legend.
    public var frameMilliseconds: Double
    public var codecLookaheadMilliseconds: Double
    /// What the capture processing made of the microphone; nil without processing.
    public var capture: CaptureFigures?

    /// Whether your microphone hears you speaking: the voice detector's decision with processing
    /// on; without it, the level rule members are shown by (louder than −45 dBFS), which a loud
    /// room also passes.
    public var youAreSpeaking: Bool {
        capture?.speaking ?? ((inputLevelDBFS ?? -.infinity) > LiveSnapshotBuilder.speakingThresholdDBFS)
    }
    /// What this client spends on loss protection now ("none", "FEC 5 %", "1 copy"…), when it
    /// adapts it to its listeners' reports; nil with a fixed setting.
    public var protection: String?

    public init(
        roomID: String,
        clientID: String,
        fingerprint: String,
        address: String = "",
        phase: Phase = .discovering,
        muted: Bool = false,
        inputLevelDBFS: Float? = nil,
        members: [Member] = [],
        messages: [Message] = [],
        security: SecurityCounters = SecurityCounters(),
        handshakes: Int = 0,
        impersonations: Int = 0,
        garbageDatagrams: Int = 0,
        uptimeSeconds: Double = 0,
        frameMilliseconds: Double = 20,
        codecLookaheadMilliseconds: Double = 6.5
    ) {
        self.roomID = roomID
        self.clientID = clientID
        self.fingerprint = fingerprint
        self.address = address
        self.phase = phase
        self.muted = muted
        self.inputLevelDBFS = inputLevelDBFS
        self.members = members
        self.messages = messages
        self.security = security
        self.handshakes = handshakes
        self.impersonations = impersonations
        self.garbageDatagrams = garbageDatagrams
        self.uptimeSeconds = uptimeSeconds
        self.frameMilliseconds = frameMilliseconds
        self.codecLookaheadMilliseconds = codecLookaheadMilliseconds
    }
}
