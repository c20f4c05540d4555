#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import AudioFiles
import Concord
import Foundation
import Synchronization

/// `concord join --stream-log DIR`: what this client sent, received and played of every voice
/// stream, frame by frame, on the monotonic clock — the raw material the bench measures a
/// simulated stream with, so that a live run through the relay is measured the same way.
///
/// Four CSV files with a header line; `peer` is the other member's client id, sequence numbers
/// and timestamps are the wire's (16 and 32 bits, wrapping), times are `CLOCK_MONOTONIC`
/// nanoseconds (one clock for every process on the machine):
/// - `sent.csv`: `peer,sequence,timestamp,sent_ns,bytes` — each voice datagram, per destination,
///   when the engine encoded it (its frame's last sample had just been captured); `bytes` is its
///   size on the wire;
/// - `arrivals.csv`: `peer,sequence,timestamp,arrived_ns,bytes` — each voice datagram as it
///   arrived, before it was opened (duplicates and forgeries included);
/// - `playout.csv`: `peer,played_ns,timestamp,outcome,buffer_delay_ms,target_ms,stretched_samples,samples`
///   (`samples` empty for a whole frame; otherwise a shortened concealment's length, or a
///   step of concealment while waiting — a row per step)
///   — each frame the jitter buffer played (`PlayoutEvent`: a concealed frame carries the
///   timestamp of the frame it stands for, silence none).
///
/// - `room.csv`: `at_ns,event,value` — `first_tick` (the engine's first pull: sample 0 of the
///   tracks, and of the microphone, which it had just filled), `first_sample` with the media
///   timestamp of the microphone's first sample (frames encoded before anybody was there to send
///   them to count), and `view` with the room's members (this client included,
///   space-separated) at each change of its view, and `control_bytes` with the room protocol's
///   and text messages' bytes sent so far, at each flush when it has grown, and `stall` with how
///   late (ms) each tick was that came more than a device pull late (`EngineTiming`).
///
/// Beside them, `track-PEER.wav` holds what this client played of each peer before mixing
/// (48 kHz mono, sample 0 at the engine's first tick, silence while the peer had no receiver),
/// and `statistics.json` each peer's jitter-buffer counters (`JitterBufferStatistics`, a list per
/// peer: one per receiver it had, the last one current).
///
/// Lines and statistics are written at least every quarter second (`flush`), so a client killed
/// mid-call leaves all but its last moments (its tracks, whose WAV headers are written when it
/// leaves, do not survive a kill). Called on the engine thread only; the files are written on a
/// queue of their own (`writer`).
final class StreamLog {
    enum Failure: Error, CustomStringConvertible {
        case cannotCreate(path: String, reason: String)
        var description: String {
            switch self {
            case let .cannotCreate(path, reason): "Cannot write --stream-log \(path): \(reason)."
            }
        }
    }

    /// One CSV file: lines gather in `pending` on the engine thread, and `flush` hands them to
    /// the writer queue.
    private final class File {
        let descriptor: Int32
        var pending: [UInt8] = []

        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }

        /// Writes `bytes` whole to `descriptor`; `false` if the system refused.
        static func write(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
            bytes.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
        }
    }

    /// What the writer queue owns: the tracks' WAV writers (used on it only) and whether a write
    /// failed (read anywhere).
    private final class Output: @unchecked Sendable {
        var tracks: [String: WAVWriter] = [:]
        let failed = Atomic<Bool>(false)
    }

    let directory: String
    private let sent: File
    private let arrivals: File
    private let playout: File
    private let room: File
    private let frameSamples: Int
    /// Frames encoded before the first one with a timestamp (the encoder suppressed them).
    private var framesBeforeFirstTimestamp: Int? = 0
    /// Every file is written on this serial queue, never on the engine thread: in a live run of
    /// eight clients, writeback on a busy disk blocked `write` for up to 1.4 s, and every
    /// client's engine with it, at once. The engine thread only formats lines and hands over
    /// buffers (what a stalled disk holds back waits in memory).
    private let writer = DispatchQueue(label: "concord.stream-log")
    private let output = Output()
    var writeFailed: Bool { output.failed.load(ordering: .relaxed) }
    /// Samples handed to each track's writer so far.
    private var trackSamples: [String: Int] = [:]
    private var retiredStatistics: [String: [JitterBufferStatistics]] = [:]
    private var currentStatistics: [String: JitterBufferStatistics] = [:]

    /// Creates `directory` (if needed) and the four CSV files, each with its header.
    init(directory: String, frameSamples: Int) throws(Failure) {
        self.directory = directory
        self.frameSamples = frameSamples
        if mkdir(directory, 0o755) != 0 && errno != EEXIST {
            throw .cannotCreate(path: directory, reason: String(cString: strerror(errno)))
        }
        func create(_ name: String, _ header: String) throws(Failure) -> File {
            let path = directory + "/" + name
            let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else { throw .cannotCreate(path: path, reason: String(cString: strerror(errno))) }
            let file = File(descriptor: fd)
            file.pending.append(contentsOf: (header + "\n").utf8)
            return file
        }
        sent = try create(StreamLogFiles.sent, "peer,sequence,timestamp,sent_ns,bytes")
        arrivals = try create(StreamLogFiles.arrivals, "peer,sequence,timestamp,arrived_ns,bytes")
        playout = try create(StreamLogFiles.playout, "peer,played_ns,timestamp,outcome,buffer_delay_ms,target_ms,stretched_samples,samples")
        room = try create(StreamLogFiles.room, "at_ns,event,value")
        flush()
    }

    deinit { finish() }

    func noteFirstTick(at now: Instant) {
        Self.append(room, "\(now.nanoseconds),first_tick,\n")
    }

    private var controlBytesNoted = 0

    func noteControlBytes(_ bytes: Int, at now: Instant) {
        guard bytes > controlBytesNoted else { return }
        controlBytesNoted = bytes
        Self.append(room, "\(now.nanoseconds),control_bytes,\(bytes)\n")
    }

    func noteStall(milliseconds: Double, at now: Instant) {
        Self.append(room, "\(now.nanoseconds),stall,\(String(format: "%.3f", milliseconds))\n")
    }

    func noteView(_ members: [String], at now: Instant) {
        Self.append(room, "\(now.nanoseconds),view,\(members.joined(separator: " "))\n")
    }

    func noteSent(_ frame: VoiceClient.EncodedFrame, at now: Instant, names: (PeerID) -> String?) {
        if let before = framesBeforeFirstTimestamp {
            if frame.bytes == nil {
                framesBeforeFirstTimestamp = before + 1
            } else {
                framesBeforeFirstTimestamp = nil
                let first = frame.timestamp &- UInt32(truncatingIfNeeded: before * frameSamples)
                Self.append(room, "\(now.nanoseconds),first_sample,\(first)\n")
            }
        }
        guard frame.bytes != nil else { return }
        for destination in frame.destinations {
            guard let peer = names(destination.peer) else { continue }
            Self.append(sent, "\(peer),\(frame.sequenceNumber),\(frame.timestamp),\(now.nanoseconds),\(destination.wireBytes)\n")
        }
    }

    func noteArrival(_ arrival: VoiceClient.VoiceArrival, peer: String) {
        Self.append(
            arrivals, "\(peer),\(arrival.sequenceNumber),\(arrival.timestamp),\(arrival.at.nanoseconds),\(arrival.bytes)\n")
    }

    func notePlayout(_ events: [PlayoutEvent], peer: String) {
        for e in events {
            let timestamp = e.timestamp.map { "\($0)" } ?? ""
            let delay = e.bufferDelayMilliseconds.map { Self.decimal($0) } ?? ""
            Self.append(
                playout,
                "\(peer),\(e.playoutTime.nanoseconds),\(timestamp),\(e.outcome.rawValue),\(delay),"
                    + "\(Self.decimal(e.targetDelayMilliseconds)),\(e.stretchedSamples),\(e.samples.map { "\($0)" } ?? "")\n")
        }
    }

    /// What this client played of `peer` in the pull that began `position` samples after its
    /// first tick.
    func notePlayedAudio(_ samples: [Float], peer: String, at position: Int) {
        guard !writeFailed else { return }
        let written = trackSamples[peer] ?? 0
        trackSamples[peer] = max(written, position) + samples.count
        let path = directory + "/" + StreamLogFiles.track(of: peer)
        let output = self.output
        writer.async {
            do {
                let writer: WAVWriter
                if let open = output.tracks[peer] {
                    writer = open
                } else {
                    writer = try WAVWriter(path: path, sampleRate: AudioFormat.sampleRate, channels: 1)
                    output.tracks[peer] = writer
                }
                if written < position { try writer.write([Float](repeating: 0, count: position - written)) }
                try writer.write(samples)
            } catch {
                output.failed.store(true, ordering: .relaxed)
            }
        }
    }

    /// The jitter-buffer counters of `peer`'s receiver now (`retired`: a receiver released, whose
    /// counters are final).
    func noteStatistics(_ statistics: JitterBufferStatistics, peer: String, retired: Bool = false) {
        if retired {
            retiredStatistics[peer, default: []].append(statistics)
            currentStatistics[peer] = nil
        } else {
            currentStatistics[peer] = statistics
        }
    }

    /// Flushes, finalizes the tracks and waits for the writes (the client is leaving).
    func finish() {
        flush()
        let output = self.output
        writer.sync {
            for (_, track) in output.tracks { try? track.close() }
            output.tracks.removeAll()
        }
    }

    /// Hands what is buffered to the writer queue; after a failed write (a full disk) logging stops.
    func flush() {
        if writeFailed {
            for file in [sent, arrivals, playout, room] { file.pending.removeAll(keepingCapacity: true) }
            return
        }
        let statistics = statisticsJSON()
        let buffers = [sent, arrivals, playout, room].compactMap { file -> (Int32, [UInt8])? in
            guard !file.pending.isEmpty else { return nil }
            defer { file.pending.removeAll(keepingCapacity: true) }
            return (file.descriptor, file.pending)
        }
        let (output, path) = (self.output, directory + "/" + StreamLogFiles.statistics)
        writer.async {
            for (descriptor, bytes) in buffers where !File.write(bytes, to: descriptor) {
                output.failed.store(true, ordering: .relaxed)
            }
            // Replaced whole: written beside it, then renamed.
            guard let statistics else { return }
            do {
                try statistics.write(to: URL(fileURLWithPath: path + ".new"))
                if rename(path + ".new", path) != 0 { output.failed.store(true, ordering: .relaxed) }
            } catch {
                output.failed.store(true, ordering: .relaxed)
            }
        }
    }

    /// statistics.json's contents; nil before any peer had a receiver.
    private func statisticsJSON() -> Data? {
        var all = retiredStatistics
        for (peer, current) in currentStatistics { all[peer, default: []].append(current) }
        guard !all.isEmpty else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try? encoder.encode(all)
    }

    private static func append(_ file: File, _ line: String) {
        file.pending.append(contentsOf: line.utf8)
    }

    private static func decimal(_ value: Double) -> String {
        value.isFinite ? "\((value * 1000).rounded() / 1000)" : ""
    }
}
