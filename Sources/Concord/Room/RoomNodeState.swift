import SeededRandom

extension RoomNode {
    /// What the node keeps in each phase. A variable that means something in one phase only
    /// lives in that phase's case: it starts fresh on entering the phase and cannot be read, or
    /// left stale, in another.
    enum State {
        case idle
        case discovering(Discovery)
        case member(Member)
        /// After `leave`: when each member that still talks to this node was last answered with
        /// its leave (at most once a second each).
        case left(repliesAt: [String: Instant])

        var phase: Phase {
            switch self {
            case .idle: return .idle
            case .discovering: return .discovering
            case .member: return .member
            case .left: return .left
            }
        }
    }

    /// Looking for the room: broadcasting discovery until a member answers or `deadline` passes.
    struct Discovery {
        /// Creates the room then if no member answered.
        var deadline: Instant
        var nextBroadcastAt: Instant
        /// Members that entered this node's list while it was still discovering: other
        /// discoverers, or — when their discovery reached it late — members of rooms created
        /// meanwhile. Asked for history once this node is a member.
        var peers: Set<String> = []
    }

    /// A member's timers and the exchanges it runs.
    struct Member {
        var nextHeartbeatAt: Instant
        var nextGossipAt: Instant
        var nextAnnounceAt: Instant
        /// `announceInterval` after a view change, doubling each round up to
        /// `announceIntervalMax` while the view stays the same.
        var announcePeriod: Double
        /// When this node last announced in answer to a restarted member's discovery.
        var lastAnswerAnnounceAt: Instant?
        /// When this node last started a push-pull exchange with anyone (see `RoomNode.sync`).
        var lastSyncAt: Instant?
        /// The highest incarnation of this node it has seen declared dead (each is acted on once).
        var noticedDeathIncarnation: UInt32?
        var history: HistoryTransfer
        var reporter = ViewChangeReporter()

        /// Heartbeats start a period from now; gossip and announcements at a random point of
        /// their first period, so members that joined together do not act in step.
        init(now: Instant, settings: RoomSettings, rng: inout SplitMix64) {
            nextHeartbeatAt = now.advanced(byMilliseconds: settings.heartbeatInterval)
            nextGossipAt = now.advanced(byMilliseconds: rng.unit() * settings.gossipInterval)
            announcePeriod = settings.announceInterval
            nextAnnounceAt = now.advanced(byMilliseconds: settings.announceInterval * (0.5 + rng.unit()))
            history = HistoryTransfer(
                attempts: settings.historyAttempts, retryInterval: settings.historyRetryInterval,
                cooldown: settings.historyExchangeCooldown)
        }

        /// The view changed (a merge, a join, a death, a partition): rooms of this id may have
        /// split or may still be apart, so announcements go back to their fastest period.
        mutating func restartAnnouncements(now: Instant, settings: RoomSettings, rng: inout SplitMix64) {
            guard announcePeriod > settings.announceInterval else { return }
            announcePeriod = settings.announceInterval
            let next = now.advanced(byMilliseconds: settings.announceInterval * (0.5 + rng.unit()))
            if next < nextAnnounceAt { nextAnnounceAt = next }
        }

        /// After an announce round: the period doubles while the view stays the same.
        mutating func scheduleNextAnnounce(now: Instant, settings: RoomSettings) {
            announcePeriod = min(max(settings.announceInterval, settings.announceIntervalMax), announcePeriod * 2)
            nextAnnounceAt = Self.following(nextAnnounceAt, period: announcePeriod, now: now)
        }

        /// The round after the one due at `due`, or a period from `now` if that is already past:
        /// a node that fell behind skips the rounds it missed instead of running them in a burst.
        static func following(_ due: Instant, period: Double, now: Instant) -> Instant {
            let next = due.advanced(byMilliseconds: period)
            return next <= now ? now.advanced(byMilliseconds: period) : next
        }
    }
}
