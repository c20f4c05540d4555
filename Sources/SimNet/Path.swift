/// One direction of a path between two hosts: its conditions, its own random generator and
/// the state of its models. Internal; reached through `Network`.
///
/// A struct mutated in place inside `Network.paths` (one exclusive access per datagram instead of
/// a dynamically checked access per field, which a class would need).
struct Path {
    let source: Int32
    let destination: Int32
    var conditions: PathConditions
    /// `true` once `setConditions` was called for this path: the network default no longer applies.
    var hasOwnConditions = false
    var rng: Xoshiro256StarStar
    var lossState = LossState()
    var jitterSampler = JitterSampler()
    var distribution: JitterDistribution = .normal
    var counters = PathCounters()
    var isCut = false

    /// Datagrams handed to the path so far.
    var sendIndex: Int = 0
    /// Datagrams handed to the path since its trace was set (the trace row index).
    var traceIndex: Int = 0
    /// Latest arrival time scheduled (the FIFO clamp).
    var lastArrival: Int64 = .min
    /// Highest send index that has arrived (reorder counting, RFC 4737).
    var highestArrivedIndex: Int = -1
    // Rate limiter: when the link is free, and the finish times of the packets in the queue.
    var linkFreeAt: Int64 = .min
    var queueFinish: ContiguousArray<Int64> = []
    var queueHead = 0

    var recording: [Trace.Row]? = nil

    init(source: Int32, destination: Int32, conditions: PathConditions, seed: UInt64) {
        self.source = source
        self.destination = destination
        self.conditions = conditions
        self.rng = Xoshiro256StarStar(seed: seed)
        apply(conditions)
    }

    mutating func apply(_ newConditions: PathConditions) {
        if newConditions.trace != conditions.trace { traceIndex = 0 }
        conditions = newConditions
        lossState.reset(for: newConditions.loss)
        distribution = newConditions.jitterDistribution.prepared
        if newConditions.rate == nil {
            queueFinish.removeAll(keepingCapacity: true); queueHead = 0; linkFreeAt = .min
        }
    }

    /// Packets in the rate limiter at time `now` (including the one being transmitted).
    @inline(__always)
    mutating func queueLength(at now: Int64) -> Int {
        while queueHead < queueFinish.count && queueFinish[queueHead] <= now { queueHead += 1 }
        if queueHead > 256 && queueHead * 2 > queueFinish.count {
            queueFinish.removeFirst(queueHead); queueHead = 0
        }
        return queueFinish.count - queueHead
    }

    /// Enqueues a datagram in the rate limiter; returns its departure time, or nil if dropped.
    @inline(__always)
    mutating func enqueue(payloadBytes: Int, now: Int64, rate: RateLimit) -> Int64? {
        if queueLength(at: now) >= rate.queueLimitPackets { return nil }
        let start = max(now, linkFreeAt)
        let finish = start + rate.transmissionTime(payloadBytes: payloadBytes).nanoseconds
        linkFreeAt = finish
        queueFinish.append(finish)
        return finish
    }

    /// Propagation delay of the next datagram from delay + jitter (not for traces).
    @inline(__always)
    mutating func sampleDelay() -> Int64 {
        var d = conditions.delay.nanoseconds
        let jitter = conditions.jitter.nanoseconds
        if jitter != 0 {
            let q = jitterSampler.sample(distribution, correlation: conditions.jitterCorrelation, rng: &rng)
            d += Int64((q * Double(jitter)).rounded())
        }
        return max(d, 0)
    }

    /// The fate of one datagram handed to the path.
    struct Admission {
        /// 0 (dropped), 1, or 2 (duplicated).
        var copies = 0
        var arrival0: Int64 = 0
        var arrival1: Int64 = 0
        /// Bit to flip in each copy, or -1.
        var corruptBit0 = -1
        var corruptBit1 = -1
        var recordRow: Int32 = -1
        var sendIndex = 0
    }

    /// Runs the datagram through the path's models (see `PathConditions` for the order) and
    /// updates the counters. The caller schedules the arrivals.
    @inline(__always)
    mutating func admit(size: Int, now: Int64) -> Admission {
        var out = Admission()
        counters.sent += 1
        counters.bytesSent += size
        let k = sendIndex
        sendIndex += 1
        out.sendIndex = k
        let row = traceIndex  // counts every datagram, dropped ones too, so recordings replay 1:1
        traceIndex += 1
        if recording != nil {
            out.recordRow = Int32(recording!.count)
            recording!.append(Trace.Row(seq: Int64(k), send: SimTime(nanoseconds: now), arrive: nil))
        }
        if isCut { counters.droppedPartition += 1; return out }
        if let mtu = conditions.mtu, size + PathConditions.ipUDPHeaderBytes > mtu {
            counters.droppedMTU += 1; return out
        }
        var traceDelay: Int64 = -1
        if conditions.trace != nil {
            let rows = conditions.trace!.rows
            if !rows.isEmpty {
                guard let d = rows[row % rows.count].delay else { counters.droppedLoss += 1; return out }
                traceDelay = d.nanoseconds
            }
        }
        if traceDelay < 0 && lossState.lose(&rng) { counters.droppedLoss += 1; return out }

        let copies = rng.bernoulli(conditions.duplicate) ? 2 : 1
        if copies == 2 { counters.duplicated += 1 }
        for copy in 0..<copies {
            var bit = -1
            if rng.bernoulli(conditions.corrupt), size > 0 {
                bit = Int(rng.next() % UInt64(size * 8))
                counters.corrupted += 1
            }
            var departure = now
            if let rate = conditions.rate {
                guard let t = enqueue(payloadBytes: size, now: now, rate: rate) else {
                    counters.droppedQueueOverflow += 1; continue
                }
                departure = t
            }
            var arrival: Int64
            if traceDelay >= 0 {
                arrival = departure + traceDelay
            } else {
                arrival = departure + sampleDelay()
                if !conditions.allowReordering && arrival < lastArrival { arrival = lastArrival }
            }
            if arrival > lastArrival { lastArrival = arrival }
            if copy == 0 && out.recordRow >= 0 {
                recording![Int(out.recordRow)].arrive = SimTime(nanoseconds: arrival)
            }
            if out.copies == 0 { out.arrival0 = arrival; out.corruptBit0 = bit } else { out.arrival1 = arrival; out.corruptBit1 = bit }
            out.copies += 1
        }
        return out
    }

    /// A datagram of this path reaches its destination: count reordering and partition drops.
    /// Returns `false` if it is dropped because the link is cut.
    @inline(__always)
    mutating func arrive(sendIndex index: Int, recordRow: Int32) -> Bool {
        // RFC 4737: a datagram is reordered if it arrives after one sent later on the same path.
        if index < highestArrivedIndex { counters.reordered += 1 } else { highestArrivedIndex = index }
        if isCut {
            counters.droppedPartition += 1
            if recordRow >= 0, recording != nil, Int(recordRow) < recording!.count {
                recording![Int(recordRow)].arrive = nil
            }
            return false
        }
        return true
    }
}
