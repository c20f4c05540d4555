/// A token bucket: `burst` tokens at most, refilled at `perSecond`; each unit of work takes one.
/// Time is handed in (engine time, milliseconds), like everywhere in the engine.
public struct TokenBucket: Sendable, Equatable {
    public struct Rate: Sendable, Equatable {
        public var perSecond: Double
        public var burst: Double
        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }

    public let rate: Rate
    public private(set) var tokens: Double
    private var updatedAt: Instant

    /// Starts full: a source that was quiet may spend its whole burst at once.
    public init(rate: Rate, now: Instant) {
        self.rate = rate
        self.tokens = rate.burst
        self.updatedAt = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: Instant) -> Bool {
        refill(now: now)
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }

    /// True if `take` would succeed now.
    public func hasToken(now: Instant) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= 1
    }

    /// True if the bucket has refilled completely: it is then the same as a fresh one.
    public func isFull(now: Instant) -> Bool {
        var copy = self
        copy.refill(now: now)
        return copy.tokens >= rate.burst
    }

    private mutating func refill(now: Instant) {
        // A clock that went backwards (it should not) refills nothing rather than trapping.
        let elapsed = max(0, now.milliseconds(since: updatedAt))
        tokens = min(rate.burst, tokens + elapsed * rate.perSecond / 1000)
        updatedAt = max(updatedAt, now)
    }
}

/// How much expensive handshake work (key derivation, signature checks, key agreement, new
/// offers) a `SecureTransport` does for datagrams it cannot yet attribute to a session: one
/// token per such datagram from the source address's bucket and one from the bucket shared by
/// all sources. A flood from one address exhausts only its own bucket; a flood from many
/// (spoofed) addresses exhausts the shared one, which caps the CPU the whole layer can be made
/// to spend, whatever the attacker does. Sessions already established never need a token.
///
/// The per-source table is bounded: when it is full, buckets that have refilled completely
/// are dropped (a full bucket is the same as a new one), at most once per `purgeInterval`; if
/// the table is still full, a new source gets no token until then.
public struct HandshakeBudget: Sendable {
    public struct Settings: Sendable, Equatable {
        public var perSource = TokenBucket.Rate(perSecond: 5, burst: 10)
        public var total = TokenBucket.Rate(perSecond: 100, burst: 200)
        public var sourceLimit = 1024
        public var purgeInterval: Double = 1000
        public init() {}
    }

    public enum Verdict: Sendable, Equatable {
        case granted
        /// This source spent its own budget.
        case sourceExhausted
        /// All sources together spent the shared budget.
        case totalExhausted
        /// The table of sources is full of buckets still in use.
        case tooManySources
    }

    public let settings: Settings
    private var total: TokenBucket
    private var sources: [RoomAddress: TokenBucket] = [:]
    private var lastPurgeAt: Instant?

    public init(settings: Settings = .init(), now: Instant = .zero) {
        self.settings = settings
        self.total = TokenBucket(rate: settings.total, now: now)
    }

    /// Source buckets currently remembered.
    public var trackedSources: Int { sources.count }

    /// Takes a token for one datagram's worth of work from `source`, or says why not. The
    /// source's bucket is checked first, so one noisy source cannot drain the shared bucket.
    public mutating func take(from source: RoomAddress, now: Instant) -> Verdict {
        var bucket: TokenBucket
        if let known = sources[source] {
            bucket = known
        } else {
            if sources.count >= settings.sourceLimit { purgeFullBuckets(now: now) }
            guard sources.count < settings.sourceLimit else { return .tooManySources }
            bucket = TokenBucket(rate: settings.perSource, now: now)
        }
        guard bucket.hasToken(now: now) else {
            sources[source] = bucket
            return .sourceExhausted
        }
        // The shared bucket decides before the source's token is spent, and a new source is
        // remembered only once it got work done: refusals leave no state behind.
        guard total.take(now: now) else { return .totalExhausted }
        _ = bucket.take(now: now)
        sources[source] = bucket
        return .granted
    }

    private mutating func purgeFullBuckets(now: Instant) {
        if let last = lastPurgeAt, now.milliseconds(since: last) < settings.purgeInterval { return }
        lastPurgeAt = now
        sources = sources.filter { !$0.value.isFull(now: now) }
    }
}
