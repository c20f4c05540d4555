import Concord

/// `JitterBufferStatistics` under the W3C getStats names. Every counter but one is the buffer's
/// own; `silentConcealedSamples` is measured on the track (a concealed frame whose every sample
/// is below one 16-bit step played as silence), since the buffer hands frames to the decoder
/// and never sees the audio.
enum GetStatsMapping {
    static func counters(_ record: StreamRecord) -> GetStatsReport {
        let s = record.jitterBuffer
        let F = record.frameSamples
        var silentConcealed = 0
        for event in record.playout where event.outcome == .concealed || event.outcome == .decelerated {
            let start = Int(event.playoutTime.nanoseconds * Int64(AudioFormat.sampleRate) / 1_000_000_000)
            let length = event.samples ?? F
            guard length > 0, start >= 0, start + length <= record.track.count else { continue }
            if !record.track[start..<(start + length)].contains(where: { abs($0) >= Simulation.audibleSample }) {
                silentConcealed += length
            }
        }
        return GetStatsReport(
            concealedSamples: s.concealedSamples, silentConcealedSamples: silentConcealed,
            concealmentEvents: s.concealmentEvents, insertedSamplesForDeceleration: s.insertedSamplesForDeceleration,
            removedSamplesForAcceleration: s.removedSamplesForAcceleration, jitterBufferDelay: s.jitterBufferDelay,
            jitterBufferTargetDelay: s.jitterBufferTargetDelay, jitterBufferEmittedCount: s.jitterBufferEmittedCount,
            totalSamplesReceived: s.totalSamplesReceived,
            fecPacketsReceived: F > 0 ? s.fecRecoveredSamples / F : 0, packetsDiscarded: s.packetsDiscarded)
    }
}
