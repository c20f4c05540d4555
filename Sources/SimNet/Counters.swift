/// Why a datagram was not delivered.
public enum DropCause: String, CaseIterable, Sendable {
    /// The loss model (Bernoulli, Gilbert–Elliott, 4-state) or a lost trace row.
    case loss
    /// The rate limiter's queue was full.
    case queueOverflow
    /// Larger than the path MTU.
    case mtu
    /// The link was cut when the datagram was sent or when it would have arrived.
    case partition
    /// It arrived, but nothing was bound to the destination port.
    case noListener
}

/// Per-path (one direction) counters. `sent` counts datagrams handed to the path; duplicates are
/// counted in `duplicated` and, when they arrive, in `delivered` (so delivered can exceed sent).
public struct PathCounters: Sendable, Equatable, CustomStringConvertible {
    public var sent = 0
    public var delivered = 0
    public var duplicated = 0
    public var corrupted = 0
    /// Datagrams that arrived after a datagram sent later on the same path (RFC 4737 "reordered").
    public var reordered = 0
    public var droppedLoss = 0
    public var droppedQueueOverflow = 0
    public var droppedMTU = 0
    public var droppedPartition = 0
    public var droppedNoListener = 0
    public var bytesSent = 0
    public var bytesDelivered = 0

    public init() {}

    public var dropped: Int {
        droppedLoss + droppedQueueOverflow + droppedMTU + droppedPartition + droppedNoListener
    }

    public func dropped(_ cause: DropCause) -> Int {
        switch cause {
        case .loss: droppedLoss
        case .queueOverflow: droppedQueueOverflow
        case .mtu: droppedMTU
        case .partition: droppedPartition
        case .noListener: droppedNoListener
        }
    }

    mutating func countDrop(_ cause: DropCause) {
        switch cause {
        case .loss: droppedLoss += 1
        case .queueOverflow: droppedQueueOverflow += 1
        case .mtu: droppedMTU += 1
        case .partition: droppedPartition += 1
        case .noListener: droppedNoListener += 1
        }
    }

    public static func + (a: PathCounters, b: PathCounters) -> PathCounters {
        var c = a
        c.sent += b.sent; c.delivered += b.delivered; c.duplicated += b.duplicated
        c.corrupted += b.corrupted; c.reordered += b.reordered; c.droppedLoss += b.droppedLoss
        c.droppedQueueOverflow += b.droppedQueueOverflow; c.droppedMTU += b.droppedMTU
        c.droppedPartition += b.droppedPartition; c.droppedNoListener += b.droppedNoListener
        c.bytesSent += b.bytesSent; c.bytesDelivered += b.bytesDelivered
        return c
    }

    public var description: String {
        "sent \(sent) delivered \(delivered) dup \(duplicated) corrupt \(corrupted) reordered \(reordered) "
            + "dropped loss \(droppedLoss) queue \(droppedQueueOverflow) mtu \(droppedMTU) "
            + "partition \(droppedPartition) noListener \(droppedNoListener) bytes \(bytesSent)/\(bytesDelivered)"
    }
}
