/// The room protocol's timers and limits. Every bound documented in `docs/Rooms.md` is a
/// function of these values; tests derive their tolerances from them rather than tuning numbers.
///
/// All durations are milliseconds. The driver must call `RoomNode.tick` at least every
/// `tickInterval`: timers fire on the first tick at or after their deadline, so the tick interval
/// is the resolution of every timer below.
public struct RoomSettings: Sendable, Equatable {
    /// The longest gap between two `tick` calls the driver promises.
    public var tickInterval: Double = 100
    /// How long a joiner broadcasts discovery before it creates the room itself. Long enough for
    /// several discovery broadcasts (`discoveryInterval`) so one lost broadcast does not create a
    /// second room; short enough that creating a new room feels instant.
    public var discoveryWait: Double = 1000
    /// Period of the discovery broadcast while joining: two broadcasts per join with the defaults
    /// (at 0 and 500 ms). Broadcasts are expensive where the driver copies each one to every
    /// address of the subnet (ZeroTier: up to 254 unicast copies), so they stay few; one lost
    /// discover at worst creates a second room, which announcements merge within seconds.
    public var discoveryInterval: Double = 500
    /// Each member sends a heartbeat to every other member in its view this often.
    public var heartbeatInterval: Double = 500
    /// A member with no evidence of life for this long is suspected (three heartbeats missed).
    public var suspectAfter: Double = 1500
    /// A member with no evidence of life for this long is declared dead (six heartbeats missed,
    /// and no gossip from anyone who heard it directly).
    public var deadAfter: Double = 3000
    /// Each member sends its whole list to `gossipFanout` random members this often.
    public var gossipInterval: Double = 1000
    public var gossipFanout: Int = 3
    /// Probability, per gossip round, of also sending the list to one random *dead* member's
    /// address (Serf-style reconnect): this is what heals a partition shorter than the
    /// tombstone lifetime without any broadcast.
    public var reconnectProbability: Double = 0.5
    /// A digest mismatch triggers a push-pull exchange with that peer at most this often per peer…
    public var syncIntervalPerPeer: Double = 2000
    /// …and at most once per this interval overall, so a busy room does not flood.
    public var syncInterval: Double = 300
    /// Every this often the room's *announcer* — the member with the smallest client id in its own
    /// view — broadcasts an announcement, so rooms of the same id find each other (a partition
    /// healed after tombstones expired, rooms created apart on a fresh network). One per room
    /// per interval, whatever its size; a room's creator also announces once when it creates it.
    /// The period starts at this after every view change and doubles each round up to
    /// `announceIntervalMax` while the view stays the same: broadcasts are expensive where the
    /// driver copies each to every address of the subnet, and a settled room rarely needs them.
    public var announceInterval: Double = 2000
    public var announceIntervalMax: Double = 8000
    /// Members answering a discover: each answers with probability `min(1, welcomeTarget / members)`
    /// (every member adds the joiner and heartbeats it anyway; the welcome only speeds things up).
    public var welcomeTarget: Double = 3
    /// Dead and left records are forgotten this long after this node recorded them. Must exceed
    /// `deadAfter` plus the time gossip takes to reach everyone, or a stale alive record could
    /// come back; long enough that reconnect probes heal typical partitions.
    public var tombstoneLifetime: Double = 30_000
    /// How many copies of a leave go to each member (independent losses).
    public var leaveCopies: Int = 3
    /// Unacknowledged text is re-sent to a member this often.
    public var textRetransmitInterval: Double = 300
    /// Messages kept for late joiners.
    public var historyLimit: Int = 100
    /// A late joiner asks for history this often until it has a complete answer…
    public var historyRetryInterval: Double = 1000
    /// …at most this many times.
    public var historyAttempts: Int = 5
    /// Unacknowledged messages kept per sender; `sendText` refuses more.
    public var outboxLimit: Int = 256

    public init() {}

    /// A gap longer than this between two calls into a node (a tick long overdue: the process
    /// was stopped, the laptop slept) is this node's own absence, not its peers': on that call it
    /// grants every member a fresh grace period instead of judging liveness, so its backlog and
    /// the next heartbeats arrive before anyone is suspected. Half of `suspectAfter` — 7.5 ticks
    /// with the defaults — so a merely late tick is not mistaken for a pause, and a pause that
    /// would otherwise make this node suspect its peers always is.
    public var pauseThreshold: Double { suspectAfter / 2 }

    /// A member that resumes after a pause long enough for the others to declare it dead is back
    /// in every view within this many milliseconds of its first call after the pause: its first
    /// heartbeat (sent at once, the schedule being overdue) reaches a member (L), which answers
    /// with the death record (L) if the backlog did not already hold it; the member refutes and
    /// heartbeats at its next tick (≤ `tickInterval`), which reaches everyone (L).
    public func resumeBound(maxOneWayLatency: Double) -> Double {
        tickInterval + 3 * maxOneWayLatency
    }

    /// A history exchange with a member (ask, and be asked back) is not started again within
    /// this long: the span of one exchange with its retries.
    public var historyExchangeCooldown: Double { historyRetryInterval * Double(max(1, historyAttempts)) }

    /// A crashed member has left the view of every member that knew it before the crash within
    /// this many milliseconds: its last datagram arrives by crash + L; gossip reports of
    /// direct contact are at most one more hop old (+ L); after `deadAfter` without evidence the
    /// next tick (≤ `tickInterval`) removes it. `maxOneWayLatency` is the network's L.
    public func failureDetectionBound(maxOneWayLatency: Double) -> Double {
        deadAfter + tickInterval + 2 * maxOneWayLatency
    }

    /// How long after the last membership event (join, leave, crash, partition heal) a network
    /// that delivers datagrams must stay quiet before every live member's view is identical and
    /// holds exactly the live members: crashed members go within `failureDetectionBound`; a member
    /// wrongly declared dead (a heal after a partition, lost heartbeats) refutes and is re-learned,
    /// which can cost one more `deadAfter`; what remains different spreads by digest-triggered
    /// push-pull and gossip within two gossip rounds; a joiner needs `discoveryWait`.
    ///
    /// Rooms of one id that have no tombstones of each other any more (a partition longer than
    /// `tombstoneLifetime`, rooms created apart) meet only through an announcement, which adds up to
    /// `announceIntervalMax`: that is `quietConvergenceTime(…, afterTombstones: true)`.
    public func quietConvergenceTime(maxOneWayLatency: Double, afterTombstones: Bool = false) -> Double {
        failureDetectionBound(maxOneWayLatency: maxOneWayLatency) + deadAfter + 2 * gossipInterval + discoveryWait
            + (afterTombstones ? max(announceInterval, announceIntervalMax) : 0)
    }
}
