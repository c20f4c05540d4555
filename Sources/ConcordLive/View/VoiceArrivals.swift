import Concord

/// Per-sender voice sequence bookkeeping for the loss figure: authentic packets received
/// against the span of sequence numbers seen.
///
/// The jitter buffer's statistics count packets received and discarded but not the packets that
/// never came (they keep no sequence span), so loss needs this; everything else the view shows
/// comes from the jitter buffer's statistics.
struct VoiceArrivals {
    private var unwrapper = SequenceUnwrapper<UInt16>()
    private var first: Int64?
    private var highest: Int64 = 0
    private(set) var received = 0

    mutating func note(_ sequence: UInt16) {
        let s = unwrapper.unwrap(sequence)
        if first == nil { first = s }
        highest = max(highest, s)
        received += 1
    }

    /// nil until a packet arrived: loss cannot be measured on a stream that delivered nothing
    /// (``VoiceFigures`` shows such a stream as dead).
    var lossRatio: Double? {
        guard let first else { return nil }
        let expected = highest - first + 1
        return expected > 0 ? max(0, 1 - Double(received) / Double(expected)) : 0
    }
}

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
