import ConcordLive
import ConcordTesting
import Foundation
import NIOConcurrencyHelpers
import Testing

/// How `joinAndWait` and `statusWaitingForOnline` handle what the real service does while a join
/// settles: ACCESS_DENIED until the admin authorizes, OK-before-online after a restart, no roots.
@Suite struct ZeroTierJoinWaitTests {
    static let nwid = "8056c2e21c000001"

    @Test func accessDeniedIsWaitedThroughUntilTheAdminAuthorizes() async throws {
        let options = fakeOptions { $0.authorizationDelay = .milliseconds(300) }
        try await withFakeService(options) { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .needsAuthorization(afterPolls: 1))
            let phases = NIOLockedValueBox<[ZeroTierJoinPhase]>([])
            let started = ContinuousClock.now
            let joined = try await client.joinAndWait(id, timeout: .seconds(20), pollInterval: .milliseconds(20)) { progress in
                phases.withLockedValue { $0.append(progress.phase) }
                if case .accessDenied = progress.phase {
                    #expect(progress.summary.contains("node 89e92ceee5 is not authorized on this private network yet"))
                    #expect(progress.summary.contains("waiting up to 20 s"))
                    fake.authorize(Self.nwid)
                }
            }
            #expect(joined.address.description == "10.147.17.5/24")
            #expect(joined.reachability == .online)
            // One line for each state, however many polls each took (about 15 in ACCESS_DENIED).
            #expect(phases.withLockedValue { $0 } == [.requestingConfiguration, .accessDenied(node: "89e92ceee5")])
            // It turned OK by itself, the authorization delay after the authorization.
            #expect(ContinuousClock.now - started >= .milliseconds(300))
        }
    }

    @Test func accessDeniedAtTheTimeoutSaysHowLongItWaitedAndWhom() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .needsAuthorization(afterPolls: 0))
            var phases: [ZeroTierJoinPhase] = []
            // 6 s: in CI's wall-clock phase the first poll once answered after the 2 s this had,
            // and a first answer past the timeout is the error, with no progress line before it.
            let error = await zeroTierError {
                _ = try await client.joinAndWait(id, timeout: .seconds(6), pollInterval: .milliseconds(20)) {
                    phases.append($0.phase)
                }
            }
            #expect(error == .accessDenied(id, node: "89e92ceee5", after: .seconds(6)))
            #expect(error?.description == "Network 8056c2e21c000001 still denied access after 6 s of waiting (ACCESS_DENIED): it is a private network and node 89e92ceee5 is not authorized on it. Ask the network's administrator to authorize node 89e92ceee5 (ZeroTier Central: the network's Members list, tick Auth); the network turns OK by itself a few seconds later. Then join again, or wait longer with --timeout.")
            // Configured on the first poll: denied from the start, one line.
            #expect(phases == [.accessDenied(node: "89e92ceee5")])
        }
    }

    @Test func readyWhileTheNodeIsStillComingOnlineWaitsForIt() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            // A restart: the network is OK with its address at once, the node offline for a while.
            fake.preJoin(Self.nwid, .ready(afterPolls: 0))
            // Offline for 4 s: in CI's wall-clock phase the first poll once came after 1.5 s.
            fake.restart(offlineFor: .seconds(4))
            var progress: [ZeroTierJoinProgress] = []
            let joined = try await client.waitUntilReady(id, timeout: .seconds(20), pollInterval: .milliseconds(20)) {
                progress.append($0)
            }
            #expect(joined.reachability == .online)
            #expect(joined.summary == "Joined 8056c2e21c000001: this node is 10.147.17.5/24")
            let address = try #require(AssignedAddress("10.147.17.5/24"))
            #expect(progress.map(\.phase) == [.nodeComingOnline(address: address, node: "89e92ceee5", grace: .seconds(10))])
            #expect(progress.first?.summary.hasPrefix("Joined 8056c2e21c000001 as 10.147.17.5/24, but node 89e92ceee5 is offline: waiting up to 10 s for it to reach the ZeroTier roots (normal for a few seconds after the service starts)") == true)
        }
    }

    @Test func offlinePastTheGraceWithNoRootIsNoInternetNotStartUp() async throws {
        try await withFakeService(fakeOptions { $0.rootsUnreachable = true }) { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .ready(afterPolls: 0))
            let joined = try await client.joinAndWait(
                id, timeout: .seconds(20), pollInterval: .milliseconds(20), onlineGrace: .milliseconds(400))
            #expect(joined.address.description == "10.147.17.5/24")
            guard case .cannotReachRoots(let offlineFor, let roots) = joined.reachability else {
                Issue.record("expected cannotReachRoots, got \(joined.reachability)")
                return
            }
            #expect(offlineFor >= .milliseconds(400) && offlineFor < .seconds(5))
            #expect(roots == ZeroTierRootPaths(roots: 4, withLivePath: 0))
            #expect(joined.summary.hasPrefix("Joined 8056c2e21c000001: this node is 10.147.17.5/24, but node 89e92ceee5 is offline, cannot reach the ZeroTier roots (offline for "))
            #expect(joined.summary.contains("; 0 of 4 roots answering): check this machine's internet access and that outgoing UDP port 9993 is not blocked"))
        }
    }

    @Test func statusWaitsForANodeComingOnline() async throws {
        try await withFakeService(fakeOptions { $0.offlineAfterStart = .seconds(2) }) { fake in
            let client = try makeClient(fake)
            var waitingFor: [String] = []
            let (status, reachability, offlineFor) = try await client.statusWaitingForOnline(
                maxWait: .seconds(10), pollInterval: .milliseconds(50)) { waitingFor.append($0.address) }
            #expect(status.online)
            #expect(reachability == .online)
            #expect(waitingFor == ["89e92ceee5"])
            #expect(offlineFor > .zero && offlineFor < .seconds(8))
        }
    }

    @Test func statusWithoutWaitingCallsAnOfflineNodeComingOnline() async throws {
        try await withFakeService(fakeOptions { $0.offlineAfterStart = .seconds(30) }) { fake in
            let (status, reachability, _) = try await makeClient(fake).statusWaitingForOnline(maxWait: .zero)
            #expect(!status.online)
            #expect(reachability == .comingOnline(offlineFor: reachability.offlineFor))
            #expect(reachability.explanation().hasPrefix("still coming online (offline for "))
        }
    }

    @Test func peersListTheRootsWithPathsOnlyOnceOnline() async throws {
        try await withFakeService(fakeOptions { $0.offlineAfterStart = .seconds(2) }) { fake in
            let client = try makeClient(fake)
            let before = try await client.peers()
            #expect(before.count == 4 && before.allSatisfy { $0.isRoot && !$0.hasLivePath && $0.latency == -1 })
            try await Task.sleep(for: .milliseconds(2100))
            let after = try await client.rootPaths()
            #expect(after == ZeroTierRootPaths(roots: 4, withLivePath: 4))
        }
    }

    @Test(arguments: [
        (true, 0, nil, ZeroTierNodeReachability.online),
        (false, 3, nil, .comingOnline(offlineFor: .seconds(3))),
        (false, 9, ZeroTierRootPaths(roots: 4, withLivePath: 0), .comingOnline(offlineFor: .seconds(9))),
        (false, 10, ZeroTierRootPaths(roots: 4, withLivePath: 0), .cannotReachRoots(offlineFor: .seconds(10), roots: ZeroTierRootPaths(roots: 4, withLivePath: 0))),
        (false, 30, nil, .cannotReachRoots(offlineFor: .seconds(30), roots: nil)),
        // A root answers: the online flag is about to follow, whatever the time.
        (false, 30, ZeroTierRootPaths(roots: 4, withLivePath: 1), .comingOnline(offlineFor: .seconds(30))),
    ] as [(Bool, Int64, ZeroTierRootPaths?, ZeroTierNodeReachability)])
    func theComingOnlineRule(online: Bool, seconds: Int64, roots: ZeroTierRootPaths?, expected: ZeroTierNodeReachability) {
        #expect(ZeroTierNodeReachability.assess(online: online, offlineFor: .seconds(seconds), roots: roots) == expected)
    }
}

extension ZeroTierNodeReachability {
    /// How long the node had been seen offline (zero when online).
    var offlineFor: Duration {
        switch self {
        case .online: .zero
        case .comingOnline(let offlineFor), .cannotReachRoots(let offlineFor, _): offlineFor
        }
    }
}
