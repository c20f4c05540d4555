/// How likely the stream is to lose its next packet, from gaps in the sequence numbers: the
/// larger of the loss rate over the whole stream (counted over at least a thousand packets) and
/// an exponentially weighted average over about the last thousand packets (20 s of 20 ms frames).
///
/// The recent average alone forgets a rare loss before the next one comes: at 0.1 % random loss
/// it spends most of the time below the long-run rate and each loss would find no recovery
/// floor. The long-run rate alone would be slow to see loss begin on a path that had none. A gap
/// is counted lost when a later packet arrives; a packet that then turns up after all
/// (reordering) takes its loss back. A sender that pauses without losing anything leaves no gap
/// (its sequence numbers count packets sent), so pauses do not read as loss.
struct RecentLoss {
    static let forgetFactor = 0.999
    private var recent = 0.0
    private var lost: Int64 = 0
    private var expected: Int64 = 0
    private var highest: Int64?

    /// The long-run rate counts at least as many packets as the recent average remembers, so
    /// the first loss of a stream does not read as a rate of one in a few hundred.
    var fraction: Double { max(recent, Double(max(0, lost)) / max(Double(expected), 1 / (1 - Self.forgetFactor))) }

    mutating func observe(sequence: Int64) {
        let f = Self.forgetFactor
        guard let last = highest, sequence > last else {
            if highest == nil {
                highest = sequence
                expected = 1
            } else {
                // A packet counted lost arrived late.
                recent = max(0, recent - (1 - f))
                lost -= 1
            }
            return
        }
        highest = sequence
        let missing = sequence - last - 1
        expected += missing + 1
        lost += missing
        // m losses then one arrival: each loss moves the average a step (1 − f) towards 1.
        if missing > 0 {
            var kept = 1.0
            for _ in 0..<min(missing, 16_384) { kept *= f }
            recent = 1 - (1 - recent) * kept
        }
        recent *= f
    }
}
