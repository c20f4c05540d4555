extension SecureTransport {
    public struct Settings: Sendable, Equatable {
        public var handshakeRetryInterval: Double = 250
        public var handshakeAttempts = 12
        /// A new handshake per session after this long (WireGuard's REKEY_AFTER_TIME).
        public var rekeyInterval: Double = 120_000
        /// Sessions that opened nothing for this long are dropped with their keys.
        public var idleSessionLifetime: Double = 60_000
        /// Datagrams queued per address while its handshake runs; more are dropped and counted.
        public var queueLimit = 64
        /// Voice queued behind a handshake is sent when the session opens only if it has waited
        /// no longer than this, in milliseconds; older voice is dropped and counted. Sent, it would
        /// reach the listener in one burst a handshake's round trip late (on a satellite path,
        /// 600 ms of speech), which the listener can only play late — every later word late too,
        /// until stretched away — or throw away. As in WebRTC, which sends no media before its
        /// DTLS handshake, the words spoken before a path is secured are not heard; two 20 ms
        /// frames still go, so a session opened mid-word starts with its frame before.
        public var queuedVoiceLifetime: Double = 40
        /// Broadcasts held per address until its session exists.
        public var heldBroadcastLimit = 8
        /// Bootstrap senders (session salts) remembered for replay protection.
        public var bootstrapSenderLimit = 512
        public var rekeyAfterPackets: UInt64 = SealedFormat.defaultRekeyAfterPackets
        /// Expensive handshake work allowed for datagrams of no session (per source, in total).
        public var handshakeBudget = HandshakeBudget.Settings()
        /// Unconfirmed responder keys kept at once, and initiations started because a broadcast
        /// was heard: the most state unauthenticated-origin traffic can make this node hold.
        public var pendingHandshakeLimit = 64
        /// Unconfirmed responder keys are dropped after this long (the initiator stops retrying
        /// after `handshakeAttempts × handshakeRetryInterval` = 3 s).
        public var unconfirmedLifetime: Double = 5000
        public init() {}
    }
}
