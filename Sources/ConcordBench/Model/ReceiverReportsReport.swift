/// What the listeners' receiver reports said, next to what the bench measured itself (report.json
/// `receiver_reports`). The engine computes its figures from its own packets and clocks; the
/// bench's come from SimNet's delivery records, so each pair of columns is an independent check
/// of the other.
public struct ReceiverReportsReport: Codable, Sendable, Equatable {
    /// Reports every participant sent.
    public var reportsSent: Int
    /// Report bytes on the wire (sealed, plus 28 bytes of IPv4/UDP each), per second, averaged
    /// over the ordered pairs of participants that reported: each such pair's cost.
    public var bitsPerSecondPerPair: Double
    public var streams: [Stream]

    /// One talker → listener stream, as the talker learned it from the listener's reports.
    public struct Stream: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        /// Reports the talker took from this listener (with a stream block).
        public var reports: Int
        /// Packets in the report intervals compared (consecutive reports about one interval apart,
        /// counted alike by both sides; see `ReceiverReportComparison`).
        public var packetsCompared: Int
        /// Over those intervals: the listener's change of cumulative loss, and the bench's count
        /// of the same packets not heard by the time each report arrived, in % of the packets.
        public var reportedLossPercent: Double
        public var measuredLossPercent: Double
        /// The last report's RFC 3550 jitter, and the bench's over the same arrivals.
        public var reportedJitterMs: Double
        public var measuredJitterMs: Double
        /// Mean of the talker's round-trip samples from this listener's echoes; nil without any.
        public var roundTripMs: Double?
        /// Mean transit of the reports talker → listener plus listener → talker, from SimNet's send
        /// and arrival times of the report datagrams; nil when none arrived one way.
        public var networkRoundTripMs: Double?
        /// Mean of the one-way queueing delays the listener reported, and the bench's mean over the
        /// same arrivals of each packet's transit above the least of the 30 s before it (from
        /// SimNet's send and arrival times); nil without any.
        public var reportedQueueingMs: Double?
        public var measuredQueueingMs: Double?

        enum CodingKeys: String, CodingKey {
            case from, to, reports
            case packetsCompared = "packets_compared"
            case reportedLossPercent = "reported_loss_percent"
            case measuredLossPercent = "measured_loss_percent"
            case reportedJitterMs = "reported_jitter_ms"
            case measuredJitterMs = "measured_jitter_ms"
            case roundTripMs = "round_trip_ms"
            case networkRoundTripMs = "network_round_trip_ms"
            case reportedQueueingMs = "reported_queueing_ms"
            case measuredQueueingMs = "measured_queueing_ms"
        }
    }

    enum CodingKeys: String, CodingKey {
        case streams
        case reportsSent = "reports_sent"
        case bitsPerSecondPerPair = "bits_per_second_per_pair"
    }
}
