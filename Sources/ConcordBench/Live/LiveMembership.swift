import Concord

/// A live run's `MembershipReport`, from the views each client logged, measured as `RoomDriver`
/// measures a simulated room: after each event, the first instant at which every live client
/// that has joined is a member and its view holds exactly the live clients it can reach (the
/// scenario's partition in force decides reachability).
enum LiveMembership {
    struct Participant {
        var name: String
        /// When its process started, its join (ns from the origin); nil if it never did.
        var startedAt: Int64?
        /// When it was told to leave or was killed (ns from the origin).
        var leftAt: Int64?
        var crashed: Bool
        var log: StreamLogFolder?
    }

    static func report(
        _ participants: [Participant], scenario: ResolvedScenario, originNanoseconds: Int64, endNanoseconds: Int64
    ) -> MembershipReport {
        var pending: [(event: String, at: Int64)] = []
        for p in participants {
            if let at = p.startedAt { pending.append(("join \(p.name)", at)) }
            if let at = p.leftAt { pending.append(((p.crashed ? "crash " : "leave ") + p.name, at)) }
        }
        var partitions: [(at: Int64, groups: [[Int]]?)] = []
        for event in scenario.events {
            switch event {
            case let .partition(at, groups):
                pending.append(("partition", Int64(at * 1e9)))
                partitions.append((Int64(at * 1e9), groups))
            case let .heal(at):
                pending.append(("heal", Int64(at * 1e9)))
                partitions.append((Int64(at * 1e9), nil))
            case .setLink: break
            }
        }
        pending.sort { ($0.at, $0.event) < ($1.at, $1.event) }
        partitions.sort { $0.at < $1.at }

        // Every instant the room's state can change: views and events.
        var views: [[(at: Int64, members: [String])]] = participants.map { p in
            (p.log?.views ?? []).map { ($0.nanoseconds - originNanoseconds, $0.members.sorted()) }
        }
        for i in views.indices { views[i].sort { $0.at < $1.at } }
        var instants = Set(pending.map(\.at))
        for list in views { for v in list { instants.insert(v.at) } }

        func view(_ i: Int, at t: Int64) -> [String]? { views[i].last { $0.at <= t }?.members }
        func live(at t: Int64) -> [Int] {
            participants.indices.filter { i in
                guard let started = participants[i].startedAt, started <= t else { return false }
                return participants[i].leftAt.map { $0 > t } ?? true
            }
        }
        func reachable(_ i: Int, _ j: Int, at t: Int64) -> Bool {
            guard let groups = partitions.last(where: { $0.at <= t })?.groups else { return true }
            return groups.contains { $0.contains(i) && $0.contains(j) }
        }
        func converged(at t: Int64) -> Bool {
            let alive = live(at: t)
            for i in alive {
                let expected = alive.filter { $0 == i || reachable(i, $0, at: t) }.map { participants[$0].name }.sorted()
                guard view(i, at: t) == expected else { return false }
            }
            return true
        }

        var convergence: [MembershipReport.Convergence] = []
        var waiting: [(event: String, at: Int64)] = []
        var next = pending.makeIterator()
        var upcoming = next.next()
        for t in instants.sorted() where t <= endNanoseconds - originNanoseconds {
            while let event = upcoming, event.at <= t {
                waiting.append(event)
                upcoming = next.next()
            }
            guard !waiting.isEmpty, converged(at: t) else { continue }
            for w in waiting {
                convergence.append(.init(event: w.event, atSeconds: Double(w.at) / 1e9, convergedAfterMs: Double(t - w.at) / 1e6))
            }
            waiting.removeAll()
        }
        while let event = upcoming {
            waiting.append(event)
            upcoming = next.next()
        }
        for w in waiting { convergence.append(.init(event: w.event, atSeconds: Double(w.at) / 1e9, convergedAfterMs: nil)) }
        convergence.sort { ($0.atSeconds, $0.event) < ($1.atSeconds, $1.event) }

        let end = endNanoseconds - originNanoseconds
        let joins = participants.enumerated().map { i, p -> MembershipReport.Join in
            var joinMs: Double?
            if let started = p.startedAt, let member = views[i].first(where: { $0.members.contains(p.name) }) {
                joinMs = Double(member.at - started) / 1e6
            }
            let seconds = max(Double(min(p.leftAt ?? end, end) - (p.startedAt ?? end)) / 1e9, 1e-9)
            return .init(participant: p.name, joinMs: joinMs, controlBytesPerSecond: Double(p.log?.controlBytesSent ?? 0) / seconds)
        }
        let rates = joins.map(\.controlBytesPerSecond)
        return MembershipReport(
            joins: joins, convergence: convergence, controlBytesPerSecondMean: rates.reduce(0, +) / Double(max(1, rates.count)),
            controlBytesPerSecondMax: rates.max() ?? 0)
    }
}
