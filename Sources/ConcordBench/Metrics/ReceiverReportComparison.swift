import Concord
import SimNet

/// Sets the figures of the listeners' receiver reports beside the bench's own measurement of the
/// same packets (`ReceiverReportsReport`).
enum ReceiverReportComparison {
    /// One stream: `record`'s packets, the reports its talker took from its listener, and the
    /// reverse stream's record (listener → talker voice), if there is one.
    /// `networkRoundTripMs`: the mean transit of the reports both ways, from the simulator.
    static func stream(_ record: StreamRecord, taken: [ReceiverReportLog.Taken], networkRoundTripMs: Double?) -> ReceiverReportsReport.Stream? {
        // Each report's highest sequence number as the bench numbers it: the latest packet sent
        // with those low 16 bits before the report arrived. Reports after the record's end (it
        // stops with speech; reports go on while the run drains) have none.
        let mapped: [Mapped] = taken.compactMap { t in
            guard let stream = t.stream else { return nil }
            let low = Int64(stream.highestSequence & 0xFFFF)
            guard let sent = record.sent.last(where: { $0.sequence & 0xFFFF == low && $0.sendTime <= t.at }) else { return nil }
            return Mapped(at: t.at, stream: stream, highest: sent.sequence)
        }
        guard let last = mapped.last else { return nil }
        // Loss, interval by interval between consecutive reports (RFC 3550 A.3): the listener's
        // change of cumulative loss against the bench's count over the same packets. Only
        // intervals both sides count alike: about one report interval apart (no report lost in
        // between, no pause while the talker was away, after which the listener counts anew)
        // and the listener's sequence numbers advancing as the talker's did.
        var expected = 0
        var reportedLost = 0
        var measuredLost = 0
        for (a, b) in zip(mapped, mapped.dropFirst()) {
            let span = b.highest - a.highest
            guard span > 0, (b.at.seconds - a.at.seconds) < 1.5 * VoiceClient.reportInterval,
                Int64(b.stream.highestSequence) - Int64(a.stream.highestSequence) == span
            else { continue }
            expected += Int(span)
            reportedLost += Int(Int64(b.stream.cumulativeLost) - Int64(a.stream.cumulativeLost))
            // RFC 3550 counts every arrival, duplicates included, as the listener does.
            let heardA = record.arrivals.lazy.filter { $0.sequence <= a.highest && $0.arrivalTime <= a.at }.count
            let heardB = record.arrivals.lazy.filter { $0.sequence <= b.highest && $0.arrivalTime <= b.at }.count
            measuredLost += Int(span) - (heardB - heardA)
        }
        let heardThen = record.arrivals.filter { $0.arrivalTime <= last.at && $0.sequence <= last.highest }
        let rtts = taken.compactMap(\.roundTripMilliseconds)
        let queueing = mapped.compactMap(\.stream.queueingMilliseconds)
        return .init(
            from: record.from, to: record.to, reports: mapped.count, packetsCompared: expected,
            reportedLossPercent: expected > 0 ? 100 * Double(reportedLost) / Double(expected) : 0,
            measuredLossPercent: expected > 0 ? 100 * Double(measuredLost) / Double(expected) : 0,
            reportedJitterMs: last.stream.jitterMilliseconds, measuredJitterMs: InterarrivalJitter.milliseconds(arrivals: heardThen),
            roundTripMs: rtts.isEmpty ? nil : rtts.reduce(0, +) / Double(rtts.count), networkRoundTripMs: networkRoundTripMs,
            reportedQueueingMs: queueing.isEmpty ? nil : queueing.reduce(0, +) / Double(queueing.count),
            measuredQueueingMs: meanQueueing(record, arrivals: heardThen))
    }

    /// The mean, over `arrivals`, of each packet's network transit (SimNet's arrival less send
    /// time) above the least transit of the 30 s before it: the queue the listener reports, from
    /// the simulator's clock rather than the media timestamps. nil without arrivals.
    static func meanQueueing(_ record: StreamRecord, arrivals: [ArrivalRecord]) -> Double? {
        let sendTimes = Dictionary(record.sent.map { ($0.sequence, $0.sendTime) }, uniquingKeysWith: { a, _ in a })
        let window = Double(QueueingDelay.baseWindowSeconds)
        // A deque of (arrival second, transit), increasing transits: its head is the window's least.
        var minima: [(at: Double, transit: Double)] = []
        var head = 0
        var sum = 0.0
        var count = 0
        for a in arrivals {
            guard let sent = sendTimes[a.sequence] else { continue }
            let transit = a.arrivalTime.milliseconds - sent.milliseconds
            let at = a.arrivalTime.seconds
            while minima.count > head, minima[minima.count - 1].transit >= transit { minima.removeLast() }
            if head > minima.count { head = minima.count }
            minima.append((at, transit))
            while minima[head].at <= at - window { head += 1 }
            sum += transit - minima[head].transit
            count += 1
        }
        return count > 0 ? sum / Double(count) : nil
    }

    private struct Mapped {
        var at: Instant
        var stream: ReceiverReport.Stream
        var highest: Int64
    }
}

extension ReceiverReportComparison {
    /// The whole run: every stream's comparison, and what the reports cost on the wire.
    static func report(
        records: [StreamRecord], names: [String], log: ReceiverReportLog, transits: ReportTransitLog, reportsSent: Int,
        reportBytes: Int, seconds: Double
    ) -> ReceiverReportsReport {
        let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        let streams = records.compactMap { r -> ReceiverReportsReport.Stream? in
            guard let t = index[r.from], let l = index[r.to] else { return nil }
            let network = transits.meanTransitMs(from: t, to: l).flatMap { there in transits.meanTransitMs(from: l, to: t).map { there + $0 } }
            return stream(r, taken: log.taken[t][l], networkRoundTripMs: network)
        }
        let pairs = log.taken.reduce(0) { $0 + $1.filter { !$0.isEmpty }.count }
        let bits = Double(reportBytes + reportsSent * PathConditions.ipUDPHeaderBytes) * 8
        return ReceiverReportsReport(
            reportsSent: reportsSent, bitsPerSecondPerPair: pairs > 0 && seconds > 0 ? bits / seconds / Double(pairs) : 0,
            streams: streams)
    }
}
