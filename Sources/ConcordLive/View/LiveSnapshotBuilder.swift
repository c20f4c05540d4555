import Concord

/// Builds what the live view and the summary show from the engine's state, on the engine
/// thread: the message list (texts, notices, errors, stamped from the client's start), and for
/// each member its ``VoiceFigures``, the same for the view and the summary.
///
/// Takes plain values (no engine objects), so the figures are testable on their own.
struct LiveSnapshotBuilder {
    /// One member as the engine knows it at a snapshot.
    struct Peer {
        var clientID: String
        var displayName: String
        var address: String
        var fingerprint: String?
        var keyChanged: Bool
        var status: String
        /// The volume set with /volume; nil: never set (100 %).
        var volume: Float?
        /// Its receiver's jitter-buffer statistics; nil: no receiver (nothing ever arrived).
        var statistics: JitterBufferStatistics?
        /// Loss from sequence numbers (`VoiceArrivals`); nil: nothing arrived.
        var lossRatio: Double?
        /// Level of its last decoded frame; nil: no receiver.
        var levelDBFS: Float?
        /// The handshake's round trip, until receiver reports measure one.
        var rttMs: Double?
        /// What the member reports about this client's voice; nil before its first report.
        var reportedPath: ReportedPath? = nil
    }

    /// Messages kept for the view; older ones are dropped.
    static let maximumMessages = 200
    /// A member whose decoded audio is louder than this is marked as speaking.
    static let speakingThresholdDBFS: Float = -45

    let startedAt: Instant
    let frameMilliseconds: Double
    let codecLookaheadMilliseconds: Double
    private(set) var messages: [LiveSnapshot.Message] = []
    private var recentDelays: [String: RecentBufferDelay] = [:]

    init(startedAt: Instant, frameMilliseconds: Double, codecLookaheadMilliseconds: Double) {
        self.startedAt = startedAt
        self.frameMilliseconds = frameMilliseconds
        self.codecLookaheadMilliseconds = codecLookaheadMilliseconds
    }

    mutating func record(_ kind: LiveSnapshot.Message.Kind, from: String = "", _ text: String, at now: Instant) {
        messages.append(.init(secondsSinceStart: now.seconds - startedAt.seconds, from: from, text: text, kind: kind))
        if messages.count > Self.maximumMessages { messages.removeFirst(messages.count - Self.maximumMessages) }
    }

    /// The member for the view and the peer for the summary, with the same figures. Call once
    /// per snapshot and member: each call adds a sample to the member's recent buffer delay.
    mutating func member(_ p: Peer) -> (view: LiveSnapshot.Member, summary: LiveSummary.Peer) {
        let recent = p.statistics.flatMap { recentDelays[p.clientID, default: RecentBufferDelay()].add($0) }
        let figures = VoiceFigures.measure(
            statistics: p.statistics, lossRatio: p.lossRatio, jitterBufferDelayMs: recent,
            rttMs: p.reportedPath?.smoothedRoundTripMilliseconds ?? p.rttMs, frameMs: frameMilliseconds,
            codecLookaheadMs: codecLookaheadMilliseconds, outboundLossPercent: p.reportedPath?.latest.map { 100 * $0.lossShare })
        let view = LiveSnapshot.Member(
            clientID: p.clientID, displayName: p.displayName, address: p.address, fingerprint: p.fingerprint,
            keyChanged: p.keyChanged, status: p.status, speaking: (p.levelDBFS ?? -120) > Self.speakingThresholdDBFS,
            muted: p.volume == 0, volume: p.volume ?? 1, levelDBFS: p.levelDBFS, voice: figures)
        return (view, LiveSummary.Peer(clientID: p.clientID, fingerprint: p.fingerprint, voice: figures))
    }

    /// Forgets members that are gone, so a member who comes back starts a fresh window.
    mutating func keepOnly(_ clientIDs: Set<String>) {
        recentDelays = recentDelays.filter { clientIDs.contains($0.key) }
    }
}
