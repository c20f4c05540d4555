/// The queueing delay of one talker → listener direction, measured where the voice arrives:
/// the mean transit (arrival − media timestamp) of the packets since the previous report, less
/// the least transit of the last `baseWindowSeconds`. Talker and listener clocks differ by an
/// unknown offset, which the difference cancels; a drift of 500 ppm moves the least transit of
/// a 30 s window by at most 15 ms.
///
/// This is the direction a talker's voice fills: the round trip of the report echoes would add
/// whatever queue stands on the way back (the other talker's), and a talker would back off for
/// a bottleneck that is not on its path. The mean over a report interval rather than one packet
/// keeps jitter and lone spikes from reading as a queue.
public struct QueueingDelay: Sendable {
    public static let baseWindowSeconds = 30

    /// Least transit per whole second of arrival time, oldest first, over the window.
    private var minima: [(second: Int64, milliseconds: Double)] = []
    private var sum = 0.0
    private var count = 0

    public init() {}

    /// One packet: its transit, ms (on the listener's clock less the talker's media clock).
    public mutating func add(transitMilliseconds transit: Double, at arrival: Instant) {
        guard transit.isFinite else { return }
        let second = arrival.nanoseconds / 1_000_000_000
        if let last = minima.last, last.second == second {
            minima[minima.count - 1].milliseconds = min(last.milliseconds, transit)
        } else {
            minima.append((second, transit))
        }
        let cutoff = second - Int64(Self.baseWindowSeconds)
        if let first = minima.firstIndex(where: { $0.second > cutoff }), first > 0 { minima.removeFirst(first) }
        sum += transit
        count += 1
    }

    /// The queueing delay over the packets since the last call, ms; nil when none arrived.
    public mutating func take() -> Double? {
        defer {
            sum = 0
            count = 0
        }
        guard count > 0, let base = minima.map(\.milliseconds).min() else { return nil }
        return max(0, sum / Double(count) - base)
    }
}
