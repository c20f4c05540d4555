/// The receiving jitter buffer's lifetime counters under the W3C WebRTC statistics names
/// (RTCInboundRtpStreamStats), so a figure can be set beside a browser's `getStats()`.
///
/// Mapped from `JitterBufferStatistics`; where Concord's buffer counts something a little
/// differently the README's report section says how.
public struct GetStatsReport: Codable, Sendable, Equatable {
    /// Samples synthesised by loss concealment, deceleration's included.
    public var concealedSamples: Int
    /// Of `concealedSamples`, those that played as digital silence (measured on the track).
    public var silentConcealedSamples: Int
    /// Runs of consecutive concealed frames.
    public var concealmentEvents: Int
    public var insertedSamplesForDeceleration: Int
    public var removedSamplesForAcceleration: Int
    /// Σ over emitted packet samples of their time in the buffer, s.
    public var jitterBufferDelay: Double
    /// Σ over emitted packet samples of the buffer's target delay, s.
    public var jitterBufferTargetDelay: Double
    /// Samples emitted from packets.
    public var jitterBufferEmittedCount: Int
    /// Every sample played out, silence before the talker started and in DTX gaps included.
    public var totalSamplesReceived: Int
    /// Packets whose Opus in-band FEC rebuilt a lost frame.
    public var fecPacketsReceived: Int
    /// Late, duplicate or overflowing packets the buffer dropped.
    public var packetsDiscarded: Int

    public init(
        concealedSamples: Int, silentConcealedSamples: Int, concealmentEvents: Int, insertedSamplesForDeceleration: Int,
        removedSamplesForAcceleration: Int, jitterBufferDelay: Double, jitterBufferTargetDelay: Double,
        jitterBufferEmittedCount: Int, totalSamplesReceived: Int, fecPacketsReceived: Int, packetsDiscarded: Int
    ) {
        self.concealedSamples = concealedSamples
        self.silentConcealedSamples = silentConcealedSamples
        self.concealmentEvents = concealmentEvents
        self.insertedSamplesForDeceleration = insertedSamplesForDeceleration
        self.removedSamplesForAcceleration = removedSamplesForAcceleration
        self.jitterBufferDelay = jitterBufferDelay
        self.jitterBufferTargetDelay = jitterBufferTargetDelay
        self.jitterBufferEmittedCount = jitterBufferEmittedCount
        self.totalSamplesReceived = totalSamplesReceived
        self.fecPacketsReceived = fecPacketsReceived
        self.packetsDiscarded = packetsDiscarded
    }
}
