/// Lifetime counters of one jitter buffer, named as in WebRTC's NetEq and W3C getStats
/// (RTCInboundRtpStreamStats) so that figures compare directly with a browser's.
public struct JitterBufferStatistics: Sendable, Equatable, Codable {
    /// Packets accepted from the network (including ones later discarded as late or duplicate).
    public var packetsReceived = 0
    /// Arrived after their frame had been played (or concealed).
    public var packetsDiscardedLate = 0
    /// Same sequence number seen before.
    public var packetsDiscardedDuplicate = 0
    /// Pushed out because the buffer held `maximumPackets`.
    public var packetsDiscardedOverflow = 0
    /// Samples emitted, of every kind (W3C totalSamplesReceived).
    public var totalSamplesReceived = 0
    /// Samples synthesised by concealment (W3C concealedSamples).
    public var concealedSamples = 0
    /// Runs of consecutive concealed frames (W3C concealmentEvents).
    public var concealmentEvents = 0
    /// Samples rebuilt from in-band FEC.
    public var fecRecoveredSamples = 0
    /// Samples rebuilt from redundant copies.
    public var redundancyRecoveredSamples = 0
    /// Samples of silence played in DTX gaps or before the stream started.
    public var silentSamples = 0
    /// Samples added by time-stretching to lengthen the delay (W3C insertedSamplesForDeceleration).
    public var insertedSamplesForDeceleration = 0
    /// Samples removed by time-stretching to shorten the delay (W3C removedSamplesForAcceleration).
    public var removedSamplesForAcceleration = 0
    /// Sum over emitted packet samples of their time in the buffer, seconds (W3C jitterBufferDelay).
    public var jitterBufferDelay = 0.0
    /// Samples that came out of the buffer from packets (W3C jitterBufferEmittedCount).
    public var jitterBufferEmittedCount = 0
    /// Sum over emitted packet samples of the target delay, seconds (W3C jitterBufferTargetDelay).
    public var jitterBufferTargetDelay = 0.0
    /// The current target delay, ms.
    public var targetDelayMilliseconds = 0.0

    /// Late + duplicate + overflow (W3C packetsDiscarded).
    public var packetsDiscarded: Int { packetsDiscardedLate + packetsDiscardedDuplicate + packetsDiscardedOverflow }
    /// Mean time a played sample waited, ms.
    public var meanJitterBufferDelayMilliseconds: Double {
        jitterBufferEmittedCount == 0 ? 0 : 1000 * jitterBufferDelay / Double(jitterBufferEmittedCount)
    }
    /// Concealed share of all samples emitted while the sender was talking.
    public var concealmentRatio: Double {
        let voiced = totalSamplesReceived - silentSamples
        return voiced <= 0 ? 0 : Double(concealedSamples) / Double(voiced)
    }

    public init() {}
}
