/// RFC 3550 §6.4.1 interarrival jitter, the figure every RTP receiver report carries.
///
/// For consecutive arrivals i, j (in *arrival* order, as a receiver sees them) the difference in
/// relative transit time is D(i,j) = (Rj − Ri) − (Sj − Si), with R the arrival time and S the RTP
/// timestamp, both in timestamp units (48 kHz samples here); the estimate is updated as
/// J ← J + (|D(i−1,i)| − J)/16. We keep J as a `Double` rather than the RFC's integer
/// arithmetic (A.8), so that small jitter does not vanish in truncation, and convert the final
/// value to milliseconds.
///
/// Used by the listener's receiver reports and, over recorded arrivals, by the bench; a reordered
/// packet counts as jitter (arrival order), a DTX pause moves arrivals and timestamps alike and
/// adds nothing.
public struct InterarrivalJitter: Sendable, Equatable {
    /// Media clock rate, Hz.
    public let clockRate: Double
    /// Current estimate, timestamp units.
    public private(set) var jitterUnits = 0.0
    private var previousTransit: Double?

    public init(clockRate: Double = Double(AudioFormat.sampleRate)) {
        self.clockRate = clockRate > 0 ? clockRate : Double(AudioFormat.sampleRate)
    }

    /// Feeds one arrival: `arrivalUnits` is the arrival time and `timestamp` the packet's media
    /// timestamp, both in timestamp units.
    public mutating func add(arrivalUnits: Double, timestamp: Int64) {
        let transit = arrivalUnits - Double(timestamp)
        guard transit.isFinite else { return }
        if let previous = previousTransit {
            let d = abs(transit - previous)
            jitterUnits += (d - jitterUnits) / 16
        }
        previousTransit = transit
    }

    /// The current estimate, ms.
    public var jitterMilliseconds: Double { jitterUnits * 1000 / clockRate }
}
