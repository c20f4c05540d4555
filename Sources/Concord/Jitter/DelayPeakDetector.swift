/// Recurring delay spikes — a Wi-Fi card leaving its channel to scan every few seconds, a
/// cellular link's periodic scheduling stalls — and what they will cost at a given playout delay.
///
/// The forgetting histogram covers a spike for a second or two and then forgets it, so a spike
/// that comes back every five seconds finds the buffer low each time and is concealed each time.
/// This keeps the spikes themselves: a peak is an excursion of the relative delay above the
/// histogram's target by more than `threshold`, with its height (the excursion's highest
/// delay) and its start. Once two have been seen less than `maximumPeriod` apart and the last
/// is no older than twice the longest gap between them, the spikes are taken to recur
/// (NetEq's `DelayPeakDetector` rule), and `lateProbability(at:)` prices them: at a delay d a
/// spike of height h makes (h − d) ms of packets late, and spikes come at the observed rate, so
/// the share of packets late is rate · mean(max(0, h − d)) — which the buffer adds to the
/// histogram's and weighs in the same objective, instead of holding the highest peak as NetEq
/// does.
struct DelayPeakDetector {
    struct Peak {
        var start: Instant
        var height: Double
    }

    /// A relative delay this far above the target (ms) starts a peak.
    let threshold: Double
    /// Spikes further apart than this (ms) are not taken to recur.
    let maximumPeriod: Double
    /// Peaks remembered (NetEq keeps eight).
    static let capacity = 8

    /// Oldest first.
    private(set) var peaks: [Peak] = []
    /// The peaks' heights in ascending order (for the cost scan).
    private(set) var sortedHeights: [Double] = []
    private var open: Peak?

    init(threshold: Double, maximumPeriodMilliseconds: Double = 20_000) {
        self.threshold = threshold
        maximumPeriod = maximumPeriodMilliseconds
        peaks.reserveCapacity(Self.capacity + 1)
        sortedHeights.reserveCapacity(Self.capacity + 1)
    }

    /// One arrival's relative delay (ms) against the target the histogram gives without peaks.
    mutating func observe(relativeDelay: Double, target: Double, at now: Instant) {
        guard relativeDelay.isFinite else { return }
        if relativeDelay > target + threshold {
            if var peak = open {
                peak.height = max(peak.height, relativeDelay)
                open = peak
            } else {
                open = Peak(start: now, height: relativeDelay)
            }
            return
        }
        guard let peak = open else { return }
        open = nil
        if let last = peaks.last, peak.start.milliseconds(since: last.start) > maximumPeriod {
            peaks.removeAll(keepingCapacity: true)
        }
        peaks.append(peak)
        if peaks.count > Self.capacity { peaks.removeFirst() }
        sortedHeights.removeAll(keepingCapacity: true)
        for p in peaks { sortedHeights.append(p.height) }
        sortedHeights.sort()
    }

    /// Spikes per millisecond, while they recur; nil when they do not (fewer than two, or the
    /// last one is older than twice the longest gap between them).
    func rate(at now: Instant) -> Double? {
        guard peaks.count >= 2, let first = peaks.first, let last = peaks.last else { return nil }
        var longestGap = 0.0
        for i in 1..<peaks.count {
            longestGap = max(longestGap, peaks[i].start.milliseconds(since: peaks[i - 1].start))
        }
        let span = last.start.milliseconds(since: first.start)
        guard span > 0, now.milliseconds(since: last.start) <= 2 * longestGap else { return nil }
        return Double(peaks.count - 1) / span
    }

    /// The spikes' cost as `DelayHistogram.costMinimisingDelay` takes it, while they recur.
    func lateLoss(at now: Instant) -> DelayHistogram.SpikeLateLoss? {
        rate(at: now).map { DelayHistogram.SpikeLateLoss(sortedHeights: sortedHeights, rate: $0) }
    }
}
