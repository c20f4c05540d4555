/// What a relay did, for its caller and `concord-bench relay --stats-json`.
public struct RelayStatistics: Sendable, Equatable, Codable {
    public var wallSeconds = 0.0
    /// CPU time of the relay's thread.
    public var cpuSeconds = 0.0
    /// Whether the relay's thread ran in the real-time (SCHED_FIFO) class.
    public var realtimePriority = false
    /// Datagrams the relay's sockets received from participants' clients.
    public var received = 0
    /// Datagrams sent on to a client (duplicates count twice; a broadcast once per recipient).
    public var forwarded = 0
    /// Datagrams from an address that is no participant's client: dropped, counted.
    public var unknownSource = 0
    /// Forwards the kernel refused (e.g. a client's full receive buffer).
    public var sendFailures = 0
    /// The path models' decisions, summed over every path.
    public var droppedLoss = 0
    public var droppedQueueOverflow = 0
    public var droppedPartition = 0
    public var duplicated = 0
    public var reordered = 0
    /// How late datagrams went out against their scheduled time, milliseconds.
    public var schedulingErrorP50Ms: Double?
    public var schedulingErrorP90Ms: Double?
    public var schedulingErrorP99Ms: Double?
    public var schedulingErrorMaxMs: Double?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case wallSeconds = "wall_seconds", cpuSeconds = "cpu_seconds", realtimePriority = "realtime_priority", received, forwarded
        case unknownSource = "unknown_source", sendFailures = "send_failures", droppedLoss = "dropped_loss"
        case droppedQueueOverflow = "dropped_queue_overflow", droppedPartition = "dropped_partition", duplicated, reordered
        case schedulingErrorP50Ms = "scheduling_error_p50_ms", schedulingErrorP90Ms = "scheduling_error_p90_ms"
        case schedulingErrorP99Ms = "scheduling_error_p99_ms", schedulingErrorMaxMs = "scheduling_error_max_ms"
    }

    /// One line for a terminal.
    public var summary: String {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.3f", $0) } ?? "–" }
        return "relay: \(received) datagrams in, \(forwarded) out; dropped by the paths: \(droppedLoss) loss, "
            + "\(droppedQueueOverflow) queue, \(droppedPartition) partition; \(duplicated) duplicated, \(reordered) reordered; "
            + "\(unknownSource) from unknown senders, \(sendFailures) send failures; "
            + "scheduling error p50 \(ms(schedulingErrorP50Ms)) ms, p99 \(ms(schedulingErrorP99Ms)) ms, "
            + "max \(ms(schedulingErrorMaxMs)) ms; CPU \(String(format: "%.2f", cpuSeconds)) s in \(String(format: "%.1f", wallSeconds)) s"
            + (realtimePriority ? "" : " (not in the real-time class: lateness grows when the cores are busy)")
    }
}
