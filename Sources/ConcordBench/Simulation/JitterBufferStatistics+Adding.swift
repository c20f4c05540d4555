import Concord

extension JitterBufferStatistics {
    /// Counters of two lives of one stream (a receiver released and a later one) added up;
    /// the current target is the later one's.
    func adding(_ later: JitterBufferStatistics) -> JitterBufferStatistics {
        var s = self
        s.packetsReceived += later.packetsReceived
        s.packetsDiscardedLate += later.packetsDiscardedLate
        s.packetsDiscardedDuplicate += later.packetsDiscardedDuplicate
        s.packetsDiscardedOverflow += later.packetsDiscardedOverflow
        s.totalSamplesReceived += later.totalSamplesReceived
        s.concealedSamples += later.concealedSamples
        s.concealmentEvents += later.concealmentEvents
        s.fecRecoveredSamples += later.fecRecoveredSamples
        s.redundancyRecoveredSamples += later.redundancyRecoveredSamples
        s.silentSamples += later.silentSamples
        s.insertedSamplesForDeceleration += later.insertedSamplesForDeceleration
        s.removedSamplesForAcceleration += later.removedSamplesForAcceleration
        s.jitterBufferDelay += later.jitterBufferDelay
        s.jitterBufferEmittedCount += later.jitterBufferEmittedCount
        s.jitterBufferTargetDelay += later.jitterBufferTargetDelay
        s.targetDelayMilliseconds = later.targetDelayMilliseconds
        return s
    }
}
