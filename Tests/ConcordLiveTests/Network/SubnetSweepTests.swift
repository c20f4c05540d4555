import Concord
import ConcordLive
import Testing

struct SubnetSweepTests {
    static let own: UInt32 = 0x0A4D_0005  // 10.77.0.5

    @Test func aSlash24IsEveryOtherHostOnceStartingAfterOurs() {
        let hosts = SubnetSweep(.init(address: Self.own, prefixLength: 24, port: 7400)).hosts
        #expect(hosts.count == 253)
        #expect(hosts.first == Self.own + 1)
        #expect(hosts.last == Self.own - 1)
        #expect(Set(hosts).count == 253)
        #expect(!hosts.contains(Self.own) && !hosts.contains(0x0A4D_0000) && !hosts.contains(0x0A4D_00FF))
    }

    @Test func pointToPointAndHostRoutesHaveNobodyToFind() {
        #expect(SubnetSweep(.init(address: Self.own, prefixLength: 32, port: 7400)).hosts.isEmpty)
        #expect(SubnetSweep(.init(address: Self.own, prefixLength: 31, port: 7400)).hosts.isEmpty)
        #expect(SubnetSweep(.init(address: Self.own, prefixLength: 30, port: 7400)).hosts.count == 1)
    }

    @Test func aLargeSubnetIsSweptAroundOurAddressWithinItsBounds() {
        let low = SubnetSweep(.init(address: 0x0A00_0003, prefixLength: 8, port: 1, maximumHosts: 100)).hosts
        #expect(low.count == 99)  // 10.0.0.1 … 10.0.0.100, without ours
        #expect(low.allSatisfy { (0x0A00_0001...0x0A00_0064).contains($0) })
        let middle = SubnetSweep(.init(address: 0x0A12_3456, prefixLength: 8, port: 1, maximumHosts: 100)).hosts
        #expect(middle.count == 99)
        #expect(middle.allSatisfy { $0 >= 0x0A12_3456 - 50 && $0 < 0x0A12_3456 + 50 })
        let high = SubnetSweep(.init(address: 0x0AFF_FFFE, prefixLength: 8, port: 1, maximumHosts: 100)).hosts
        #expect(high.count == 99)
        #expect(high.allSatisfy { $0 <= 0x0AFF_FFFE && $0 >= 0x0AFF_FFFE - 99 })
    }

    /// Each payload reaches each address once, at the rate for the phase; nothing is sent
    /// without a broadcast to copy.
    @Test func copiesFollowTheRateAndCoverTheSubnetOncePerPayload() {
        var sweep = SubnetSweep(.init(address: Self.own, prefixLength: 24, port: 7400))
        var now = Instant.zero
        #expect(sweep.due(now: now, discovering: true) == nil)
        sweep.noteBroadcast([1, 2, 3])
        var reached: [RoomAddress] = []
        for _ in 0..<150 {  // 3 s of 20 ms ticks
            now = now.advanced(byMilliseconds: 20)
            if let due = sweep.due(now: now, discovering: true) {
                #expect(due.payload == [1, 2, 3])
                reached += due.addresses
            }
        }
        #expect(reached.count == 253)
        #expect(Set(reached).count == 253)
        #expect(reached.allSatisfy { $0.port == 7400 })
        // 253 copies at 256/s: the sweep ended within about a second.
        var sweep2 = SubnetSweep(.init(address: Self.own, prefixLength: 24, port: 7400))
        sweep2.noteBroadcast([9])
        var sent = 0
        var t = Instant.zero
        _ = sweep2.due(now: t, discovering: true)
        for _ in 0..<25 {  // 0.5 s
            t = t.advanced(byMilliseconds: 20)
            sent += sweep2.due(now: t, discovering: true)?.addresses.count ?? 0
        }
        #expect(sent >= 120 && sent <= 135, "\(sent) copies in 0.5 s at 256/s")
        // As a member, 32/s.
        var sweep3 = SubnetSweep(.init(address: Self.own, prefixLength: 24, port: 7400))
        sweep3.noteBroadcast([9])
        var memberSent = 0
        t = .zero
        _ = sweep3.due(now: t, discovering: false)
        for _ in 0..<50 {  // 1 s
            t = t.advanced(byMilliseconds: 20)
            memberSent += sweep3.due(now: t, discovering: false)?.addresses.count ?? 0
        }
        #expect(memberSent >= 30 && memberSent <= 34, "\(memberSent) copies in 1 s at 32/s")
    }

    /// A stalled driver (a pause) does not burst the whole subnet at once when it resumes.
    @Test func creditDoesNotAccumulateOverAPause() {
        var sweep = SubnetSweep(.init(address: Self.own, prefixLength: 24, port: 7400))
        sweep.noteBroadcast([1])
        _ = sweep.due(now: .zero, discovering: true)
        let burst = sweep.due(now: Instant.zero.advanced(byMilliseconds: 10_000), discovering: true)
        #expect((burst?.addresses.count ?? 0) <= 26)
    }
}
