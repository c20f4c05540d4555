import Concord
import FuzzDriver

/// Any bytes into `ReceiverReport.parse`; a parsed report must re-serialize to the very bytes it
/// came from (the format has exactly one encoding of each report), and taking it on the
/// talker's side (`ReportedPath`) must not trap whatever its echo says.
@main enum ReceiverReportFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        guard let report = try? ReceiverReport.parse(bytes) else { return }
        guard report.serialize() == bytes else { fatalError("re-serialized bytes differ") }
        var path = ReportedPath()
        // Any time: the echo may claim anything about the talker's clock.
        let now = Instant(nanoseconds: Int64(report.sentAt) &* 15_259)
        path.take(report, now: now)
        if let rtt = path.roundTripMilliseconds, !(0...ReportedPath.maximumRoundTripMilliseconds).contains(rtt) {
            fatalError("round trip \(rtt) ms believed")
        }
    }
}
