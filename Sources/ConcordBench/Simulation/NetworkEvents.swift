import SimNet

/// The scenario's network events — partitions, heals, link changes — put on the simulator's
/// clock. (Joins, leaves and crashes are the room's: `RoomDriver`.)
enum NetworkEvents {
    static func schedule(_ events: [ResolvedScenario.Event], simulator: Simulator, network: Network, hosts: [SimNet.Host]) {
        for event in events {
            switch event {
            case let .partition(at, groups):
                simulator.schedule(at: .seconds(at)) {
                    for a in groups.indices {
                        for b in groups.indices where b > a {
                            network.partition(groups[a].map { hosts[$0] }, groups[b].map { hosts[$0] })
                        }
                    }
                }
            case let .heal(at):
                simulator.schedule(at: .seconds(at)) { network.heal() }
            case let .setLink(at, from, to, conditions):
                simulator.schedule(at: .seconds(at)) { network.setConditions(conditions, from: hosts[from], to: hosts[to]) }
            }
        }
    }
}
