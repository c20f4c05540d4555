/// What the room protocol did in a run (`report.json` → `membership`; absent without a room).
public struct MembershipReport: Codable, Sendable, Equatable {
    public struct Join: Codable, Sendable, Equatable {
        public var participant: String
        /// From the join call until the node is a member (created or admitted), ms; nil if never.
        public var joinMs: Double?
        /// Control and text bytes this node sent per second while in the room.
        public var controlBytesPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case participant
            case joinMs = "join_ms"
            case controlBytesPerSecond = "control_bytes_per_second"
        }
    }

    public struct Convergence: Codable, Sendable, Equatable {
        /// e.g. "join alice", "crash bob", "partition", "heal".
        public var event: String
        public var atSeconds: Double
        /// Until every live node's view held exactly the live nodes it can reach, ms; nil if
        /// that did not happen before the run ended.
        public var convergedAfterMs: Double?

        enum CodingKeys: String, CodingKey {
            case event
            case atSeconds = "at_seconds"
            case convergedAfterMs = "converged_after_ms"
        }
    }

    public var joins: [Join]
    public var convergence: [Convergence]
    /// Mean and max over nodes of `control_bytes_per_second`.
    public var controlBytesPerSecondMean: Double
    public var controlBytesPerSecondMax: Double

    enum CodingKeys: String, CodingKey {
        case joins, convergence
        case controlBytesPerSecondMean = "control_bytes_per_second_mean"
        case controlBytesPerSecondMax = "control_bytes_per_second_max"
    }
}
