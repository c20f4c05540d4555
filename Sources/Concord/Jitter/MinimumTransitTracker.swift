import DequeModule

/// The smallest transit time (arrival − media time) over a sliding window of arrivals.
///
/// Relative arrival delay is measured against the fastest recent packet, as NetEq does, so a
/// constant path delay or sender/receiver clock offset drops out. A monotonic deque gives the
/// window minimum in amortised O(1).
struct MinimumTransitTracker {
    private var window: Deque<(arrival: Instant, transit: Double)> = []
    let windowNanoseconds: Int64

    init(windowMilliseconds: Int = 2_000) {
        windowNanoseconds = Int64(windowMilliseconds) * 1_000_000
    }

    /// Records an arrival and returns the window minimum including it.
    mutating func add(arrival: Instant, transitMilliseconds: Double) -> Double {
        while let first = window.first, arrival.nanoseconds - first.arrival.nanoseconds > windowNanoseconds {
            window.removeFirst()
        }
        while let last = window.last, last.transit >= transitMilliseconds { window.removeLast() }
        window.append((arrival, transitMilliseconds))
        return window.first!.transit
    }

    var minimum: Double? { window.first?.transit }
}
