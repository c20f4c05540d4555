/// The samples one `TimeStretcher` call may read around the head of a playout buffer, and where
/// in them the two compared periods meet.
///
/// The search compares the `lag` samples before the splice point with the `lag` samples after it
/// for every lag up to `longestStep`, so the window holds `longestStep` samples either side of
/// the point. With the full 30 ms ahead of `start` that is 15 ms either side of a point 15 ms in.
/// With less, the longest lag shrinks to what fits: half of what lies ahead or, where the caller
/// vouches for already-played history before `start`, more — the period before the point may
/// lie in that history, as NetEq's preemptive expand lets its first period be old data. The
/// point itself never moves before `start`, and an accelerate keeps `minimumPeriod` after its
/// longest step for the fade, so nothing before `start` is ever written.
struct SpliceWindow {
    /// The first not-yet-played sample.
    let start: Int
    /// One past the last sample that may be read: at most `requiredSamples` after `start`.
    let end: Int
    /// Where the two compared periods meet.
    let splice: Int
    /// The longest period searched, and the longest step a quiet stretch may take.
    let longestStep: Int

    /// `available` (at least `TimeStretcher.minimumSamples`) samples follow `start`; `history`
    /// samples before it may be read. Given the full 30 ms the window is the same with or
    /// without history: history only stands in for look-ahead that is missing.
    init(start: Int, available: Int, history: Int, accelerating: Bool) {
        let ahead = min(available, TimeStretcher.requiredSamples)
        let behind = min(max(history, 0), start, TimeStretcher.maximumPeriod)
        var longest = min(TimeStretcher.maximumPeriod, ahead, (ahead + behind) / 2)
        if accelerating { longest = min(longest, ahead - TimeStretcher.minimumPeriod) }
        self.start = start
        end = start + ahead
        // As late as the window allows: the least history is read.
        splice = end - longest
        longestStep = longest
    }

    /// Every sample a call in this window may read.
    var read: Range<Int> { (splice - longestStep)..<end }
}
