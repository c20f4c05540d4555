import ConcordTesting
import Foundation
import Testing

/// The `concord zerotier …` subcommands, run as a user would, against the fake service.
@Suite struct ZeroTierCLITests {
    /// Runs `concord` with only ZEROTIER_HOME and HOME set (HOME empty-handed, so no user token copy
    /// is found), on a thread of its own so that a test can act on the fake while it runs.
    static func run(_ arguments: [String], home: String) async throws -> BuiltProduct.Finished {
        try await BuiltProduct.concord.run(arguments, environment: [
            "ZEROTIER_HOME": home, "HOME": "/nonexistent-concord-user", "PATH": "/usr/bin:/bin",
        ])
    }

    static let nwid = "8056c2e21c000001"

    @Test func statusNetworksJoinLeave() async throws {
        try await withFakeService { fake in
            let home = fake.home.path
            let status = try await Self.run(["zerotier", "status"], home: home)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout == "node      89e92ceee5\nonline    yes\nversion   1.14.1\n")
            #expect(status.stderr.isEmpty)

            let empty = try await Self.run(["zerotier", "networks"], home: home)
            #expect(empty.stdout.contains("No networks joined."))

            fake.script(Self.nwid, .ready(afterPolls: 1))
            let join = try await Self.run(["zerotier", "join", "8056C2E21C000001", "--timeout", "10"], home: home)
            #expect(join.status == 0, "\(join.stderr)")
            #expect(join.stdout == "Joined 8056c2e21c000001: this node is 10.147.17.5/24\n")
            #expect(join.stderrLines.count == 1)
            #expect(join.stderr.hasPrefix("Joining 8056c2e21c000001: requesting configuration from controller 8056c2e21c"))

            let list = try await Self.run(["zerotier", "networks"], home: home)
            #expect(list.stdout == "8056c2e21c000001  concord-test  OK  PRIVATE  fd80:56c2:e21c:0:199:9389:e92c:eee5/88,fc9c:56c2:e389:e92c:eee5::1/40,10.147.17.5/24\n")

            let leave = try await Self.run(["zerotier", "leave", Self.nwid], home: home)
            #expect(leave.status == 0)
            #expect(leave.stdout == "Left 8056c2e21c000001.\n")
            #expect(fake.joinedIDs.isEmpty)
        }
    }

    @Test func leavingANetworkNeverJoinedFailsWithTheNotAMemberMessage() async throws {
        try await withFakeService { fake in
            let leave = try await Self.run(["zerotier", "leave", "0123456789abcdef"], home: fake.home.path)
            #expect(leave.status == 1)
            #expect(leave.stdout.isEmpty)
            #expect(leave.stderr == "This node is not a member of network 0123456789abcdef. Join it with `concord zerotier join 0123456789abcdef`.\n")
            #expect(!fake.requests.contains { $0.method == "DELETE" })
        }
    }

    @Test func badNetworkIDSaysWhatAnIDLooksLike() async throws {
        let result = try await Self.run(["zerotier", "join", "my-room"], home: "/nonexistent-zt-home")
        #expect(result.status == 64)
        #expect(result.stderr.contains("'my-room' is not a ZeroTier network id: 'm' is not a hexadecimal digit."))
        #expect(result.stderr.contains("16 hexadecimal digits"))
    }

    @Test func joinWaitsThroughAccessDeniedUntilTheAdminAuthorizes() async throws {
        try await withFakeService(fakeOptions { $0.authorizationDelay = .seconds(1) }) { fake in
            fake.script(Self.nwid, .needsAuthorization(afterPolls: 1))
            async let joining = Self.run(["zerotier", "join", Self.nwid, "--timeout", "30"], home: fake.home.path)
            // Wait until the client has seen ACCESS_DENIED a few times (polls 2, 3, … are denied).
            let deadline = ContinuousClock.now + .seconds(20)
            while fake.requests.filter({ $0.method == "GET" && $0.path == "/network/\(Self.nwid)" }).count < 4,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            fake.authorize(Self.nwid)
            let join = try await joining
            #expect(join.status == 0, "\(join.stderr)")
            #expect(join.stdout == "Joined 8056c2e21c000001: this node is 10.147.17.5/24\n")
            // One line per state: requesting configuration, then access denied (naming the node to authorize).
            #expect(join.stderrLines.count == 2, "\(join.stderr)")
            #expect(join.stderrLines.last?.hasPrefix("Joining 8056c2e21c000001: access denied (ACCESS_DENIED): node 89e92ceee5 is not authorized on this private network yet. Ask the network's administrator to authorize node 89e92ceee5 (ZeroTier Central: the network's Members list, tick Auth); waiting up to 30 s") == true)
        }
    }

    @Test func accessDeniedUntilTheTimeoutFailsSayingHowLongItWaited() async throws {
        try await withFakeService { fake in
            fake.script(Self.nwid, .needsAuthorization(afterPolls: 0))
            // 5.5 s: under CI's load a first poll once answered after 2 s, and one past the timeout
            // is the error alone, with no progress line before it.
            let denied = try await Self.run(["zerotier", "join", Self.nwid, "--timeout", "5.5"], home: fake.home.path)
            #expect(denied.status == 1)
            #expect(denied.stdout.isEmpty)
            #expect(denied.stderrLines.count == 2, "\(denied.stderr)")
            #expect(denied.stderrLines.first?.contains("access denied (ACCESS_DENIED): node 89e92ceee5") == true)
            #expect(denied.stderrLines.last == "Network 8056c2e21c000001 still denied access after 5.5 s of waiting (ACCESS_DENIED): it is a private network and node 89e92ceee5 is not authorized on it. Ask the network's administrator to authorize node 89e92ceee5 (ZeroTier Central: the network's Members list, tick Auth); the network turns OK by itself a few seconds later. Then join again, or wait longer with --timeout.")
        }
        let down = try await Self.run(["zerotier", "status"], home: "/nonexistent-zt-home")
        #expect(down.status == 1)
        #expect(down.stderr.contains("No ZeroTier auth token found (looked for /nonexistent-zt-home/authtoken.secret"))
    }

    @Test func waitingPrintsOneLinePerStateNotOnePerPoll() async throws {
        try await withFakeService { fake in
            // About 2.5 s of REQUESTING_CONFIGURATION is five or six polls at the CLI's 0.5 s.
            fake.script(Self.nwid, FakeZeroTierService.Script(configuration: .after(.milliseconds(2500)), status: "OK"))
            let join = try await Self.run(["zerotier", "join", Self.nwid, "--timeout", "20"], home: fake.home.path)
            #expect(join.status == 0, "\(join.stderr)")
            #expect(fake.requests.filter { $0.method == "GET" && $0.path == "/network/\(Self.nwid)" }.count >= 3)
            #expect(join.stderrLines.count == 1, "\(join.stderr)")
        }
    }

    @Test func aNodeComingOnlineAfterARestartIsWaitedForNotBlamedOnTheInternet() async throws {
        try await withFakeService { fake in
            fake.preJoin(Self.nwid, .ready(afterPolls: 0))
            fake.restart(offlineFor: .seconds(4))
            let status = try await Self.run(["zerotier", "status"], home: fake.home.path)
            #expect(status.status == 0)
            #expect(status.stderr == "Node 89e92ceee5 is offline; waiting up to 10 s for it to come online (the service reaches the ZeroTier roots a few seconds after it starts).\n")
            #expect(status.stdout == "node      89e92ceee5\nonline    yes (came online while waiting)\nversion   1.14.1\n")

            fake.restart(offlineFor: .seconds(4))
            let join = try await Self.run(["zerotier", "join", Self.nwid], home: fake.home.path)
            #expect(join.status == 0)
            #expect(join.stdout == "Joined 8056c2e21c000001: this node is 10.147.17.5/24\n")
            #expect(join.stderrLines.count == 1, "\(join.stderr)")
            #expect(join.stderr.hasPrefix("Joined 8056c2e21c000001 as 10.147.17.5/24, but node 89e92ceee5 is offline: waiting up to 10 s for it to reach the ZeroTier roots"))
        }
    }

    @Test func statusWithoutWaitingSaysComingOnline() async throws {
        try await withFakeService(fakeOptions { $0.offlineAfterStart = .seconds(60) }) { fake in
            let status = try await Self.run(["zerotier", "status", "--wait", "0"], home: fake.home.path)
            #expect(status.status == 0)
            #expect(status.stderr.isEmpty)
            #expect(status.stdout.contains("online    no: still coming online (offline for 0 s so far; the service reaches the ZeroTier roots a few seconds after it starts): run again in a few seconds\n"))
        }
    }

    @Test func noRootsForTenSecondsIsCannotReachTheRoots() async throws {
        try await withFakeService(fakeOptions { $0.rootsUnreachable = true }) { fake in
            async let status = Self.run(["zerotier", "status"], home: fake.home.path)
            fake.script(Self.nwid, .ready(afterPolls: 0))
            // A join that ends before the grace reports the node as offline, not a plain "Joined".
            let join = try await Self.run(["zerotier", "join", Self.nwid, "--timeout", "2"], home: fake.home.path)
            #expect(join.status == 0)
            #expect(join.stdout.hasPrefix("Joined 8056c2e21c000001: this node is 10.147.17.5/24, but node 89e92ceee5 is offline, still coming online (offline for "))
            #expect(join.stdout.hasSuffix("other members cannot reach this node until it is online\n"))

            let result = try await status
            #expect(result.status == 0)
            // Watched offline for the 10 s of --wait (a little more under load), no root answering.
            let line = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("online") })
            #expect(line.hasPrefix("online    no: cannot reach the ZeroTier roots (offline for 1"), "\(result.stdout)")
            #expect(line.hasSuffix(" s; 0 of 4 roots answering): check this machine's internet access and that outgoing UDP port 9993 is not blocked"))
        }
    }

    @Test func joinNetworkWaitsThroughAccessDeniedThenBindsTheAssignedAddress() async throws {
        // `concord join --network`'s ZeroTier part: the same wait, then the room on the IPv4 address.
        try await withFakeService(fakeOptions { $0.authorizationDelay = .seconds(1) }) { fake in
            fake.script(Self.nwid, .needsAuthorization(afterPolls: 1))
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-zt-join-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            async let joining = BuiltProduct.concord.run([
                "join", "standup", "--network", Self.nwid, "--name", "ana", "--port", "\(40_000 + Int.random(in: 0..<20_000))",
                "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent("a.wav").path,
                "--output-wav", dir.appendingPathComponent("out.wav").path, "--duration", "1",
            ], environment: [
                "ZEROTIER_HOME": fake.home.path, "HOME": "/nonexistent-concord-user", "CONCORD_HOME": dir.path,
                "PATH": "/usr/bin:/bin",
            ])
            let deadline = ContinuousClock.now + .seconds(20)
            while fake.requests.filter({ $0.method == "GET" && $0.path == "/network/\(Self.nwid)" }).count < 4,
                ContinuousClock.now < deadline
            {
                try await Task.sleep(for: .milliseconds(100))
            }
            fake.authorize(Self.nwid)
            let join = try await joining
            #expect(join.status == 0, "\(join.stderr)")
            #expect(join.stderr.components(separatedBy: "access denied (ACCESS_DENIED): node 89e92ceee5").count == 2, "\(join.stderr)")
            #expect(join.stderr.contains("joining standup as ana at 10.147.17.5:"), "\(join.stderr)")
            #expect(!join.stderr.contains("is offline"))
        }
    }

    @Test func logLevelIsAccepted() async throws {
        try await withFakeService { fake in
            let result = try await Self.run(["zerotier", "status", "--log-level", "trace"], home: fake.home.path)
            #expect(result.status == 0)
            #expect(result.stderr.contains("GET /status"))
            #expect(!result.stderr.contains(fake.token))
            let bad = try await Self.run(["zerotier", "status", "--log-level", "loud"], home: fake.home.path)
            #expect(bad.status != 0)
        }
    }
}

extension BuiltProduct.Finished {
    var stderrLines: [Substring] { stderr.split(separator: "\n") }
}
