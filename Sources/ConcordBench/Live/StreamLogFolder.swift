import AudioFiles
import Concord
import Foundation

/// A client's `concord join --stream-log` folder, read back (the format is `StreamLog`'s, in
/// ConcordLive): what it sent, received and played of each voice stream, on `CLOCK_MONOTONIC`.
///
/// The reader is total: a line that does not parse (the last one of a killed client may be cut
/// short) is counted in `malformedLines` and skipped; a missing CSV file is an error naming it,
/// a missing `statistics.json` or `room.csv` an empty one (a client killed before its first flush).
public struct StreamLogFolder: Sendable {
    public struct Packet: Sendable, Equatable {
        public var peer: String
        public var sequence: UInt16
        public var timestamp: UInt32
        public var nanoseconds: Int64
        public var bytes: Int
    }

    public struct Played: Sendable, Equatable {
        public var peer: String
        public var nanoseconds: Int64
        public var timestamp: UInt32?
        public var outcome: PlayoutOutcome
        public var bufferDelayMilliseconds: Double?
        public var targetDelayMilliseconds: Double
        public var stretchedSamples: Int
        /// A shortened concealment's samples; nil for a whole frame.
        public var samples: Int? = nil
    }

    public struct ViewChange: Sendable, Equatable {
        public var nanoseconds: Int64
        /// The members, this client included; empty once it has left.
        public var members: [String]
    }

    public struct Stall: Sendable, Equatable {
        public var nanoseconds: Int64
        /// How late the tick came, ms.
        public var milliseconds: Double
    }

    public struct Failure: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public var directory: String
    /// `sent.csv`, one line per destination.
    public var sent: [Packet]
    public var arrivals: [Packet]
    public var playout: [Played]
    /// The engine's first pull: sample 0 of the tracks.
    public var firstTickNanoseconds: Int64?
    /// The media timestamp of the microphone's first sample.
    public var firstSampleTimestamp: UInt32?
    public var views: [ViewChange]
    /// Ticks of the client's engine that came more than a device pull late, in order.
    public var stalls: [Stall] = []
    public var longestStallMilliseconds: Double { stalls.map(\.milliseconds).max() ?? 0 }
    /// The room protocol's and text messages' bytes sent, at the last flush.
    public var controlBytesSent = 0
    /// Per peer, one entry per receiver the client had for it, the last one current.
    public var statistics: [String: [JitterBufferStatistics]]
    public var malformedLines = 0

    public init(directory: String) throws(Failure) {
        self.directory = directory
        var malformed = 0
        func lines(_ name: String, required: Bool = true) throws(Failure) -> [[Substring]] {
            let path = directory + "/" + name
            guard let data = FileManager.default.contents(atPath: path) else {
                if required { throw Failure(path: path, reason: "missing or unreadable") }
                return []
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst().map {
                $0.split(separator: ",", omittingEmptySubsequences: false)
            }
        }
        func packets(_ name: String) throws(Failure) -> [Packet] {
            try lines(name).compactMap { f in
                guard f.count == 5, let sequence = UInt16(f[1]), let timestamp = UInt32(f[2]), let ns = Int64(f[3]),
                    let bytes = Int(f[4])
                else {
                    malformed += 1
                    return nil
                }
                return Packet(peer: String(f[0]), sequence: sequence, timestamp: timestamp, nanoseconds: ns, bytes: bytes)
            }
        }
        sent = try packets(StreamLogFiles.sent)
        arrivals = try packets(StreamLogFiles.arrivals)
        playout = try lines(StreamLogFiles.playout).compactMap { f in
            guard f.count == 8, let ns = Int64(f[1]), f[2].isEmpty || UInt32(f[2]) != nil,
                let outcome = PlayoutOutcome(rawValue: String(f[3])), f[4].isEmpty || Double(f[4]) != nil,
                let target = Double(f[5]), let stretched = Int(f[6]), f[7].isEmpty || Int(f[7]).map({ $0 > 0 }) == true
            else {
                malformed += 1
                return nil
            }
            return Played(
                peer: String(f[0]), nanoseconds: ns, timestamp: UInt32(f[2]), outcome: outcome, bufferDelayMilliseconds: Double(f[4]),
                targetDelayMilliseconds: target, stretchedSamples: stretched, samples: Int(f[7]))
        }
        var views: [ViewChange] = []
        var stalls: [Stall] = []
        for f in try lines(StreamLogFiles.room, required: false) {
            guard f.count == 3, let ns = Int64(f[0]) else {
                malformed += 1
                continue
            }
            switch f[1] {
            case "first_tick": firstTickNanoseconds = firstTickNanoseconds ?? ns
            case "first_sample":
                guard let timestamp = UInt32(f[2]) else {
                    malformed += 1
                    continue
                }
                firstSampleTimestamp = firstSampleTimestamp ?? timestamp
            case "control_bytes":
                guard let bytes = Int(f[2]) else {
                    malformed += 1
                    continue
                }
                controlBytesSent = max(controlBytesSent, bytes)
            case "stall":
                guard let ms = Double(f[2]), ms.isFinite, ms >= 0 else {
                    malformed += 1
                    continue
                }
                stalls.append(Stall(nanoseconds: ns, milliseconds: ms))
            case "view": views.append(ViewChange(nanoseconds: ns, members: f[2].split(separator: " ").map(String.init)))
            default: malformed += 1
            }
        }
        self.views = views
        self.stalls = stalls
        let statisticsPath = directory + "/" + StreamLogFiles.statistics
        if let data = FileManager.default.contents(atPath: statisticsPath) {
            do {
                statistics = try JSONDecoder().decode([String: [JitterBufferStatistics]].self, from: data)
            } catch {
                throw Failure(path: statisticsPath, reason: "not the stream log's statistics: \(error)")
            }
        } else {
            statistics = [:]
        }
        malformedLines = malformed
    }

    /// What the client played of `peer` before mixing, sample 0 at its first tick; nil when the
    /// file is missing or unreadable (a client killed mid-call never finalizes its tracks).
    public func track(of peer: String) -> [Float]? {
        try? WAVReader.readMono48k(path: directory + "/" + StreamLogFiles.track(of: peer))
    }

    /// The peer's counters over every receiver the client had for it.
    public func statistics(of peer: String) -> JitterBufferStatistics? {
        guard let all = statistics[peer], let first = all.first else { return nil }
        return all.dropFirst().reduce(first) { $0.adding($1) }
    }
}
