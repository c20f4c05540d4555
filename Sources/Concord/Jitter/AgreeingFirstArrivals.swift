/// Whether a stream's first arrivals already show a path without jitter, so that the buffer
/// can drop its initial guess (`JitterBufferSettings.initialDelayMilliseconds`) instead of
/// waiting for a dozen arrivals to outweigh it.
///
/// The guess stands for a path nothing is known about: the first frame waits that long, and on
/// a jitter-free path the playout then removes nearly all of it by stretching in the first
/// second. ViSQOL hears that: on a LAN (seeds 1–6) a fixed 5 ms buffer, which stretches
/// nothing, scored 4.38; the adaptive one, removing 75–80 ms of the first second's speech,
/// 4.33. Three arrivals whose transits agree within a histogram bucket — two frame intervals
/// with no jitter at the target's resolution — are taken as evidence enough: the first frame
/// then plays after those 40 ms (20 ms frames) and the playout removes about half as much.
/// Two agreeing arrivals (one interval) did a little better still on a LAN, but one interval
/// agrees by chance more often on a jittery path, where a low start costs waits.
struct AgreeingFirstArrivals {
    /// Arrivals whose transits must agree.
    static let arrivals = 3
    /// How far apart (ms) the transits may lie: the histogram's bucket.
    let tolerance: Double
    /// The first arrivals seen so far (up to `arrivals`), and their lowest and highest transits.
    private var seen = 0
    private var lowest = Double.infinity
    private var highest = -Double.infinity

    init(toleranceMilliseconds: Double) {
        tolerance = toleranceMilliseconds
    }

    /// Notes one of the stream's arrivals (its transit, ms). True once, at the arrival that
    /// completes `arrivals` agreeing ones; false for every other arrival, and for all of them
    /// once the first `arrivals` disagreed.
    mutating func observe(transitMilliseconds transit: Double) -> Bool {
        guard seen < Self.arrivals, transit.isFinite else { return false }
        seen += 1
        lowest = min(lowest, transit)
        highest = max(highest, transit)
        return seen == Self.arrivals && highest - lowest <= tolerance
    }
}
