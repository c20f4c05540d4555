import Concord
import Foundation

/// A live run's stream logs as the bench's `StreamRecord`s, so that the same analysis measures
/// real clients and simulated ones.
///
/// Time base: the run's origin (the relay's time 0) is time 0, as a simulation's start is.
/// Media timestamps are unwrapped against the talker's first microphone sample (timestamp 0 of
/// the record is that sample), sequence numbers against the first the talker sent the listener.
enum LiveRecords {
    /// One participant's side of a live run.
    struct Participant {
        var name: String
        /// nil: its process never started (or left no log).
        var log: StreamLogFolder?
        /// What its microphone file holds.
        var microphone: [Float]
        /// Where the file's first sample lies on the run's clock (the `--input-wav-start-ns` the
        /// client was given, from the origin); nil: at the talker's first media timestamp. A
        /// client laid on the clock skips the frames already past when it starts, so its first
        /// timestamp is a later sample of the file, and only the file's own start places it right.
        var microphoneStartNanoseconds: Int64? = nil
    }

    /// Every directed stream the logs show anything of (a packet sent, received or a frame
    /// played), talker-major as a simulation orders them.
    static func build(
        _ participants: [Participant], originNanoseconds: Int64, frameSamples: Int, lookaheadSamples: Int, totalSamples: Int
    ) -> [StreamRecord] {
        let rate = Double(AudioFormat.sampleRate)
        let frameNanoseconds = Int64(frameSamples) * 1_000_000_000 / Int64(AudioFormat.sampleRate)
        var records: [StreamRecord] = []
        for talker in participants {
            guard let talkerLog = talker.log else { continue }
            let base = talkerLog.firstSampleTimestamp ?? talkerLog.sent.first?.timestamp ?? 0
            func unwrap(_ timestamp: UInt32) -> Int64 { Int64(Int32(bitPattern: timestamp &- base)) }
            // Sample `ts` of a frame encoded at `t` was spoken at t − frame + ts offset within the
            // frame; the median over every packet sent is the talker's mouth clock.
            let mouthOffsets = talkerLog.sent.map { row -> Double in
                Double(row.nanoseconds - originNanoseconds - frameNanoseconds) - Double(unwrap(row.timestamp)) * 1e9 / rate
            }.sorted()
            let mouthOfZero: Int64
            if !mouthOffsets.isEmpty {
                mouthOfZero = Int64(mouthOffsets[mouthOffsets.count / 2].rounded())
            } else if let tick = talkerLog.firstTickNanoseconds {
                // The first pull had just been filled from the microphone.
                let pull = Int64(Concord.Participant.pullSamples(frameSamples: frameSamples))
                mouthOfZero = tick - originNanoseconds - pull * 1_000_000_000 / Int64(AudioFormat.sampleRate)
            } else {
                continue
            }
            let source = place(
                talker.microphone, atNanoseconds: talker.microphoneStartNanoseconds ?? mouthOfZero, totalSamples: totalSamples)
            for listener in participants where listener.name != talker.name {
                let sentRows = talkerLog.sent.filter { $0.peer == listener.name }
                let arrivalRows = listener.log?.arrivals.filter { $0.peer == talker.name } ?? []
                let playedRows = listener.log?.playout.filter { $0.peer == talker.name } ?? []
                guard !sentRows.isEmpty || !arrivalRows.isEmpty || !playedRows.isEmpty else { continue }
                let reference = sentRows.first?.sequence ?? arrivalRows.first?.sequence ?? 0
                // Both sides unwrapped alike, sequences from the first the talker sent this listener.
                func unwrapped(_ rows: [StreamLogFolder.Packet]) -> [(sequence: Int64, timestamp: Int64, at: Instant, bytes: Int)] {
                    var sequences = SequenceUnwrapper<UInt16>()
                    _ = sequences.unwrap(reference)
                    return rows.map {
                        let at = Instant(nanoseconds: $0.nanoseconds - originNanoseconds)
                        return (sequences.unwrap($0.sequence), unwrap($0.timestamp), at, $0.bytes)
                    }
                }
                let sent = unwrapped(sentRows).map {
                    SentPacketRecord(sequence: $0.sequence, timestamp: $0.timestamp, sendTime: $0.at, bytes: $0.bytes)
                }
                let arrivals = unwrapped(arrivalRows).map {
                    ArrivalRecord(sequence: $0.sequence, timestamp: $0.timestamp, arrivalTime: $0.at, bytes: $0.bytes)
                }
                let playout = playedRows.map { row -> PlayoutEvent in
                    var event = PlayoutEvent(
                        playoutTime: Instant(nanoseconds: row.nanoseconds - originNanoseconds), timestamp: row.timestamp.map(unwrap),
                        outcome: row.outcome, bufferDelayMilliseconds: row.bufferDelayMilliseconds,
                        targetDelayMilliseconds: row.targetDelayMilliseconds)
                    event.stretchedSamples = row.stretchedSamples
                    event.samples = row.samples
                    return event
                }
                var track = [Float](repeating: 0, count: totalSamples)
                if let log = listener.log, let tick = log.firstTickNanoseconds, let played = log.track(of: talker.name) {
                    track = place(played, atNanoseconds: tick - originNanoseconds, totalSamples: totalSamples)
                }
                records.append(
                    StreamRecord(
                        from: talker.name, to: listener.name, frameSamples: frameSamples, lookaheadSamples: lookaheadSamples,
                        mouthTimeOfTimestampZero: Instant(nanoseconds: mouthOfZero), sent: sent, arrivals: arrivals,
                        playout: playout, jitterBuffer: listener.log?.statistics(of: talker.name) ?? JitterBufferStatistics(),
                        source: source, track: track))
            }
        }
        return records
    }

    /// `signal` on the run's time line, its first sample at `nanoseconds`, cut to `totalSamples`.
    static func place(_ signal: [Float], atNanoseconds nanoseconds: Int64, totalSamples: Int) -> [Float] {
        var out = [Float](repeating: 0, count: totalSamples)
        let start = Int((Double(nanoseconds) * Double(AudioFormat.sampleRate) / 1e9).rounded())
        for (i, sample) in signal.enumerated() {
            let j = start + i
            if j >= totalSamples { break }
            if j >= 0 { out[j] = sample }
        }
        return out
    }
}
