import Concord
import Foundation

/// When a stream's jitter buffer has settled, so that steady-state figures can stand beside the
/// whole-run ones.
///
/// The rule: the first playout tick that comes (a) once the buffer has learnt the path and
/// (b) from which, for the next `holdSeconds`, the target delay stays within a band of
/// `bandMilliseconds` (highest − lowest) while the buffer neither accelerates nor decelerates.
///
/// (a) An adaptive buffer starts from a guess (80 ms) weighted as a small fraction of an arrival
/// in its forgetting histogram; the guess can decide the target until measured delays outweigh
/// it (`JitterBuffer.arrivalsToOutweighInitialGuess`: 12 packets at the defaults, a quarter of
/// a second of 20 ms frames). Before that the target holds still because nothing has been
/// learnt, which (b) alone would take for settled. A fixed buffer has nothing to learn.
///
/// (b) A target that holds still says the buffer has learnt the path's delay; the absence of
/// time-stretching says the played delay has reached that target. Two seconds is a hundred
/// 20 ms frames, longer than any burst the presets draw; 10 ms is half a frame each way, less
/// than any change worth reporting. A buffer that never holds still for that long has no steady
/// state (nil), and its steady figures are null rather than a guess.
public enum SteadyState {
    public static let bandMilliseconds = 10.0
    public static let holdSeconds = 2.0

    /// Arrivals after which an adaptive buffer's starting guess no longer decides its target.
    public static func learningArrivals(_ settings: JitterBufferSettings) -> Int {
        JitterBuffer.arrivalsToOutweighInitialGuess(settings)
    }

    /// The time (s) the buffer settled, or nil. `learntAt`: when the buffer had learnt the path
    /// (the arrival of its `learningArrivals`-th packet); nil when there is nothing to learn.
    public static func start(of playout: [PlayoutEvent], learntAt: Instant? = nil) -> Double? {
        let learnt = learntAt ?? Instant(nanoseconds: .min)
        guard let first = playout.firstIndex(where: { $0.outcome != .silence && $0.playoutTime >= learnt }) else { return nil }
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
                if Self.isStretch(event) {
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
            i = Self.isStretch(playout[broken]) ? broken + 1 : i + 1
        }
        return nil
    }

    /// Concord's buffer reports a stretch on the frame's event, NetEq's as the frame's outcome.
    static func isStretch(_ event: PlayoutEvent) -> Bool {
        event.stretchedSamples != 0 || event.outcome == .accelerated || event.outcome == .decelerated
    }
}
