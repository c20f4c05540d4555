/// How much longer each part of the input should play: `factor` 0.75 plays in three quarters of
/// the time (speeds up by a quarter), 1.25 plays a quarter longer.
struct RateSchedule: Sendable {
    /// Consecutive parts of the input, from sample `start` to the next part's start (the last to the end).
    struct Part: Sendable {
        var start: Int
        var factor: Double
    }

    let parts: [Part]

    /// One factor for the whole input.
    static func constant(_ factor: Double) -> RateSchedule {
        RateSchedule(parts: [Part(start: 0, factor: factor)])
    }

    /// `factor` and then its mirror 2 − factor, every `segment` input samples, for `length`
    /// samples: each pair of segments plays exactly as long as the original, so the output never
    /// drifts from the input by more than |factor − 1| · segment.
    static func alternating(_ factor: Double, segment: Int, length: Int) -> RateSchedule {
        let parts = stride(from: 0, to: max(length, 1), by: segment).enumerated().map { index, start in
            Part(start: start, factor: index % 2 == 0 ? factor : 2 - factor)
        }
        return RateSchedule(parts: parts)
    }

    /// The parts cut to `count` input samples, as ranges of the input.
    func spans(within count: Int) -> [(range: Range<Int>, factor: Double)] {
        parts.indices.compactMap { index in
            let start = min(parts[index].start, count)
            let end = index + 1 < parts.count ? min(parts[index + 1].start, count) : count
            return start < end ? (start..<end, parts[index].factor) : nil
        }
    }

    /// Σ (factor − 1) over the first `position` input samples: the length change the schedule
    /// asks for by then.
    func wantedChange(before position: Int) -> Double {
        spans(within: position).reduce(0) { $0 + Double($1.range.count) * ($1.factor - 1) }
    }
}
