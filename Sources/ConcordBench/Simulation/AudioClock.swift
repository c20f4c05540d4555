import AudioFiles
import Concord

/// A participant's sound card clock. Real sound cards do not share a clock: a nominal 48 kHz
/// device runs some tens to hundreds of parts per million fast or slow, so a talker's timestamps
/// and a listener's playout drift apart by milliseconds a minute and every jitter buffer has to
/// absorb it. The simulation's own time is the reference (the hosts' system clocks, which the
/// engine reads for arrivals and timers, are assumed perfect); a clock `ppm` fast reaches its
/// sample n at n / (48 000 · (1 + ppm·10⁻⁶)) reference seconds. Capture and playout ticks
/// follow this clock.
struct AudioClock: Sendable, Equatable {
    /// Parts per million fast (positive) or slow (negative).
    let ppm: Double

    static let exact = AudioClock(ppm: 0)

    /// Samples of this clock per reference second.
    var sampleRate: Double { Double(AudioFormat.sampleRate) * (1 + ppm / 1_000_000) }

    /// The reference instant at which this clock reaches sample `position`. An exact clock uses
    /// integer arithmetic, so that runs without drift keep their instants to the nanosecond.
    func instant(ofSample position: Int) -> Instant {
        guard ppm != 0 else {
            return Instant(nanoseconds: Int64(position) * 1_000_000_000 / Int64(AudioFormat.sampleRate))
        }
        return Instant(nanoseconds: Int64((Double(position) * 1e9 / sampleRate).rounded(.down)))
    }

    /// How many samples this clock counts in `referenceSamples` samples of reference time.
    func samples(inReferenceSamples referenceSamples: Int) -> Int {
        ppm == 0 ? referenceSamples : Int((Double(referenceSamples) * (1 + ppm / 1_000_000) + 1e-6).rounded(.down))
    }
}

extension AudioClock {
    /// What this clock's microphone records of `signal` (reference time, 48 kHz): the same sound
    /// sampled `ppm` faster, `samples(inReferenceSamples:)` long.
    func recording(of signal: [Float]) throws(Resampler.Failure) -> [Float] {
        guard ppm != 0, !signal.isEmpty else { return signal }
        let recorded = try Resampler(ratio: 1 + ppm / 1_000_000).process(signal, endOfInput: true)
        return Self.fitted(recorded, samples(inReferenceSamples: signal.count))
    }

    /// What a listener in reference time hears of `played`, this clock's playout: `length`
    /// samples at 48 kHz, so that it lines up with the talkers' sources sample for sample.
    func inReferenceTime(_ played: [Float], length: Int) throws(Resampler.Failure) -> [Float] {
        guard ppm != 0 else { return Self.fitted(played, length) }
        return Self.fitted(try Resampler(ratio: 1 / (1 + ppm / 1_000_000)).process(played, endOfInput: true), length)
    }

    /// `signal` cut or padded with silence to `count` samples.
    private static func fitted(_ signal: [Float], _ count: Int) -> [Float] {
        guard signal.count != count else { return signal }
        return Array(signal.prefix(count)) + repeatElement(0, count: max(0, count - signal.count))
    }
}
