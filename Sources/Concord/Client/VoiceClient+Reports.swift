/// Receiver reports: once a `reportInterval` each client tells each voice peer how that peer's
/// voice arrives (`ReceiverReport`), and echoes the peer's last report so that the peer can
/// measure the round trip. Reports go to every voice peer, heard or not, so the round trip is
/// known both ways even while one side is silent.
extension VoiceClient {
    /// How often a report goes to each voice peer.
    public static let reportInterval = 1.0

    /// Reports this client took and refused.
    public struct ReportCounters: Sendable, Equatable, Codable {
        public var sent = 0
        public var received = 0
        /// Did not parse (counted and dropped).
        public var malformed = 0
        /// From a client that is not a voice peer, or addressed to another client.
        public var misdirected = 0
        /// Echoes that gave no believable round trip (the rest of the report was kept).
        public var rejectedEchoes = 0
    }

    /// Per voice peer: when to report next, and the last report it sent us (to echo).
    struct ReportState {
        var nextAt: Instant
        var lastReceived: (sentAt: UInt32, at: Instant)?
        var path = ReportedPath()
        /// Voice sent to this peer since its last report (for its bandwidth estimate).
        var sent = SentSinceReport()
    }

    struct SentSinceReport {
        var bytes = 0
        var packets = 0
        /// Since when (the previous report from this peer).
        var since: Instant?
        /// Set when the report that closes it arrives.
        var seconds = 0.0
        mutating func add(wireBytes: Int) {
            bytes += wireBytes + RateBudget.ipUDPHeaderBytes
            packets += 1
        }
        var meanBytes: Double? { packets > 0 ? Double(bytes) / Double(packets) : nil }
    }

    /// What `clientID` says about this client's voice.
    public func reportedPath(from clientID: String) -> ReportedPath? {
        voicePeers.voiceID(of: clientID).flatMap { reportsByVoiceID[$0]?.path }
    }

    /// The reports due at `now`, one datagram per voice peer (plain: `tick` seals them).
    func dueReports(now: Instant) -> [RoomEffect] {
        var out: [RoomEffect] = []
        for peer in participant.peers {
            guard let address = voicePeers.address(of: peer) else { continue }
            var state = reportsByVoiceID[peer] ?? ReportState(nextAt: now)
            defer { reportsByVoiceID[peer] = state }
            guard now >= state.nextAt else { continue }
            // Fixed steps keep the rhythm; after a stall, start again from now.
            state.nextAt = state.nextAt.advanced(byMilliseconds: 1000 * Self.reportInterval)
            if state.nextAt <= now { state.nextAt = now.advanced(byMilliseconds: 1000 * Self.reportInterval) }
            let sentAt = ReceiverReport.clock(now)
            let echo = state.lastReceived.map {
                ReceiverReport.Echo(sentAt: $0.sentAt, delay: sentAt &- ReceiverReport.clock($0.at))
            }
            var stream: ReceiverReport.Stream?
            if let receiver = participant.receiver(for: peer) {
                stream = arrivalsByVoiceID[peer]?.report(playout: receiver.statistics)
            }
            let report = ReceiverReport(reporter: participant.id, addressee: peer, sentAt: sentAt, echo: echo, stream: stream)
            reportCounters.sent += 1
            out.append(.send(bytes: report.serialize(), to: address))
        }
        return out
    }

    /// One report datagram, opened; `sender` is the session it opened under, when sealed.
    func take(reportBytes bytes: [UInt8], sender: SecureTransport.Delivered?, now: Instant) {
        let report: ReceiverReport
        do {
            report = try ReceiverReport.parse(bytes)
        } catch {
            reportCounters.malformed += 1
            return
        }
        if let sender {
            guard report.reporter == VoicePeers.voiceID(for: sender.clientID) else {
                transport?.noteImpersonation(sender, claimed: "voice id \(report.reporter)")
                return
            }
        }
        guard report.addressee == participant.id, voicePeers.clientID(of: report.reporter) != nil,
            var state = reportsByVoiceID[report.reporter] ?? Optional(ReportState(nextAt: now))
        else {
            reportCounters.misdirected += 1
            return
        }
        reportCounters.received += 1
        state.lastReceived = (report.sentAt, now)
        let believed = state.path.take(report, now: now)
        if !believed { reportCounters.rejectedEchoes += 1 }
        var sent = state.sent
        sent.seconds = sent.since.map { now.seconds - $0.seconds } ?? 0
        state.sent = SentSinceReport(since: now)
        reportsByVoiceID[report.reporter] = state
        if let stream = report.stream {
            estimateBandwidth(to: report.reporter, stream: stream, sentAt: report.sentAt, sent: sent, now: now)
            adapt(to: stream, from: report.reporter, now: now)
        }
        onReceiverReport?(
            ReceivedReport(
                from: voicePeers.clientID(of: report.reporter) ?? "", report: report,
                roundTripMilliseconds: report.echo != nil && believed ? state.path.roundTripMilliseconds : nil,
                path: state.path, at: now))
    }

    /// A report as taken, for drivers that record them (the benchmark's timeline).
    public struct ReceivedReport: Sendable {
        /// The listener's client id.
        public var from: String
        public var report: ReceiverReport
        /// The round trip this report's echo gave; nil without an echo or when it was not believed.
        public var roundTripMilliseconds: Double?
        /// The path after taking it.
        public var path: ReportedPath
        public var at: Instant
    }
}
