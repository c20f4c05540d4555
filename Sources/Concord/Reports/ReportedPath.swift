/// What one listener says about this client's voice: its latest receiver report and the round
/// trip measured from the echoes in them. The talker's side of `ReceiverReport`.
public struct ReportedPath: Sendable, Equatable {
    /// The latest stream block (nil until the listener has heard this client's voice).
    public var latest: ReceiverReport.Stream?
    /// When the latest report arrived.
    public var receivedAt: Instant?
    /// The latest round trip sample, ms: arrival − echoed `sent at` − echo delay.
    public var roundTripMilliseconds: Double?
    /// Smoothed as TCP smooths it (RFC 6298: gain 1/8).
    public var smoothedRoundTripMilliseconds: Double?
    /// Reports taken from this listener.
    public var reports = 0

    public init() {}

    /// The longest round trip believed: beyond it an echo is stale or forged, not a path.
    public static let maximumRoundTripMilliseconds = 30_000.0

    /// Takes one report; `now` is this client's clock, the one its own `sent at` values read.
    /// Returns false when the report's echo gives no believable round trip (it is kept anyway).
    @discardableResult
    public mutating func take(_ report: ReceiverReport, now: Instant) -> Bool {
        reports += 1
        receivedAt = now
        if let stream = report.stream { latest = stream }
        guard let echo = report.echo else { return true }
        let elapsed = ReceiverReport.clock(now) &- echo.sentAt
        guard elapsed >= echo.delay else { return false }
        let rtt = ReceiverReport.milliseconds(elapsed - echo.delay)
        guard rtt <= Self.maximumRoundTripMilliseconds else { return false }
        roundTripMilliseconds = rtt
        smoothedRoundTripMilliseconds = smoothedRoundTripMilliseconds.map { $0 + (rtt - $0) / 8 } ?? rtt
        return true
    }
}

extension ReceiverReport {
    /// Report clock units per second: RTCP's compact NTP format (RFC 3550 §4), 15.3 µs each.
    public static let clockRate = 65_536.0

    /// The report clock at `now`, wrapping at 2³² (every 18.2 hours): only differences count.
    public static func clock(_ now: Instant) -> UInt32 {
        UInt32(truncatingIfNeeded: Int64((Double(now.nanoseconds) * clockRate / 1e9).rounded(.down)))
    }

    /// A difference of report clock readings, in milliseconds.
    public static func milliseconds(_ units: UInt32) -> Double { Double(units) * 1000 / clockRate }
}
