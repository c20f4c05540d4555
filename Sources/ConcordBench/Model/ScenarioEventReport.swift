/// One thing the scenario made happen (a join, leave, crash, partition, heal or link change),
/// marked on every timeline of the HTML report and listed in `report.json`.
public struct ScenarioEventReport: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case join, leave, crash, partition, heal
        case linkChange = "link_change"
    }
    public var atSeconds: Double
    public var kind: Kind
    /// Who or what: a participant's name, the partition's groups, a link's ends.
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case atSeconds = "at_seconds"
        case kind, detail
    }

    public init(atSeconds: Double, kind: Kind, detail: String) {
        self.atSeconds = atSeconds
        self.kind = kind
        self.detail = detail
    }
}

extension ScenarioEventReport {
    /// What `scenario` schedules, in time order (joins at time 0 are the start, not an event).
    public static func list(for scenario: ResolvedScenario) -> [ScenarioEventReport] {
        let names = scenario.participants.map(\.name)
        func name(_ i: Int) -> String { names.indices.contains(i) ? names[i] : "#\(i)" }
        var events: [ScenarioEventReport] = []
        if scenario.roomID != nil {
            for p in scenario.participants {
                if p.joinSeconds > 0 { events.append(.init(atSeconds: p.joinSeconds, kind: .join, detail: p.name)) }
                if let at = p.leaveSeconds { events.append(.init(atSeconds: at, kind: .leave, detail: p.name)) }
                if let at = p.crashSeconds { events.append(.init(atSeconds: at, kind: .crash, detail: p.name)) }
            }
        }
        for event in scenario.events {
            switch event {
            case let .partition(at, groups):
                let detail = groups.map { $0.map(name).joined(separator: ",") }.joined(separator: " | ")
                events.append(.init(atSeconds: at, kind: .partition, detail: detail))
            case let .heal(at):
                events.append(.init(atSeconds: at, kind: .heal, detail: "every link"))
            case let .setLink(at, from, to, _):
                events.append(.init(atSeconds: at, kind: .linkChange, detail: "\(name(from)) → \(name(to))"))
            }
        }
        // Stable: events at one instant keep the scenario's order.
        return events.enumerated().sorted { ($0.element.atSeconds, $0.offset) < ($1.element.atSeconds, $1.offset) }.map(\.element)
    }
}
