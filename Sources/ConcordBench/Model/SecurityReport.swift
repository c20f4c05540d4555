import Concord

/// What sealing cost and what it rejected, over all participants (report.json `security`;
/// absent when the scenario runs unsealed).
public struct SecurityReport: Codable, Sendable, Equatable {
    /// Bytes a sealed datagram carries beyond its plain form (key id, counter, Poly1305 tag).
    public var overheadBytesPerPacket: Int
    public var packetsSealed: Int
    /// Datagrams that authenticated (voice, control, text, handshakes).
    public var packetsOpened: Int
    /// CPU time inside the security layer (sealing, opening, handshakes, bookkeeping).
    public var cpuSeconds: Double
    /// `cpuSeconds` per sealed or opened packet, microseconds.
    public var cpuMicrosecondsPerPacket: Double
    /// `cpuSeconds` as a fraction of the codec's CPU time.
    public var cpuFractionOfCodec: Double
    public var handshakesCompleted: Int
    public var handshakesTimedOut: Int
    /// Sessions replaced by time-based rekeys or restarts.
    public var sessionsReplaced: Int
    /// Rejected datagrams by cause, summed over participants.
    public var rejected: SecurityCounters
    public var impersonations: Int
    /// Datagrams dropped because their handshake never completed.
    public var queueDrops: Int
    /// Voice frames that waited for a handshake too long to be worth playing, never sent
    /// (`SecureTransport.Settings.queuedVoiceLifetime`; not counted as sent in any stream).
    public var staleVoiceDrops: Int

    enum CodingKeys: String, CodingKey {
        case rejected, impersonations
        case overheadBytesPerPacket = "overhead_bytes_per_packet"
        case packetsSealed = "packets_sealed"
        case packetsOpened = "packets_opened"
        case cpuSeconds = "cpu_seconds"
        case cpuMicrosecondsPerPacket = "cpu_microseconds_per_packet"
        case cpuFractionOfCodec = "cpu_fraction_of_codec"
        case handshakesCompleted = "handshakes_completed"
        case handshakesTimedOut = "handshakes_timed_out"
        case sessionsReplaced = "sessions_replaced"
        case queueDrops = "queue_drops"
        case staleVoiceDrops = "stale_voice_drops"
    }

    public init(transports: [SecureTransport], cpuSeconds: Double, codecSeconds: Double) {
        var rejected = SecurityCounters()
        var sealed = 0
        var handshakes = 0
        var timedOut = 0
        var replaced = 0
        var impersonations = 0
        var queueDrops = 0
        var staleVoiceDrops = 0
        for t in transports {
            rejected = rejected.adding(t.counters)
            sealed += t.statistics.sealedPackets
            handshakes += t.statistics.handshakesCompleted
            timedOut += t.statistics.handshakesTimedOut
            replaced += t.statistics.sessionsReplaced
            impersonations += t.statistics.impersonations
            queueDrops += t.statistics.queueDrops
            staleVoiceDrops += t.statistics.staleVoiceDrops
        }
        overheadBytesPerPacket = SealedFormat.overhead
        packetsSealed = sealed
        packetsOpened = rejected.opened
        rejected.opened = 0
        self.rejected = rejected
        self.cpuSeconds = cpuSeconds
        let packets = sealed + packetsOpened
        cpuMicrosecondsPerPacket = packets > 0 ? cpuSeconds / Double(packets) * 1e6 : 0
        cpuFractionOfCodec = codecSeconds > 0 ? cpuSeconds / codecSeconds : 0
        handshakesCompleted = handshakes
        handshakesTimedOut = timedOut
        sessionsReplaced = replaced
        self.impersonations = impersonations
        self.queueDrops = queueDrops
        self.staleVoiceDrops = staleVoiceDrops
    }
}
