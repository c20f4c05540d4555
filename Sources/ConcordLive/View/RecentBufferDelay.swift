import Concord

/// The jitter buffer's delay over the last few seconds, from its lifetime totals sampled at each
/// snapshot: the lifetime mean (W3C) barely moves after a minute, while the view should show
/// what the buffer does now.
struct RecentBufferDelay {
    /// Snapshots kept: 8 at 4 a second, about 2 s.
    static let window = 8
    private var samples: [(delaySeconds: Double, emitted: Int)] = []
    private var last: Double?

    /// Adds the statistics' totals; returns the mean delay (ms) of the samples played in the
    /// window, or the last such figure while nothing plays (the sender is silent), or nil
    /// before anything played.
    mutating func add(_ statistics: JitterBufferStatistics) -> Double? {
        samples.append((statistics.jitterBufferDelay, statistics.jitterBufferEmittedCount))
        if samples.count > Self.window { samples.removeFirst(samples.count - Self.window) }
        if let oldest = samples.first, let newest = samples.last, newest.emitted > oldest.emitted {
            last = 1000 * (newest.delaySeconds - oldest.delaySeconds) / Double(newest.emitted - oldest.emitted)
        } else if last == nil, statistics.jitterBufferEmittedCount > 0 {
            last = statistics.meanJitterBufferDelayMilliseconds
        }
        return last
    }
}
