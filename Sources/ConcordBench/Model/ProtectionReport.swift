import Concord

/// How each talker protected its voice against loss when it adapted to its listeners' reports
/// (report.json `protection`; absent when the scenario's protection is fixed).
public struct ProtectionReport: Codable, Sendable, Equatable {
    /// The copies' bitrate, bits per second.
    public var copyBitrate: Int
    public var talkers: [Talker]

    public struct Talker: Codable, Sendable, Equatable {
        public var name: String
        /// Every change, in order.
        public var changes: [Change]
        /// Seconds of the run spent at each setting ("none", "FEC 10 %", "1 copy", "2 copies").
        public var secondsAt: [String: Double]
        /// After each change of a link from this talker: how long the protection took to settle.
        public var settling: [Settling]

        enum CodingKeys: String, CodingKey {
            case name, changes, settling
            case secondsAt = "seconds_at"
        }
    }

    public struct Change: Codable, Sendable, Equatable {
        public var atSeconds: Double
        public var from: String
        public var to: String

        enum CodingKeys: String, CodingKey {
            case from, to
            case atSeconds = "at_seconds"
        }
    }

    /// One change of a path (a `set_link` event from the talker) and what the protection did
    /// until the next change of that talker's links or the end of the run.
    public struct Settling: Codable, Sendable, Equatable {
        public var pathChangeAtSeconds: Double
        /// The link(s) that changed: "a → b".
        public var links: String
        /// The setting before the change, and the one the protection held at the end of the span.
        public var before: String
        public var after: String
        /// Changes of the protection in the span.
        public var changes: Int
        /// The last change in the span minus the path change; nil when nothing changed.
        public var settleSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case links, before, after, changes
            case pathChangeAtSeconds = "path_change_at_seconds"
            case settleSeconds = "settle_seconds"
        }
    }

    enum CodingKeys: String, CodingKey {
        case talkers
        case copyBitrate = "copy_bitrate"
    }
}

extension ProtectionReport {
    /// The report of a run whose talkers adapted: `changes[t]` are talker t's.
    static func make(
        scenario s: ResolvedScenario, changes: [[VoiceClient.ProtectionChange]], runSeconds: Double
    ) -> ProtectionReport {
        let names = s.participants.map(\.name)
        var talkers: [Talker] = []
        for (t, participant) in s.participants.enumerated() where participant.wavPath != nil {
            let mine = changes[t]
            let list = mine.map { Change(atSeconds: $0.at.seconds, from: "\($0.from)", to: "\($0.to)") }
            // Time at each setting: from each change to the next, starting at none.
            var secondsAt: [String: Double] = [:]
            var setting = ProtectionPolicy.Setting()
            var since = 0.0
            for c in mine {
                secondsAt["\(setting)", default: 0] += max(0, c.at.seconds - since)
                setting = c.to
                since = c.at.seconds
            }
            secondsAt["\(setting)", default: 0] += max(0, runSeconds - since)

            // Path changes from this talker, grouped by time (both directions, several links).
            var pathChanges: [(at: Double, links: [String])] = []
            for case let .setLink(at, from, to, _) in s.events where from == t {
                let link = "\(names[from]) → \(names[to])"
                if let last = pathChanges.last, last.at == at {
                    pathChanges[pathChanges.count - 1].links.append(link)
                } else {
                    pathChanges.append((at, [link]))
                }
            }
            pathChanges.sort { $0.at < $1.at }
            let settling = pathChanges.enumerated().map { k, change in
                let end = k + 1 < pathChanges.count ? pathChanges[k + 1].at : runSeconds
                let span = mine.filter { $0.at.seconds >= change.at && $0.at.seconds < end }
                let before = mine.last { $0.at.seconds < change.at }?.to ?? ProtectionPolicy.Setting()
                return Settling(
                    pathChangeAtSeconds: change.at, links: change.links.joined(separator: ", "), before: "\(before)",
                    after: "\(span.last?.to ?? before)", changes: span.count,
                    settleSeconds: span.last.map { $0.at.seconds - change.at })
            }
            talkers.append(Talker(name: participant.name, changes: list, secondsAt: secondsAt, settling: settling))
        }
        return ProtectionReport(
            copyBitrate: s.copyBitrate ?? ProtectionPolicy.copyBitrate(forPrimary: s.codec.bitrate), talkers: talkers)
    }
}
