import Synchronization

/// A lock-free single-producer / single-consumer ring of `Float` samples.
///
/// The bridge between a real-time device callback and the engine thread: the callback never
/// blocks, locks or allocates, and neither does the other side. Exactly one thread may call the
/// producer methods (`write`, `freeForWriting`) and exactly one (possibly another) the consumer
/// methods (`read`, `availableForReading`, `discard`); `capacity` and `count` are readable by
/// anyone (`count` is then only a snapshot).
///
/// Two monotonically increasing counters, `head` (samples ever written, stored only by the
/// producer) and `tail` (samples ever read, stored only by the consumer), index a power-of-two
/// buffer by masking. The producer publishes samples by storing `head` with *releasing* order
/// after copying them in, and the consumer loads `head` with *acquiring* order before copying
/// them out, so it always sees the samples the counter covers; symmetrically the consumer
/// releases `tail` after it is done with a region and the producer acquires it before reusing
/// that region. A 64-bit counter wraps after 2⁶³ samples: 6 million years at 48 kHz.
public final class SPSCFloatRing: @unchecked Sendable {
    /// Samples the ring holds at most: the requested minimum rounded up to a power of two.
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Float>
    private let head = Atomic<Int>(0)
    private let tail = Atomic<Int>(0)

    /// A ring of at least `minimumCapacity` samples (at least 2), preallocated and zeroed.
    public init(minimumCapacity: Int) {
        var capacity = 2
        while capacity < minimumCapacity { capacity <<= 1 }
        self.capacity = capacity
        self.mask = capacity - 1
        self.storage = .allocate(capacity: capacity)
        self.storage.initialize(repeating: 0, count: capacity)
    }

    deinit {
        storage.deallocate()
    }

    /// Samples queued right now (a snapshot from any thread).
    public var count: Int {
        let t = tail.load(ordering: .acquiring)
        let h = head.load(ordering: .acquiring)
        return max(0, min(capacity, h - t))
    }

    // MARK: producer

    /// Space for this many samples is free (producer side).
    public var freeForWriting: Int {
        capacity - (head.load(ordering: .relaxed) - tail.load(ordering: .acquiring))
    }

    /// Copies as many of `samples` as fit and returns how many that was (producer side).
    @discardableResult
    public func write(_ samples: UnsafeBufferPointer<Float>) -> Int {
        guard let source = samples.baseAddress else { return 0 }
        let h = head.load(ordering: .relaxed)
        let free = capacity - (h - tail.load(ordering: .acquiring))
        let n = min(free, samples.count)
        guard n > 0 else { return 0 }
        let start = h & mask
        let first = min(n, capacity - start)
        (storage + start).update(from: source, count: first)
        if n > first { storage.update(from: source + first, count: n - first) }
        head.store(h + n, ordering: .releasing)
        return n
    }

    // MARK: consumer

    /// This many samples can be read (consumer side).
    public var availableForReading: Int {
        head.load(ordering: .acquiring) - tail.load(ordering: .relaxed)
    }

    /// Copies up to `destination.count` queued samples into `destination`, oldest first, and
    /// returns how many (consumer side).
    @discardableResult
    public func read(into destination: UnsafeMutableBufferPointer<Float>) -> Int {
        guard let target = destination.baseAddress else { return 0 }
        let t = tail.load(ordering: .relaxed)
        let n = min(head.load(ordering: .acquiring) - t, destination.count)
        guard n > 0 else { return 0 }
        let start = t & mask
        let first = min(n, capacity - start)
        target.update(from: storage + start, count: first)
        if n > first { (target + first).update(from: storage, count: n - first) }
        tail.store(t + n, ordering: .releasing)
        return n
    }

    /// Drops up to `count` of the oldest queued samples and returns how many (consumer side).
    @discardableResult
    public func discard(_ count: Int) -> Int {
        let t = tail.load(ordering: .relaxed)
        let n = min(head.load(ordering: .acquiring) - t, max(0, count))
        guard n > 0 else { return 0 }
        tail.store(t + n, ordering: .releasing)
        return n
    }
}
