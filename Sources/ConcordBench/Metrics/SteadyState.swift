import Concord

/// When a stream's jitter buffer has settled, so that steady-state figures can stand beside the
/// whole-run ones.
///
/// The rule: the first playout tick, from the talker's first non-silent frame on, such that for
/// the next `holdSeconds` the buffer's target delay stays within a band of `bandMilliseconds`
/// (highest − lowest) and the buffer neither accelerates nor decelerates. A target that holds
/// still says the buffer has learnt the path's delay; the absence of time-stretching says the
/// played delay has reached that target (an adaptive buffer that starts high accelerates until
/// it does). Two seconds is a hundred 20 ms frames — longer than any burst the presets draw —
/// and 10 ms is half a frame each way, less than any change worth reporting. A fixed buffer
/// settles at its first frame. A buffer that never holds still for that long has no steady
/// state (nil), and its steady figures are null rather than a guess.
public enum SteadyState {
    public static let bandMilliseconds = 10.0
    public static let holdSeconds = 2.0

    /// The time (s) the buffer settled, or nil.
    public static func start(of playout: [PlayoutEvent]) -> Double? {
        guard let first = playout.firstIndex(where: { $0.outcome != .silence }) else { return nil }
        let times = playout.map(\.playoutTime.seconds)
        guard let end = times.last else { return nil }
        var i = first
        while i < playout.count {
            let from = times[i]
            guard from + holdSeconds <= end else { return nil }
            var low = playout[i].targetDelayMilliseconds, high = low
            var j = i
            var broken: Int?
            while j < playout.count, times[j] <= from + holdSeconds {
                let event = playout[j]
                if event.outcome == .accelerated || event.outcome == .decelerated {
                    broken = j
                    break
                }
                let target = event.targetDelayMilliseconds
                if target.isFinite {
                    low = min(low, target)
                    high = max(high, target)
                }
                if !(high - low <= bandMilliseconds) {
                    broken = j
                    break
                }
                j += 1
            }
            guard let broken else { return from }
            // A stretch at `broken` spoils every window that contains it; a band broken there
            // may hold from a later start, so step on by one.
            let stretched = playout[broken].outcome == .accelerated || playout[broken].outcome == .decelerated
            i = stretched ? broken + 1 : i + 1
        }
        return nil
    }
}
