import Concord

/// Concord's `TimeStretcher` driven the way a playout buffer drives it: the input arrives in
/// 10 ms ticks into a buffer of not-yet-played samples, and before each 10 ms is played the
/// driver compares the length change the schedule wants with what it has done, and asks for an
/// accelerate or a decelerate on the buffer's head when it is behind.
///
/// It first asks for exactly the amount it is behind (which a quiet stretch grants); when
/// voiced speech needs a whole period and the period is at most twice that amount it takes the
/// period, so the length error stays within about half a period. More than 30 ms behind it
/// accelerates in fast mode, as NetEq does far above its target.
struct ConcordStretch: SpeechStretcher {
    let name = "concord"
    private var stretcher = TimeStretcher()
    private static let tick = AudioFormat.samples(milliseconds: 10)

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(input.count * 2)
        var pending: [Float] = []
        pending.reserveCapacity(TimeStretcher.requiredSamples + Self.tick + TimeStretcher.maximumPeriod)
        var nextInput = 0
        // Net samples inserted so far, and those of them already played, with where the rest sit
        // in `pending`: the input position reached is what has been played minus its changes.
        var change = 0
        var playedChange = 0
        var unplayed: [(position: Int, samples: Int)] = []
        while true {
            while pending.count < TimeStretcher.requiredSamples, nextInput < input.count {
                let end = min(nextInput + Self.tick, input.count)
                pending.append(contentsOf: input[nextInput..<end])
                nextInput = end
            }
            guard pending.count >= TimeStretcher.requiredSamples else {
                output.append(contentsOf: pending)
                return output
            }
            let behind = schedule.wantedChange(before: output.count - playedChange) - Double(change)
            if behind <= -1 {
                let removed = accelerate(&pending, amount: Int((-behind).rounded(.up))).samples
                change -= removed
                if removed > 0 { unplayed.append((TimeStretcher.requiredSamples / 2, -removed)) }
            } else if behind >= 1 {
                let inserted = decelerate(&pending, amount: Int(behind.rounded(.up))).samples
                change += inserted
                if inserted > 0 { unplayed.append((TimeStretcher.requiredSamples / 2, inserted)) }
            }
            let played = min(Self.tick, pending.count)
            output.append(contentsOf: pending[..<played])
            pending.removeFirst(played)
            for index in unplayed.indices { unplayed[index].position -= played }
            while let first = unplayed.first, first.position < 0 {
                playedChange += first.samples
                unplayed.removeFirst()
            }
        }
    }

    private mutating func accelerate(_ pending: inout [Float], amount: Int) -> TimeStretchOutcome {
        let mode: TimeStretcher.Mode = amount > 2 * TimeStretcher.maximumPeriod ? .fast : .normal
        let outcome = stretcher.accelerate(&pending, mode: mode, limit: amount)
        if case .refused(.stepAboveLimit(let step)) = outcome, step <= 2 * amount {
            return stretcher.accelerate(&pending, mode: mode, limit: step)
        }
        return outcome
    }

    private mutating func decelerate(_ pending: inout [Float], amount: Int) -> TimeStretchOutcome {
        let outcome = stretcher.decelerate(&pending, limit: amount)
        if case .refused(.stepAboveLimit(let step)) = outcome, step <= 2 * amount {
            return stretcher.decelerate(&pending, limit: step)
        }
        return outcome
    }
}
