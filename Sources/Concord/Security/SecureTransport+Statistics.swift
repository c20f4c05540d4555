extension SecureTransport {
    public struct Statistics: Sendable, Equatable, Codable {
        public var handshakesStarted = 0
        public var handshakesCompleted = 0
        /// Offers with a bad signature, another room's tag, a malformed client id, or reflected.
        public var handshakesRejected = 0
        /// Handshakes that got no response within `handshakeAttempts`.
        public var handshakesTimedOut = 0
        /// Responses that answered no offer of ours (late duplicates or replays).
        public var staleResponses = 0
        /// Sessions replaced by a newer handshake (time-based rekey or a peer's restart).
        public var sessionsReplaced = 0
        /// Datagrams dropped because their handshake never completed or the queue was full.
        public var queueDrops = 0
        /// Voice datagrams that waited for a handshake longer than `queuedVoiceLifetime`, dropped.
        public var staleVoiceDrops = 0
        /// Delivered datagrams whose inner sender was not the session's client id.
        public var impersonations = 0
        public var keyChanges = 0
        public var sealedPackets = 0
        /// Bytes added by sealing, over all sealed packets.
        public var sealOverheadBytes = 0
        /// Bootstrap keys derived for unseen sender salts (each one took a budget token).
        public var bootstrapKeysDerived = 0
        /// Datagrams granted expensive handshake work by the budget.
        public var handshakeWork = 0
        /// Initiation retries to an unverified address not sent: no broadcast credit left.
        public var repliesWithheld = 0
        /// Unconfirmed handshakes or heard-broadcast initiations dropped or refused at
        /// `pendingHandshakeLimit`.
        public var pendingEvicted = 0
        public init() {}

        enum CodingKeys: String, CodingKey {
            case impersonations
            case handshakesStarted = "handshakes_started"
            case handshakesCompleted = "handshakes_completed"
            case handshakesRejected = "handshakes_rejected"
            case handshakesTimedOut = "handshakes_timed_out"
            case staleResponses = "stale_responses"
            case sessionsReplaced = "sessions_replaced"
            case queueDrops = "queue_drops"
            case staleVoiceDrops = "stale_voice_drops"
            case keyChanges = "key_changes"
            case sealedPackets = "sealed_packets"
            case sealOverheadBytes = "seal_overhead_bytes"
            case bootstrapKeysDerived = "bootstrap_keys_derived"
            case handshakeWork = "handshake_work"
            case repliesWithheld = "replies_withheld"
            case pendingEvicted = "pending_evicted"
        }

        /// Summaries written before the flood counters existed still decode (as zero).
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func int(_ key: CodingKeys) throws -> Int { try c.decodeIfPresent(Int.self, forKey: key) ?? 0 }
            handshakesStarted = try int(.handshakesStarted)
            handshakesCompleted = try int(.handshakesCompleted)
            handshakesRejected = try int(.handshakesRejected)
            handshakesTimedOut = try int(.handshakesTimedOut)
            staleResponses = try int(.staleResponses)
            sessionsReplaced = try int(.sessionsReplaced)
            queueDrops = try int(.queueDrops)
            staleVoiceDrops = try int(.staleVoiceDrops)
            impersonations = try int(.impersonations)
            keyChanges = try int(.keyChanges)
            sealedPackets = try int(.sealedPackets)
            sealOverheadBytes = try int(.sealOverheadBytes)
            bootstrapKeysDerived = try int(.bootstrapKeysDerived)
            handshakeWork = try int(.handshakeWork)
            repliesWithheld = try int(.repliesWithheld)
            pendingEvicted = try int(.pendingEvicted)
        }
    }
}
