import Concord

/// The clock drift a stream's jitter buffer had to absorb, and what absorbing it cost.
///
/// The buffer sees the talker's sound card through the packets' media timestamps and plays at
/// the listener's sound card rate; when the two differ by d (relative), the buffer fills or
/// drains by d seconds per second and must remove (accelerate) or insert (decelerate) that much
/// audio. Figures:
/// * `configured_ppm` = (talker rate / listener rate − 1)·10⁶ from the scenario's `clock_ppm`s;
/// * `measured_ppm`, the same seen from the record alone, as a receiver could: the talker's rate
///   from the arrivals — a least-squares line through the fastest arrival of each second
///   (transit = arrival − timestamp / 48 kHz; the per-second minimum drops queueing and jitter,
///   which a fit of every arrival would fold in) — over the listener's, the median rate at which
///   consecutive audible frames played (`listenerRate`). Null when the arrivals span less than `minimumSeconds`, where a few ms of
///   jitter would read as hundreds of ppm;
/// * `expected_correction_ms` = configured drift × the stream's playout span: the net audio the
///   buffer must remove (positive) or insert (negative) over the stream;
/// * `accelerated_ms`, `decelerated_ms`: what the buffer removed and inserted for any reason
///   (drift, and also delay changes), from its lifetime counters.
public enum ClockDriftEstimate {
    /// Arrivals must span this long for `measured_ppm`.
    public static let minimumSeconds = 10.0

    public static func analyze(_ record: StreamRecord) -> ClockDriftReport {
        let nominal = Double(AudioFormat.sampleRate)
        let configured = (record.talkerSampleRate / record.listenerSampleRate - 1) * 1e6
        let span = (record.playout.last?.playoutTime.seconds ?? 0) - (record.playout.first?.playoutTime.seconds ?? 0)
        var measured: Double?
        if let talker = talkerRate(record.arrivals), let listener = listenerRate(record.playout, frameSamples: record.frameSamples) {
            let ppm = (talker / listener - 1) * 1e6
            if ppm.isFinite { measured = ppm }
        }
        let milliseconds = { (samples: Int) in Double(samples) * 1000 / nominal }
        return ClockDriftReport(
            configuredPPM: configured, measuredPPM: measured,
            expectedCorrectionMs: configured / 1e6 * max(0, span) * 1000,
            acceleratedMs: milliseconds(record.jitterBuffer.removedSamplesForAcceleration),
            deceleratedMs: milliseconds(record.jitterBuffer.insertedSamplesForDeceleration))
    }

    /// Timestamp samples per second of arrival time, from the fastest arrival of each second.
    static func talkerRate(_ arrivals: [ArrivalRecord]) -> Double? {
        let nominal = Double(AudioFormat.sampleRate)
        var fastest: [Int: (t: Double, transit: Double)] = [:]
        for a in arrivals {
            let t = a.arrivalTime.seconds
            let transit = t - Double(a.timestamp) / nominal
            let second = Int(t.rounded(.down))
            if let best = fastest[second], best.transit <= transit { continue }
            fastest[second] = (t, transit)
        }
        let points = fastest.keys.sorted().compactMap { fastest[$0] }
        guard let first = points.first, let last = points.last, last.t - first.t >= minimumSeconds,
            let slope = slope(points.map { ($0.t, $0.transit) })
        else { return nil }
        // transit = t − ts/rate₀ with ts = rate·t + c, so d(transit)/dt = 1 − rate/rate₀.
        return nominal * (1 - slope)
    }

    /// Samples played per second: the median, over consecutive frames that both played audio,
    /// of the samples between their starts (a frame, plus what stretching added or removed while
    /// it played) over the time between them. Silence is logged once per pull, not per frame,
    /// and a gap (no receiver, a talk spurt's end) spans no known number of samples: intervals
    /// that touch either are skipped.
    static func listenerRate(_ playout: [PlayoutEvent], frameSamples: Int) -> Double? {
        guard let first = playout.first, let last = playout.last,
            last.playoutTime.seconds - first.playoutTime.seconds >= minimumSeconds
        else { return nil }
        let nominalFrame = Double(frameSamples) / Double(AudioFormat.sampleRate)
        var rates: [Double] = []
        for (a, b) in zip(playout, playout.dropFirst()) where a.outcome != .silence && b.outcome != .silence {
            let interval = b.playoutTime.seconds - a.playoutTime.seconds
            let samples = Double(frameSamples + a.stretchedSamples)
            // Twice a frame and more is a gap in the log, not a frame played.
            guard interval > 0, interval < 2 * nominalFrame, samples > 0 else { continue }
            rates.append(samples / interval)
        }
        guard rates.count >= 10 else { return nil }
        rates.sort()
        return rates[rates.count / 2]
    }

    /// The least-squares slope of y over x; nil for fewer than two distinct x.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        guard points.count >= 2 else { return nil }
        let n = Double(points.count)
        let mx = points.reduce(0) { $0 + $1.x } / n
        let my = points.reduce(0) { $0 + $1.y } / n
        var sxx = 0.0, sxy = 0.0
        for p in points {
            sxx += (p.x - mx) * (p.x - mx)
            sxy += (p.x - mx) * (p.y - my)
        }
        guard sxx > 0 else { return nil }
        return sxy / sxx
    }
}

/// See `ClockDriftEstimate`.
public struct ClockDriftReport: Codable, Sendable, Equatable {
    public var configuredPPM: Double
    public var measuredPPM: Double?
    public var expectedCorrectionMs: Double
    public var acceleratedMs: Double
    public var deceleratedMs: Double

    enum CodingKeys: String, CodingKey {
        case configuredPPM = "configured_ppm"
        case measuredPPM = "measured_ppm"
        case expectedCorrectionMs = "expected_correction_ms"
        case acceleratedMs = "accelerated_ms"
        case deceleratedMs = "decelerated_ms"
    }

    /// `measured_ppm` is written as null when unknown, like every absent figure of the report.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configuredPPM, forKey: .configuredPPM)
        try c.encode(measuredPPM, forKey: .measuredPPM)
        try c.encode(expectedCorrectionMs, forKey: .expectedCorrectionMs)
        try c.encode(acceleratedMs, forKey: .acceleratedMs)
        try c.encode(deceleratedMs, forKey: .deceleratedMs)
    }
}
