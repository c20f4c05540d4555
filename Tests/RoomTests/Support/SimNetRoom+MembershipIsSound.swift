import ConcordTesting
@testable import Concord

// The membership lattice is the room's internal state: the check reads it through the test
// target's @testable import rather than widening RoomNode's API for tests.
extension SimNetRoom {
    /// Corruption check: every record names a client of this simulation with its true address
    /// and a display name it really uses; no client lists one that was never started.
    func membershipIsSound() -> Bool {
        let started = Set(slots.filter { $0.generation > 0 }.map { Self.clientID($0.index) })
        for slot in slots where slot.running {
            guard let node = slot.node else { continue }
            for r in node.membership.records.values {
                guard started.contains(r.clientID), let i = Int(r.clientID.dropFirst("client-".count)),
                    r.address == address(i), r.displayName == "Person \(i)"
                else { return false }
            }
            if node.phase == .member, node.membership[node.clientID]?.status != .alive { return false }
        }
        return true
    }
}
