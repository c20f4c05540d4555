/// A bottleneck: serialisation at `bitsPerSecond` behind a drop-tail FIFO queue.
///
/// A packet's wire size is payload + 28 (IPv4 + UDP headers) + `packetOverheadBytes`
/// (e.g. Ethernet framing, netem's PACKETOVERHEAD). The queue holds at most
/// `queueLimitPackets` packets *including the one being transmitted* (like netem's `limit`);
/// an arrival that finds it full is dropped (`queueOverflow`). Queueing delay and bufferbloat
/// therefore emerge from the offered load.
public struct RateLimit: Sendable, Equatable {
    public var bitsPerSecond: Int64
    public var packetOverheadBytes: Int
    public var queueLimitPackets: Int

    public init(bitsPerSecond: Int64, packetOverheadBytes: Int = 0, queueLimitPackets: Int = 1000) {
        precondition(bitsPerSecond > 0, "rate must be positive")
        self.bitsPerSecond = bitsPerSecond
        self.packetOverheadBytes = packetOverheadBytes
        self.queueLimitPackets = queueLimitPackets
    }

    /// Serialisation time of a datagram with `payloadBytes` of payload.
    public func transmissionTime(payloadBytes: Int) -> SimTime {
        let bits = Int64(payloadBytes + PathConditions.ipUDPHeaderBytes + packetOverheadBytes) * 8
        return SimTime(nanoseconds: bits * 1_000_000_000 / bitsPerSecond)
    }
}

/// What one direction of a path (source host → destination host) does to datagrams.
/// A value type: set it as the network default or per path, at any time during a run.
///
/// Order of processing for each datagram sent (one pass, like netem):
/// partition → MTU → loss (model, or the trace) → duplication → corruption → rate limit queue →
/// base delay + jitter (or the trace's delay) → FIFO clamp unless reordering is allowed.
public struct PathConditions: Sendable, Equatable {
    /// IPv4 (20) + UDP (8) header bytes, counted against the MTU and the rate.
    public static let ipUDPHeaderBytes = 28

    /// Base one-way propagation delay.
    public var delay: SimTime = .zero
    /// Jitter scale: the half-width for `uniform`, the standard deviation for the others.
    public var jitter: SimTime = .zero
    public var jitterDistribution: JitterDistribution = .normal
    /// Correlation of successive jitter samples, 0..<1 (see `JitterSampler`).
    public var jitterCorrelation: Double = 0
    /// When `false` (the default, as WebRTC's simulated network) a packet never arrives before one
    /// sent earlier on the same path: its arrival is clamped to ≥ the previous arrival.
    public var allowReordering: Bool = false
    public var loss: LossModel = .none
    /// Probability that a datagram is delivered twice (the copy gets its own jitter and queue slot).
    public var duplicate: Double = 0
    /// Probability that one random bit of the payload is flipped.
    public var corrupt: Double = 0
    /// Maximum IP packet size (payload + 28); larger datagrams are dropped. `nil` = unlimited.
    public var mtu: Int? = nil
    /// Bottleneck rate and queue. `nil` = infinite capacity.
    public var rate: RateLimit? = nil
    /// Trace replay: when set, the k-th datagram sent on the path since the trace was set gets
    /// row k's delay or loss (looping), *instead of* `delay`, `jitter`, `loss` and the FIFO clamp. MTU, duplication,
    /// corruption and the rate limit still apply.
    public var trace: Trace? = nil

    public init(delay: SimTime = .zero, jitter: SimTime = .zero,
                jitterDistribution: JitterDistribution = .normal, jitterCorrelation: Double = 0,
                allowReordering: Bool = false, loss: LossModel = .none,
                duplicate: Double = 0, corrupt: Double = 0, mtu: Int? = nil,
                rate: RateLimit? = nil, trace: Trace? = nil) {
        self.delay = delay
        self.jitter = jitter
        self.jitterDistribution = jitterDistribution
        self.jitterCorrelation = jitterCorrelation
        self.allowReordering = allowReordering
        self.loss = loss
        self.duplicate = duplicate
        self.corrupt = corrupt
        self.mtu = mtu
        self.rate = rate
        self.trace = trace
    }

    /// No delay, no loss, unlimited capacity.
    public static let ideal = PathConditions()
}
