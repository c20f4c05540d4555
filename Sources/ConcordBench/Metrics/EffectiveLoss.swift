import Concord

/// The loss the listener actually heard, for the E-model: what remained *after* FEC and
/// redundancy recovery and the jitter buffer's own decisions.
///
/// The frame sequence is the listener's playout of this talker in order, keeping only ticks that
/// stand for talker frames: `.concealed` counts as one concealed frame; `.decoded`,
/// `.recoveredFEC`, `.recoveredRedundancy` as one good frame; `.accelerated` as two good frames
/// (it plays two frames in one tick). `.silence` (the talker is silent) and `.decelerated`
/// (a frame *inserted* to grow the delay, replacing no speech) are left out. Concealment while
/// waiting for a late packet counts: the listener hears it, even if the packet is played later.
///
/// Ppl = 100 · concealed / (concealed + good), and BurstR comes from the 2-state Markov fit of
/// the same sequence (`EModel.burstRatio`).
public struct EffectiveLoss: Sendable, Equatable {
    /// Ppl, percent.
    public var percent: Double
    public var burstR: Double
    public var concealedFrames: Int
    public var expectedFrames: Int

    public init(percent: Double, burstR: Double, concealedFrames: Int, expectedFrames: Int) {
        self.percent = percent
        self.burstR = burstR
        self.concealedFrames = concealedFrames
        self.expectedFrames = expectedFrames
    }

    /// From the per-frame playout events; without events (not recorded), from the jitter
    /// buffer's counters with BurstR = 1.
    public static func measure(playout: [PlayoutEvent], statistics: JitterBufferStatistics) -> EffectiveLoss {
        guard !playout.isEmpty else {
            let ratio = statistics.concealmentRatio
            return EffectiveLoss(
                percent: ratio.isFinite ? 100 * min(1, max(0, ratio)) : 0, burstR: 1, concealedFrames: 0,
                expectedFrames: 0)
        }
        var sequence: [Bool] = []
        sequence.reserveCapacity(playout.count + playout.count / 8)
        for event in playout {
            switch event.outcome {
            case .concealed: sequence.append(true)
            case .decoded, .recoveredFEC, .recoveredRedundancy: sequence.append(false)
            case .accelerated: sequence.append(contentsOf: [false, false])
            case .silence, .decelerated: break
            }
        }
        let concealed = sequence.reduce(0) { $0 + ($1 ? 1 : 0) }
        let percent = sequence.isEmpty ? 0 : 100 * Double(concealed) / Double(sequence.count)
        return EffectiveLoss(
            percent: percent, burstR: concealed == 0 ? 1 : EModel.burstRatio(lost: sequence),
            concealedFrames: concealed, expectedFrames: sequence.count)
    }
}
