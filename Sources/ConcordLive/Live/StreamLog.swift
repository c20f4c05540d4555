#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord

/// `concord join --stream-log DIR`: what this client sent, received and played of every voice
/// stream, frame by frame, on the monotonic clock — the raw material the bench measures a
/// simulated stream with, so that a live run through the relay is measured the same way.
///
/// Three CSV files with a header line; `peer` is the other member's client id, sequence numbers
/// and timestamps are the wire's (16 and 32 bits, wrapping), times are `CLOCK_MONOTONIC`
/// nanoseconds (one clock for every process on the machine):
/// - `sent.csv`: `peer,sequence,timestamp,sent_ns,bytes` — each voice datagram, per destination,
///   when the engine encoded it (its frame's last sample had just been captured); `bytes` is its
///   size on the wire;
/// - `arrivals.csv`: `peer,sequence,timestamp,arrived_ns,bytes` — each voice datagram as it
///   arrived, before it was opened (duplicates and forgeries included);
/// - `playout.csv`: `peer,played_ns,timestamp,outcome,buffer_delay_ms,target_ms,stretched_samples`
///   — each frame the jitter buffer played (`PlayoutEvent`; an empty timestamp for concealment
///   and silence).
///
/// Lines are buffered and written at least every quarter second (`flush`), so a client killed
/// mid-call leaves all but its last moments. Confined to the engine thread.
final class StreamLog {
    enum Failure: Error, CustomStringConvertible {
        case cannotCreate(path: String, reason: String)
        var description: String {
            switch self {
            case let .cannotCreate(path, reason): "Cannot write --stream-log \(path): \(reason)."
            }
        }
    }

    private final class File {
        let descriptor: Int32
        var pending: [UInt8] = []

        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }

        /// Writes `pending` whole; `false` if the system refused.
        func writePending() -> Bool {
            defer { pending.removeAll(keepingCapacity: true) }
            return pending.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let n = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if n <= 0 { return false }
                    offset += n
                }
                return true
            }
        }
    }

    let directory: String
    private let sent: File
    private let arrivals: File
    private let playout: File
    private(set) var writeFailed = false

    /// Creates `directory` (if needed) and the three files, each with its header.
    init(directory: String) throws(Failure) {
        self.directory = directory
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
        sent = try create("sent.csv", "peer,sequence,timestamp,sent_ns,bytes")
        arrivals = try create("arrivals.csv", "peer,sequence,timestamp,arrived_ns,bytes")
        playout = try create("playout.csv", "peer,played_ns,timestamp,outcome,buffer_delay_ms,target_ms,stretched_samples")
        flush()
    }

    deinit { flush() }

    func noteSent(_ frame: VoiceClient.EncodedFrame, at now: Instant, names: (PeerID) -> String?) {
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
                    + "\(Self.decimal(e.targetDelayMilliseconds)),\(e.stretchedSamples)\n")
        }
    }

    /// Writes what is buffered; a failed write (a full disk) is remembered, and logging stops.
    func flush() {
        for file in [sent, arrivals, playout] where !file.pending.isEmpty {
            if writeFailed {
                file.pending.removeAll(keepingCapacity: true)
            } else if !file.writePending() {
                writeFailed = true
            }
        }
    }

    private static func append(_ file: File, _ line: String) {
        file.pending.append(contentsOf: line.utf8)
    }

    private static func decimal(_ value: Double) -> String {
        value.isFinite ? "\((value * 1000).rounded() / 1000)" : ""
    }
}
