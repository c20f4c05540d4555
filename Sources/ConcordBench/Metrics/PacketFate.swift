import Concord

/// What became of each packet a talker sent to one listener, decided from the recorded arrivals
/// and the listener's playout events. This is the per-packet sequence behind the RFC 3611
/// burst/gap metrics and the "lost"/"late" marks on the report's timeline.
///
/// Definitions (exact, so that the figures can be checked by hand):
/// * **lost** — no datagram with this sequence number ever reached the listener (including
///   packets still in flight when the run ended);
/// * **discarded** — it arrived, but the listener never played it *from this packet*: no
///   playout event decoded its timestamp (`.decoded`, or either frame of an `.accelerated`
///   merge), while playout did move past it (some event carries a timestamp ≥ its own). This is
///   RFC 3611's "discarded" — mostly packets that arrived after their frame had been concealed,
///   recovered from FEC/redundancy or skipped by a resynchronisation (the jitter buffer's
///   `packetsDiscardedLate`), plus the rare overflow drop;
/// * **played** — everything else: played, or arrived but not yet due when the run ended
///   (neither lost nor late, so it must not count against the path).
public enum PacketFate: String, Sendable, Equatable, CaseIterable {
    case played
    case lost
    case discarded

    /// One sent packet and its fate.
    public struct Entry: Sendable, Equatable {
        public var sequence: Int64
        public var timestamp: Int64
        public var sendTime: Instant
        public var fate: PacketFate
    }

    /// The fate of every sent packet, in sequence-number order (duplicates of a sequence number
    /// in `sent` are kept once).
    public static func classify(_ record: StreamRecord) -> [Entry] {
        let arrived = Set(record.arrivals.map(\.sequence))
        var played = Set<Int64>()
        var furthest: Int64?
        for event in record.playout {
            guard let timestamp = event.timestamp else { continue }
            furthest = Swift.max(furthest ?? timestamp, timestamp)
            switch event.outcome {
            case .decoded:
                played.insert(timestamp)
            case .accelerated:
                // A merge plays two consecutive frames; the event carries the later one.
                played.insert(timestamp)
                played.insert(timestamp - Int64(record.frameSamples))
            case .recoveredFEC, .recoveredRedundancy, .concealed, .silence, .decelerated:
                break
            }
        }
        var seen = Set<Int64>()
        var entries: [Entry] = []
        entries.reserveCapacity(record.sent.count)
        for packet in record.sent.sorted(by: { $0.sequence < $1.sequence }) where seen.insert(packet.sequence).inserted {
            let fate: PacketFate
            if !arrived.contains(packet.sequence) {
                fate = .lost
            } else if !played.contains(packet.timestamp), let furthest, packet.timestamp <= furthest {
                fate = .discarded
            } else {
                fate = .played
            }
            entries.append(Entry(sequence: packet.sequence, timestamp: packet.timestamp, sendTime: packet.sendTime, fate: fate))
        }
        return entries
    }
}
