import Foundation

/// `timeseries.csv` and `timeseries.json`: every stream second by second (`StreamSeconds`), for
/// notebooks. The CSV is long-form (one row per stream and second, columns named as the JSON's
/// arrays); the JSON holds one object of parallel arrays per stream, and the scenario's events.
public enum TimeSeriesFiles {
    public static let columns = [
        "from", "to", "second", "concealment", "latency_ms", "target_delay_ms", "stretch_ms", "one_way_delay_ms", "loss",
        "queue_ms", "packets_sent",
    ]

    public static func csv(_ timelines: [StreamTimeline]) -> String {
        var lines = [columns.joined(separator: ",")]
        func cell(_ value: Double?) -> String { value.map { ReportCSV.cell(.double($0)) } ?? "" }
        for t in timelines {
            let s = t.seconds
            for k in 0..<s.count {
                let cells = [
                    ReportCSV.field(t.from), ReportCSV.field(t.to), String(k), cell(s.concealment[k]), cell(s.latencyMs[k]),
                    cell(s.targetDelayMs[k]), cell(s.stretchMs[k]), cell(s.oneWayDelayMs[k]), cell(s.loss[k]), cell(s.queueMs[k]), String(s.packetsSent[k]),
                ]
                lines.append(cells.joined(separator: ","))
            }
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    public struct Document: Codable, Sendable, Equatable {
        public struct Stream: Codable, Sendable, Equatable {
            public var from: String
            public var to: String
            public var steadyStateFromSeconds: Double?
            public var seconds: StreamSeconds

            enum CodingKeys: String, CodingKey {
                case from, to, seconds
                case steadyStateFromSeconds = "steady_state_from_seconds"
            }

            public func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(from, forKey: .from)
                try c.encode(to, forKey: .to)
                try c.encode(steadyStateFromSeconds, forKey: .steadyStateFromSeconds)
                try c.encode(seconds, forKey: .seconds)
            }
        }
        public var streams: [Stream]
        public var scenarioEvents: [ScenarioEventReport]

        enum CodingKeys: String, CodingKey {
            case streams
            case scenarioEvents = "scenario_events"
        }
    }

    public static func json(_ timelines: [StreamTimeline], events: [ScenarioEventReport]) throws -> Data {
        let document = Document(
            streams: timelines.map { .init(from: $0.from, to: $0.to, steadyStateFromSeconds: $0.steadyFromSeconds, seconds: $0.seconds) },
            scenarioEvents: events)
        return try ReportJSON.encodeSanitized(document).data
    }
}
