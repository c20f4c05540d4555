import Concord

/// Concord's `TimeStretcher` driven the way a playout buffer drives it: the input arrives in a
/// buffer of not-yet-played samples, and before each 10 ms tick is played the driver compares
/// the length change the schedule wants with what it has done, and asks for an accelerate or a
/// decelerate on the buffer's head when it is behind.
///
/// Before each tick the buffer is topped up to at least `lookAhead` unplayed samples. With the
/// default 30 ms, 10 ms at a time, so every period can be searched. With less it models a
/// low-delay buffer on a LAN: the input arrives in packets (20 ms, Opus's default frame, unless
/// told otherwise), each just before the buffer would hold less than `lookAhead`, so with 10 ms
/// ahead and 20 ms packets a call sees 20 ms and 10 ms in turn. With `keepsHistory` the last
/// 15 ms played stay in front of the head and are passed as history.
///
/// It first asks for exactly the amount it is behind (which a quiet stretch grants); when
/// voiced speech needs a whole period and the period is at most twice that amount it takes the
/// period, so the length error stays within about half a period. More than 30 ms behind it
/// accelerates in fast mode, as NetEq does far above its target.
struct ConcordStretch: SpeechStretcher {
    let name: String
    private let lookAhead: Int
    private let arrival: Int
    private let historyKept: Int
    private var stretcher = TimeStretcher()
    private static let tick = AudioFormat.samples(milliseconds: 10)

    /// `lookAheadMilliseconds` between 5 and 30; `packetMilliseconds` applies below 30.
    init(lookAheadMilliseconds: Int = 30, keepsHistory: Bool = false, packetMilliseconds: Int = 20) {
        let plain = lookAheadMilliseconds == 30 && !keepsHistory
        name = plain ? "concord" : "concord-\(lookAheadMilliseconds)ms" + (keepsHistory ? "-history" : "")
        lookAhead = AudioFormat.samples(milliseconds: lookAheadMilliseconds)
        arrival = AudioFormat.samples(milliseconds: lookAheadMilliseconds == 30 ? 10 : packetMilliseconds)
        historyKept = keepsHistory ? TimeStretcher.maximumPeriod : 0
    }

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(input.count * 2)
        // `buffer[..<head]` is history (already played), `buffer[head...]` is still to play.
        var buffer: [Float] = []
        buffer.reserveCapacity(historyKept + lookAhead + arrival + TimeStretcher.maximumPeriod)
        var head = 0
        var nextInput = 0
        // Net samples inserted so far, and those of them already played, with where the rest sit
        // after the head: the input position reached is what has been played minus its changes.
        var change = 0
        var playedChange = 0
        var unplayed: [(position: Int, samples: Int)] = []
        while true {
            while buffer.count - head < lookAhead, nextInput < input.count {
                let end = min(nextInput + arrival, input.count)
                buffer.append(contentsOf: input[nextInput..<end])
                nextInput = end
            }
            guard buffer.count - head >= lookAhead else {
                output.append(contentsOf: buffer[head...])
                return output
            }
            // Where the change lands, roughly: the middle of the window the stretcher sees.
            let splice = min(buffer.count - head, TimeStretcher.requiredSamples) / 2
            let behind = schedule.wantedChange(before: output.count - playedChange) - Double(change)
            if behind <= -1 {
                let removed = accelerate(&buffer, head: head, amount: Int((-behind).rounded(.up))).samples
                change -= removed
                if removed > 0 { unplayed.append((splice, -removed)) }
            } else if behind >= 1 {
                let inserted = decelerate(&buffer, head: head, amount: Int(behind.rounded(.up))).samples
                change += inserted
                if inserted > 0 { unplayed.append((splice, inserted)) }
            }
            let played = min(Self.tick, buffer.count - head)
            output.append(contentsOf: buffer[head..<(head + played)])
            head += played
            if head > historyKept {
                buffer.removeFirst(head - historyKept)
                head = historyKept
            }
            for index in unplayed.indices { unplayed[index].position -= played }
            while let first = unplayed.first, first.position < 0 {
                playedChange += first.samples
                unplayed.removeFirst()
            }
        }
    }

    private mutating func accelerate(_ buffer: inout [Float], head: Int, amount: Int) -> TimeStretchOutcome {
        let mode: TimeStretcher.Mode = amount > 2 * TimeStretcher.maximumPeriod ? .fast : .normal
        let outcome = stretcher.accelerate(&buffer, at: head, history: head, mode: mode, limit: amount)
        if case .refused(.stepAboveLimit(let step)) = outcome, step <= 2 * amount {
            return stretcher.accelerate(&buffer, at: head, history: head, mode: mode, limit: step)
        }
        return outcome
    }

    private mutating func decelerate(_ buffer: inout [Float], head: Int, amount: Int) -> TimeStretchOutcome {
        let outcome = stretcher.decelerate(&buffer, at: head, history: head, limit: amount)
        if case .refused(.stepAboveLimit(let step)) = outcome, step <= 2 * amount {
            return stretcher.decelerate(&buffer, at: head, history: head, limit: step)
        }
        return outcome
    }
}
