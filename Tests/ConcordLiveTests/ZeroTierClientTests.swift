import ConcordLive
import ConcordTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

/// ZeroTierClient against the in-process fake of the ZeroTier One service.
@Suite struct ZeroTierClientTests {
    static let nwid = "8056c2e21c000001"

    @Test func statusReportsNodeOnlineAndVersion() async throws {
        try await withFakeService { fake in
            let status = try await makeClient(fake).status()
            #expect(status.address == fake.nodeAddress)
            #expect(status.online)
            #expect(status.versionText == "1.14.1")
            #expect(status.config?.settings?.primaryPort == 9993)
            #expect(fake.requests.map(\.path) == ["/status"])
            #expect(fake.requests.first?.authToken == fake.token)
        }
    }

    @Test func joinWaitsForConfigurationAndAnIPv4ThenLeaves() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            // The real order: rfc4193 /88, 6plane /40, then IPv4 /24.
            fake.script(Self.nwid, .ready(afterPolls: 2))

            let joined = try await client.join(id)
            #expect(joined.status == .requestingConfiguration)
            #expect(joined.assignedAddresses.isEmpty)
            #expect(joined.type == "PRIVATE")
            #expect(joined.broadcastEnabled == false)

            var progress: [ZeroTierJoinProgress] = []
            let ready = try await client.waitUntilReady(id, timeout: .seconds(5), pollInterval: .milliseconds(20)) {
                progress.append($0)
            }
            #expect(ready.address.description == "10.147.17.5/24")
            #expect(ready.network.assignedAddresses.map(\.description) == [
                "fd80:56c2:e21c:0:199:9389:e92c:eee5/88", "fc9c:56c2:e389:e92c:eee5::1/40", "10.147.17.5/24",
            ])
            #expect(ready.reachability == .online)
            #expect(ready.node == fake.nodeAddress)
            #expect(ready.summary == "Joined 8056c2e21c000001: this node is 10.147.17.5/24")
            // Two polls in REQUESTING_CONFIGURATION, one phase: one progress report.
            #expect(progress.map(\.attempt) == [1])
            #expect(progress.map(\.phase) == [.requestingConfiguration])
            #expect(progress.first?.summary.hasPrefix("Joining 8056c2e21c000001: requesting configuration from controller 8056c2e21c") == true)

            let networks = try await client.networks()
            #expect(networks.map(\.id) == [id])
            #expect(networks.first?.name == "concord-test")
            #expect(networks.first?.status == .ok)
            #expect(networks.first?.routes.map(\.target) == ["10.147.17.0/24"])
            #expect(networks.first?.type == "PRIVATE")
            #expect(networks.first?.multicastSubscriptions.contains { $0.mac == "ff:ff:ff:ff:ff:ff" } == false)

            try await client.leave(id)
            #expect(fake.joinedIDs.isEmpty)
            #expect(try await client.networks().isEmpty)
            let afterLeave = await zeroTierError { _ = try await client.network(id) }
            #expect(afterLeave == .notJoined(id))
            #expect(afterLeave?.description == "This node is not a member of network 8056c2e21c000001. Join it with `concord zerotier join 8056c2e21c000001`.")
            #expect(fake.requests.allSatisfy { $0.authToken == fake.token })
        }
    }

    @Test func joinSendsOnlyTheAllowFlagsThatAreSet() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            try await client.join(id)
            #expect(fake.requests.last?.body == "{}")
            let updated = try await client.join(id, settings: ZeroTierJoinSettings(allowManaged: true, allowDNS: true))
            #expect(fake.requests.last?.method == "POST")
            #expect(fake.requests.last?.path == "/network/8056c2e21c000001")
            #expect(fake.requests.last?.body == #"{"allowManaged":true,"allowDNS":true}"#)
            #expect(updated.allowDNS == true)
            #expect(updated.allowGlobal == false)
        }
    }

    @Test(arguments: [
        ("NOT_FOUND", "Network 8056c2e21c000001 does not exist (NOT_FOUND): its controller 8056c2e21c has no such network."),
        ("PORT_ERROR", "ZeroTier could not create the virtual network interface for network 8056c2e21c000001 (PORT_ERROR, error -1)."),
        ("CLIENT_TOO_OLD", "Network 8056c2e21c000001 requires a newer ZeroTier One (this one is 1.14.1) (CLIENT_TOO_OLD). Upgrade ZeroTier One"),
        ("AUTHENTICATION_REQUIRED", "Network 8056c2e21c000001 requires single sign-on (AUTHENTICATION_REQUIRED). Open https://sso.example.test/login in a browser"),
        ("SOMETHING_NEW", "Network 8056c2e21c000001 reports status \"SOMETHING_NEW\", which this version of Concord does not know"),
    ])
    func everyFailedStatusBecomesItsError(status: String, message: String) async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            var script = FakeZeroTierService.Script.failing(status, afterPolls: 1)
            if status == "PORT_ERROR" { script.portError = -1 }
            if status == "AUTHENTICATION_REQUIRED" { script.authenticationURL = "https://sso.example.test/login" }
            fake.script(Self.nwid, script)
            var polls = 0
            let error = await zeroTierError {
                _ = try await client.joinAndWait(id, timeout: .seconds(5), pollInterval: .milliseconds(10)) { _ in polls += 1 }
            }
            let expected: ZeroTierError =
                switch status {
                case "NOT_FOUND": .networkNotFound(id)
                case "PORT_ERROR": .portError(id, code: -1)
                case "CLIENT_TOO_OLD": .clientTooOld(id, version: "1.14.1")
                case "AUTHENTICATION_REQUIRED": .authenticationRequired(id, url: "https://sso.example.test/login")
                default: .unknownNetworkStatus(id, status: status)
                }
            #expect(error == expected)
            #expect(error?.description.hasPrefix(message) == true, "\(error?.description ?? "no error")")
            // It fails as soon as the status arrives: one poll waited in REQUESTING_CONFIGURATION.
            #expect(polls == 1)
        }
    }

    @Test func stillRequestingConfigurationAtTheTimeoutFailsWithProgressReported() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .neverConfigured)
            var progress: [ZeroTierJoinProgress] = []
            // 6 s, not less: in CI's wall-clock phase a first poll once took over 2 s (and one past
            // the timeout is the error with no progress line), another over 0.6 s.
            let started = ContinuousClock.now
            let error = await zeroTierError {
                _ = try await client.joinAndWait(id, timeout: .seconds(6), pollInterval: .milliseconds(20)) {
                    progress.append($0)
                }
            }
            let took = ContinuousClock.now - started
            #expect(error == .configurationTimedOut(id, after: .seconds(6)))
            #expect(error?.description.hasPrefix("Timed out after 6 s waiting for network 8056c2e21c000001's configuration (still REQUESTING_CONFIGURATION): its controller 8056c2e21c has not answered.") == true)
            #expect(error?.description.contains("--timeout") == true)
            // Several polls, one state: one progress report.
            #expect(progress.map(\.phase) == [.requestingConfiguration])
            #expect(fake.requests.filter { $0.path == "/network/8056c2e21c000001" && $0.method == "GET" }.count >= 2)
            #expect(took >= .seconds(6) && took < .seconds(14))
        }
    }

    @Test func configuredWithoutAnIPv4AtTheTimeoutSaysWhatWasAssigned() async throws {
        try await withFakeService { fake in
            let client = try makeClient(fake)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .ready(afterPolls: 0, addresses: ["fd80:56c2:e21c:0:199:9393:4a83:f7a5/88"]))
            var sawOK = false
            // 6 s: a first answer past the timeout would be the error with no progress line.
            let error = await zeroTierError {
                _ = try await client.joinAndWait(id, timeout: .seconds(6), pollInterval: .milliseconds(20)) {
                    sawOK = sawOK || $0.network.status == .ok
                }
            }
            #expect(sawOK)
            #expect(error == .addressTimedOut(
                id, after: .seconds(6), assigned: [AssignedAddress("fd80:56c2:e21c:0:199:9393:4a83:f7a5/88")!],
                node: fake.nodeAddress))
            #expect(error?.description.hasPrefix("Joined network 8056c2e21c000001, but no IPv4 address was assigned within 6 s (assigned: fd80:56c2:e21c:0:199:9393:4a83:f7a5/88).") == true)
            #expect(error?.description.contains("give node 89e92ceee5 an IP address") == true)
        }
    }

    @Test func serviceNotRunningSaysHowToStartIt() async throws {
        let port = try await closedLoopbackPort()
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("concord-zt-down-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "\(port)".write(to: home.appendingPathComponent("zerotier-one.port"), atomically: true, encoding: .utf8)
        try "sometoken".write(to: home.appendingPathComponent("authtoken.secret"), atomically: true, encoding: .utf8)
        let endpoint = try ZeroTierServiceEndpoint.discover(environment: ["ZEROTIER_HOME": home.path], userHome: nil)
        #expect(endpoint.port == port)
        let client = ZeroTierClient(endpoint: endpoint, logger: quietLogger)
        let error = await zeroTierError { _ = try await client.status() }
        let portFile = home.appendingPathComponent("zerotier-one.port").path
        #expect(error == .serviceNotRunning(endpoint: "127.0.0.1:\(port)", portSource: "port from \(portFile)"))
        let message = error?.description ?? ""
        #expect(message.hasPrefix("The ZeroTier One service is not running: nothing is listening on 127.0.0.1:\(port) (port from \(portFile))."))
        #expect(message.contains("`sudo systemctl start zerotier-one`"))
        #expect(message.contains("install it first"))
    }

    @Test func badTokenInTheServiceFileGets401NamingTheFileOnce() async throws {
        try await withFakeService { fake in
            try "wrongtoken".write(to: fake.home.appendingPathComponent("authtoken.secret"), atomically: true, encoding: .utf8)
            let client = try makeClient(fake)
            let error = await zeroTierError { _ = try await client.status() }
            let tokenPath = fake.home.appendingPathComponent("authtoken.secret").path
            #expect(error == .unauthorized(
                endpoint: "127.0.0.1:\(fake.port)", tokenPath: tokenPath,
                locations: ZeroTierTokenLocations(service: tokenPath, user: "/nonexistent-concord-user/.zeroTierOneAuthToken")))
            let message = error?.description ?? ""
            #expect(message.hasPrefix("The ZeroTier One service at 127.0.0.1:\(fake.port) rejected the auth token from \(tokenPath) (HTTP 401 Unauthorized), although that file is in the service home this client looked in."))
            #expect(message.contains("runs from another home directory, or the file changed after the service started"))
            #expect(message.contains("`sudo systemctl restart zerotier-one`"))
            // The same file is not both "the rejected token" and "the running service's token".
            #expect(message.components(separatedBy: tokenPath).count == 2)
            #expect(!message.contains("does not match"))
            #expect(fake.requests.first?.authToken == "wrongtoken")
        }
    }

    @Test func staleUserTokenCopyGets401WithTheRefreshCommand() async throws {
        try await withFakeService { fake in
            let user = FileManager.default.temporaryDirectory.appendingPathComponent("concord-user-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: user, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: user) }
            try "stalecopy".write(to: user.appendingPathComponent(".zeroTierOneAuthToken"), atomically: true, encoding: .utf8)
            let servicePath = fake.home.appendingPathComponent("authtoken.secret").path
            // The service's file is root-only for this user: the client falls back to the stale copy.
            let reader: ZeroTierFileReader = { path in path == servicePath ? .failure(.permissionDenied) : systemFileReader(path) }
            let endpoint = try ZeroTierServiceEndpoint.discover(
                environment: ["ZEROTIER_HOME": fake.home.path], userHome: user.path, platform: .linux, readFile: reader)
            let error = await zeroTierError { _ = try await ZeroTierClient(endpoint: endpoint, logger: quietLogger).status() }
            let copy = user.appendingPathComponent(".zeroTierOneAuthToken").path
            let message = error?.description ?? ""
            #expect(message.hasPrefix("The ZeroTier One service at 127.0.0.1:\(fake.port) rejected the auth token from your copy \(copy) (HTTP 401 Unauthorized): it no longer matches the service's own token in \(servicePath)"))
            #expect(message.hasSuffix("Refresh your copy: `sudo install -m 600 -o \"$(id -un)\" \"\(servicePath)\" \"\(copy)\"`."))
        }
    }

    @Test func missingBearerOrHeaderIs401InTheFake() async throws {
        // The fake must reject what the service rejects, or the 401 tests would prove nothing.
        try await withFakeService { fake in
            let endpoint = ZeroTierServiceEndpoint(
                port: fake.port, token: ZeroTierAuthToken("", path: "/none"),
                tokenLocations: ZeroTierTokenLocations(service: "/none", user: nil))
            let error = await zeroTierError { _ = try await ZeroTierClient(endpoint: endpoint, logger: quietLogger).networks() }
            if case .unauthorized = error {} else { Issue.record("expected 401, got \(String(describing: error))") }
        }
    }

    @Test func malformedJSONIsReportedAsSuch() async throws {
        try await withFakeService { fake in
            fake.setMalformedJSON(true)
            let client = try makeClient(fake)
            let error = await zeroTierError { _ = try await client.status() }
            guard case .malformedResponse(let request, let endpoint, _) = error else {
                Issue.record("expected malformedResponse, got \(String(describing: error))")
                return
            }
            #expect(request == "GET /status")
            #expect(endpoint == "127.0.0.1:\(fake.port)")
            #expect(error?.description.contains("is not the JSON the ZeroTier One service sends (not valid JSON)") == true)
            #expect(error?.description.contains("Is something else listening on that port?") == true)
            let listError = await zeroTierError { _ = try await client.networks() }
            if case .malformedResponse = listError {} else { Issue.record("expected malformedResponse, got \(String(describing: listError))") }
        }
    }

    @Test func serviceThatNeverAnswersTimesOut() async throws {
        try await withFakeService { fake in
            fake.setHang(true)
            let client = try makeClient(fake, responseTimeout: .milliseconds(300))
            let error = await zeroTierError { _ = try await client.status() }
            #expect(error == .serviceNotResponding(endpoint: "127.0.0.1:\(fake.port)", after: .milliseconds(300)))
            #expect(error?.description.contains("accepted the connection but did not answer within 0.3 s") == true)
        }
    }

    @Test func leavingANetworkNotJoinedSaysSoWithoutSendingADelete() async throws {
        try await withFakeService { fake in
            let id = try NetworkID(parsing: "0123456789abcdef")
            let error = await zeroTierError { try await makeClient(fake).leave(id) }
            #expect(error == .notJoined(id))
            // The membership check answered: no DELETE (which the real service answers 200 {}).
            #expect(fake.requests.map(\.method) == ["GET"])
        }
    }

    @Test func aDeleteAnsweredWithAnEmptyObjectIsNotALeave() async throws {
        try await withFakeService { fake in
            let id = try NetworkID(parsing: Self.nwid)
            fake.preJoin(Self.nwid, .ready(afterPolls: 0))
            // Someone else leaves between the membership check and the DELETE: the service answers `{}`.
            fake.leaveElsewhereBeforeNextDelete()
            let error = await zeroTierError { try await makeClient(fake).leave(id) }
            #expect(error == .notJoined(id))
            #expect(fake.requests.map(\.method) == ["GET", "DELETE"])
        }
    }

    @Test func theTokenIsNeverLogged() async throws {
        try await withFakeService { fake in
            let lines = NIOLockedValueBox<[String]>([])
            var logger = Logger(label: "zt", factory: { _ in CapturingLogHandler(lines: lines) })
            logger.logLevel = .trace
            let client = try makeClient(fake, logger: logger)
            let id = try NetworkID(parsing: Self.nwid)
            fake.script(Self.nwid, .ready(afterPolls: 1))
            _ = try await client.status()
            _ = try await client.joinAndWait(id, timeout: .seconds(5), pollInterval: .milliseconds(10))
            _ = try await client.peers()
            try await client.leave(id)
            try "wrongtoken-wrongtoken".write(to: fake.home.appendingPathComponent("authtoken.secret"), atomically: true, encoding: .utf8)
            let badClient = try makeClient(fake, logger: logger)
            _ = await zeroTierError { _ = try await badClient.status() }
            let logged = lines.withLockedValue { $0 }
            #expect(logged.count >= 8)
            #expect(logged.contains { $0.contains("GET /network/8056c2e21c000001") })
            #expect(!logged.contains { $0.contains(fake.token) || $0.contains("wrongtoken-wrongtoken") })
        }
    }
}
