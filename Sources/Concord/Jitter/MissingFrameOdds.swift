/// How often, on one stream, a frame that was missing one pull before the playout needed it
/// came after that pull but within half a frame of it: the odds that stretching the audio
/// already decoded, instead of waiting, spares a concealment for the next frame found missing so.
///
/// Measured, not derived from the delay histogram: a frame missing that late is in the tail of
/// the delays, where 60 forgotten arrivals hold a packet or two. On `4g` (seeds 1–2) the frames
/// the histogram gave under a 1 % chance of missing the pull missed it about half the time; on
/// `intercontinental` 95 % of such frames came within the pull, on `3g` one in ten. A frame lost
/// on the way counts against it: a stretch for it is shed again, and it is concealed all the same.
struct MissingFrameOdds {
    /// The share of the observations in which a stretch spared a wait: an equal-weight mean of
    /// the first `memory`, then each new one weighs 1 / `memory` (the last 10 or so count).
    private(set) var sparedShare = 0.0
    private var observations = 0
    static let memory = 10

    mutating func observe(spared: Bool) {
        observations = min(observations + 1, Self.memory)
        sparedShare += ((spared ? 1 : 0) - sparedShare) / Double(observations)
    }
}
