import Concord

/// The receiver reports every talker took during a run, per listener, for the comparison in
/// `ReceiverReportsReport`. Reports are taken on the thread that runs the simulator.
final class ReceiverReportLog {
    struct Taken {
        var at: Instant
        var stream: ReceiverReport.Stream?
        var roundTripMilliseconds: Double?
    }

    private let indexOfName: [String: Int]
    /// taken[t][l]: what talker t took from listener l, in order.
    private(set) var taken: [[[Taken]]]

    init(names: [String]) {
        indexOfName = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        taken = Array(repeating: Array(repeating: [], count: names.count), count: names.count)
    }

    func note(_ received: VoiceClient.ReceivedReport, talker t: Int) {
        guard let l = indexOfName[received.from] else { return }
        taken[t][l].append(
            Taken(at: received.at, stream: received.report.stream, roundTripMilliseconds: received.roundTripMilliseconds))
    }
}

/// When each receiver report datagram left and arrived, from SimNet's side of the sockets: the
/// network's own round trip, against which the engine's echo-based one is checked. Keyed by the
/// datagram's bytes (a report's `sent at` and, sealed, its counter make them unique).
final class ReportTransitLog {
    private var pending: [[UInt8]: (from: Int, at: Instant)] = [:]
    /// transits[from][to]: one-way times of the reports that arrived, ms.
    private(set) var transits: [[[Double]]]

    init(count: Int) {
        transits = Array(repeating: Array(repeating: [], count: count), count: count)
    }

    func sent(_ bytes: [UInt8], by from: Int, at now: Instant) {
        pending[bytes] = (from, now)
    }

    func arrived(_ bytes: [UInt8], at to: Int, now: Instant) {
        guard let sent = pending.removeValue(forKey: bytes) else { return }
        transits[sent.from][to].append(now.milliseconds - sent.at.milliseconds)
    }

    /// Mean one-way time of the reports from → to, ms; nil when none arrived.
    func meanTransitMs(from: Int, to: Int) -> Double? {
        let t = transits[from][to]
        return t.isEmpty ? nil : t.reduce(0, +) / Double(t.count)
    }
}
