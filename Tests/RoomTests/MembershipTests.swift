import Testing
@testable import Concord
import SeededRandom

@Suite struct MembershipTests {
    /// Records of a few clients with few incarnations, so collisions (same client, same
    /// incarnation, different status/heartbeat/details) are frequent.
    func randomRecords(_ rng: inout SplitMix64, count: Int) -> [MemberRecord] {
        (0..<count).map { _ in
            MemberRecord(
                clientID: "c\(rng.below(4))", incarnation: UInt32(rng.below(3)), heartbeat: UInt32(rng.below(3)),
                status: MemberStatus(rawValue: UInt8(rng.below(4)))!, displayName: "n\(rng.below(2))",
                address: .ipv4(UInt32(rng.below(2)), port: 1))
        }
    }

    @Test func mergeIsCommutativeAssociativeIdempotent() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<2000 {
            let a = Membership(randomRecords(&rng, count: rng.below(6)))
            let b = Membership(randomRecords(&rng, count: rng.below(6)))
            let c = Membership(randomRecords(&rng, count: rng.below(6)))
            #expect(a.merged(with: b) == b.merged(with: a))
            #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)))
            #expect(a.merged(with: a) == a)
            #expect(a.merged(with: b).merged(with: b) == a.merged(with: b))
        }
    }

    /// Any delivery order, with duplicates, gives the same list: what loss, duplication and
    /// reordering do to gossip cannot change the result, only delay it.
    @Test func anyOrderWithDuplicatesGivesTheSameList() {
        var rng = SplitMix64(seed: 12)
        for _ in 0..<500 {
            let records = randomRecords(&rng, count: 12)
            let reference = Membership(records)
            var shuffled = records + records.prefix(rng.below(12))
            shuffled.shuffle(using: &rng)
            #expect(Membership(shuffled) == reference)
        }
    }

    @Test func precedenceRules() {
        let a = RoomAddress.ipv4(1, port: 1)
        func r(_ inc: UInt32, _ hb: UInt32, _ s: MemberStatus) -> MemberRecord {
            MemberRecord(clientID: "x", incarnation: inc, heartbeat: hb, status: s, displayName: "", address: a)
        }
        // A higher incarnation beats every state of a lower one (refutation, rejoin).
        #expect(MemberRecord.merge(r(1, 0, .alive), r(0, 9, .dead)) == r(1, 0, .alive))
        // At one incarnation: dead beats alive and suspect whatever the heartbeat; left beats dead.
        #expect(MemberRecord.merge(r(3, 9, .alive), r(3, 1, .dead)).status == .dead)
        #expect(MemberRecord.merge(r(3, 9, .suspect), r(3, 1, .alive)).status == .suspect)
        #expect(MemberRecord.merge(r(3, 0, .dead), r(3, 0, .left)).status == .left)
        // Same state: the fresher heartbeat.
        #expect(MemberRecord.merge(r(3, 4, .alive), r(3, 5, .alive)).heartbeat == 5)
    }

    @Test func viewAndDigest() {
        let a = RoomAddress.ipv4(1, port: 1)
        var m = Membership()
        m.merge(MemberRecord(clientID: "b", incarnation: 0, displayName: "", address: a))
        m.merge(MemberRecord(clientID: "a", incarnation: 0, displayName: "", address: a))
        m.merge(MemberRecord(clientID: "c", incarnation: 0, status: .dead, displayName: "", address: a))
        #expect(m.view == ["a", "b"])
        var n = m
        n.merge(MemberRecord(clientID: "a", incarnation: 0, heartbeat: 7, displayName: "", address: a))
        #expect(n.digest == m.digest)  // heartbeats do not change the digest
        n.remove("c")
        #expect(n.digest == m.digest)  // nor do tombstones
        n.merge(MemberRecord(clientID: "b", incarnation: 1, displayName: "", address: a))
        #expect(n.digest != m.digest)
    }
}
