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
        /// Estimated mouth-to-ear latency.
        public var latencyMs: Double?
        public var rttMs: Double?
        public var lossPercent: Double
        public var jitterBufferMs: Double
        public var concealedPercent: Double

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
            latencyMs: Double? = nil,
            rttMs: Double? = nil,
            lossPercent: Double = 0,
            jitterBufferMs: Double = 0,
            concealedPercent: Double = 0
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
            self.latencyMs = latencyMs
            self.rttMs = rttMs
            self.lossPercent = lossPercent
            self.jitterBufferMs = jitterBufferMs
            self.concealedPercent = concealedPercent
        }
    }

    /// A room text message or a notice (join, leave, key change...).
    public struct Message: Sendable, Equatable {
        public var secondsSinceStart: Double
        public var from: String
        public var text: String
        public var isNotice: Bool

        public init(secondsSinceStart: Double, from: String, text: String, isNotice: Bool = false) {
            self.secondsSinceStart = secondsSinceStart
            self.from = from
            self.text = text
            self.isNotice = isNotice
        }
    }

    public var roomID: String
    public var clientID: String
    /// This client's own identity fingerprint.
    public var fingerprint: String
    public var address: String
    /// "discovering", "member", "left".
    public var phase: String
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

    public init(
        roomID: String,
        clientID: String,
        fingerprint: String,
        address: String = "",
        phase: String = "discovering",
        muted: Bool = false,
        inputLevelDBFS: Float? = nil,
        members: [Member] = [],
        messages: [Message] = [],
        security: SecurityCounters = SecurityCounters(),
        handshakes: Int = 0,
        impersonations: Int = 0,
        garbageDatagrams: Int = 0,
        uptimeSeconds: Double = 0
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
    }
}
