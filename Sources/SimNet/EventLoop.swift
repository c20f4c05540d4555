import HeapModule

/// Identifies a scheduled event so it can be cancelled. Ids are never reused.
public struct EventID: Hashable, Sendable {
    @usableFromInline let seq: UInt64
    @usableFromInline let slot: UInt32
}

/// Receives the simulator's packet events (the `Network`); an internal fast path that avoids a
/// closure allocation per packet.
protocol PacketEventSink: AnyObject {
    func handlePacketEvent(slot: UInt32)
}

/// A single-threaded discrete-event loop on a virtual clock.
///
/// Events are ordered by (time, insertion order): two events at the same virtual time run in the
/// order they were scheduled. Time is `SimTime` (Int64 nanoseconds) and starts at zero; nothing
/// here reads a wall clock, sleeps or spawns threads, so a run is a pure function of its inputs.
public final class Simulator {
    /// The current virtual time. Inside an event it is that event's time.
    public private(set) var now: SimTime = .zero
    /// Events executed so far (closures and packet events; cancelled events are not counted).
    public private(set) var eventsProcessed: UInt64 = 0

    struct Entry: Comparable {
        var time: Int64
        var seq: UInt64
        var slot: UInt32
        var isPacket: Bool
        static func < (a: Entry, b: Entry) -> Bool {
            a.time != b.time ? a.time < b.time : a.seq < b.seq
        }
        static func == (a: Entry, b: Entry) -> Bool { a.time == b.time && a.seq == b.seq }
    }

    struct Action {
        var seq: UInt64
        var body: (() -> Void)?
    }

    var heap = Heap<Entry>()
    var actions: ContiguousArray<Action> = []
    var freeActions: [UInt32] = []
    var nextSeq: UInt64 = 0
    weak var packetSink: (any PacketEventSink)?

    public init() {}

    /// Events waiting in the queue (including cancelled ones not yet popped).
    public var pendingEventCount: Int { heap.count }

    /// The time of the earliest queued event (possibly a cancelled one), or `nil` when the queue
    /// is empty: how long a driver that follows a real clock may sleep.
    public var nextEventTime: SimTime? { heap.min.map { SimTime(nanoseconds: $0.time) } }

    /// Runs `action` at virtual time `time` (a time in the past runs at `now`).
    @discardableResult
    public func schedule(at time: SimTime, _ action: @escaping () -> Void) -> EventID {
        let slot: UInt32
        let seq = nextSeq
        nextSeq &+= 1
        if let free = freeActions.popLast() {
            slot = free
            actions[Int(free)] = Action(seq: seq, body: action)
        } else {
            slot = UInt32(actions.count)
            actions.append(Action(seq: seq, body: action))
        }
        heap.insert(Entry(time: max(time.nanoseconds, now.nanoseconds), seq: seq, slot: slot, isPacket: false))
        return EventID(seq: seq, slot: slot)
    }

    /// Runs `action` after `delay` from now.
    @discardableResult
    public func schedule(after delay: SimTime, _ action: @escaping () -> Void) -> EventID {
        schedule(at: now + delay, action)
    }

    /// Cancels a scheduled event. Returns `false` if it already ran or was already cancelled.
    @discardableResult
    public func cancel(_ id: EventID) -> Bool {
        let i = Int(id.slot)
        guard i < actions.count, actions[i].seq == id.seq, actions[i].body != nil else { return false }
        actions[i].body = nil
        freeActions.append(id.slot)
        return true
    }

    /// Internal: a packet event for the network, identified by the network's slot number.
    @inline(__always)
    func schedulePacket(at time: Int64, slot: UInt32) {
        let seq = nextSeq
        nextSeq &+= 1
        heap.insert(Entry(time: max(time, now.nanoseconds), seq: seq, slot: slot, isPacket: true))
    }

    /// Runs one event if there is any. Returns `false` when the queue is empty.
    @discardableResult
    public func step() -> Bool {
        step(limit: .max)
    }

    @inline(__always)
    func step(limit: Int64) -> Bool {
        while let top = heap.min {
            if top.time > limit { return false }
            heap.removeMin()
            if top.isPacket {
                now = SimTime(nanoseconds: top.time)
                eventsProcessed &+= 1
                packetSink?.handlePacketEvent(slot: top.slot)
                return true
            }
            let i = Int(top.slot)
            guard actions[i].seq == top.seq, let body = actions[i].body else { continue }  // cancelled
            actions[i].body = nil
            freeActions.append(top.slot)
            now = SimTime(nanoseconds: top.time)
            eventsProcessed &+= 1
            body()
            return true
        }
        return false
    }

    /// Runs every event with time ≤ `time`, then sets `now` to `time` (if it is later).
    public func run(until time: SimTime) {
        while step(limit: time.nanoseconds) {}
        if time > now && time != .distantFuture { now = time }
    }

    /// Runs `duration` of virtual time from now.
    public func run(for duration: SimTime) {
        run(until: now + duration)
    }

    /// Runs until no event is left. Beware of self-rescheduling timers: they never go idle.
    public func runUntilIdle() {
        while step(limit: .max) {}
    }
}
