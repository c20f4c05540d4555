import ConcordTesting
import Foundation
import Testing

/// The fake reproduces what a real zerotier-one 1.14.1 does (docs/ZeroTier.md), checked on its raw
/// answers, so that the client tests built on it prove something about the real service.
@Suite struct ZeroTierFakeServiceTests {
    static let nwid = "8056c2e21c000001"

    /// The JSON object of a raw answer.
    static func object(_ body: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])
    }

    @Test func homeHoldsAPortFileWithoutNewlineAndAPrivate24CharacterToken() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("concord-zt-home-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let fake = try await FakeZeroTierService.start(FakeZeroTierService.Options(), home: home)
        let portFile = try String(contentsOf: home.appendingPathComponent("zerotier-one.port"), encoding: .utf8)
        #expect(portFile == String(fake.port))
        let tokenPath = home.appendingPathComponent("authtoken.secret").path
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8)
        #expect(token.count == 24 && token.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) })
        #expect(token == fake.token)
        let mode = try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        await fake.stop()
        // A given home stays; restarting on it reuses the token, as the real service does.
        let again = try await FakeZeroTierService.start(FakeZeroTierService.Options(), home: home)
        #expect(again.token == token)
        await again.stop()
    }

    @Test func addressesComeInTheRealOrderDerivedFromNetworkAndNode() async throws {
        #expect(FakeZeroTierAddresses.rfc4193(network: 0x8056_c2e2_1c00_0001, node: 0x89_e92c_eee5)
            == "fd80:56c2:e21c:0:199:9389:e92c:eee5/88")
        // 6PLANE folds the network id: 0x8056c2e21c000001 ^ (it >> 32) has low 32 bits 0x9c56c2e3.
        #expect(FakeZeroTierAddresses.sixPlane(network: 0x8056_c2e2_1c00_0001, node: 0x89_e92c_eee5)
            == "fc9c:56c2:e389:e92c:eee5::1/40")
        try await withFakeService(fakeOptions { $0.ipv4 = "10.77.0.2/24"; $0.configuration = .afterPolls(0) }) { fake in
            _ = try await rawRequest(port: fake.port, "POST", "/network/\(Self.nwid)", token: fake.token, body: "{}")
            let network = try Self.object(try await rawRequest(port: fake.port, "GET", "/network/\(Self.nwid)", token: fake.token).body)
            #expect(network["status"] as? String == "OK")
            #expect(network["assignedAddresses"] as? [String] == [
                "fd80:56c2:e21c:0:199:9389:e92c:eee5/88", "fc9c:56c2:e389:e92c:eee5::1/40", "10.77.0.2/24",
            ])
            #expect(network["broadcastEnabled"] as? Bool == true)
            let subscriptions = try #require(network["multicastSubscriptions"] as? [[String: Any]])
            #expect(!subscriptions.isEmpty)
            #expect(!subscriptions.contains { $0["mac"] as? String == "ff:ff:ff:ff:ff:ff" })
        }
    }

    @Test func beforeConfigurationTheNetworkIsAlreadyPrivateWithBroadcastOff() async throws {
        try await withFakeService { fake in
            fake.script(Self.nwid, .neverConfigured)
            let joined = try Self.object(try await rawRequest(port: fake.port, "POST", "/network/\(Self.nwid)", token: fake.token, body: "{}").body)
            #expect(joined["status"] as? String == "REQUESTING_CONFIGURATION")
            #expect(joined["type"] as? String == "PRIVATE")
            #expect(joined["broadcastEnabled"] as? Bool == false)
            #expect((joined["assignedAddresses"] as? [String])?.isEmpty == true)
        }
    }

    @Test func leavingANetworkNotJoinedAnswers200WithAnEmptyObject() async throws {
        try await withFakeService { fake in
            let notJoined = try await rawRequest(port: fake.port, "DELETE", "/network/\(Self.nwid)", token: fake.token)
            #expect(notJoined.status == 200)
            #expect(notJoined.body == "{}")
            fake.preJoin(Self.nwid, .ready(afterPolls: 0))
            let left = try await rawRequest(port: fake.port, "DELETE", "/network/\(Self.nwid)", token: fake.token)
            #expect(left.status == 200)
            #expect(left.body == #"{"result":true}"#)
            #expect(fake.joinedIDs.isEmpty)
        }
    }

    @Test func accessDeniedTurnsOKByItselfAfterAuthorization() async throws {
        let options = fakeOptions {
            $0.requireAuthorization = true
            $0.configuration = .afterPolls(0)
            $0.authorizationDelay = .seconds(1)
        }
        try await withFakeService(options) { fake in
            func status() async throws -> String? {
                try Self.object(try await rawRequest(port: fake.port, "GET", "/network/\(Self.nwid)", token: fake.token).body)["status"] as? String
            }
            _ = try await rawRequest(port: fake.port, "POST", "/network/\(Self.nwid)", token: fake.token, body: "{}")
            #expect(try await status() == "ACCESS_DENIED")
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await status() == "ACCESS_DENIED")

            // The control endpoint wants the token, and a network id.
            #expect(try await rawRequest(port: fake.port, "POST", "/fake/authorize/\(Self.nwid)", token: nil).status == 401)
            #expect(try await rawRequest(port: fake.port, "POST", "/fake/authorize/nope", token: fake.token).status == 400)
            let authorized = try await rawRequest(port: fake.port, "POST", "/fake/authorize/\(Self.nwid)", token: fake.token)
            #expect(authorized.status == 200)
            #expect(authorized.body == #"{"authorized":true,"nwid":"8056c2e21c000001"}"#)
            // Not at once: the real member stays denied until its next configuration (~3 s).
            #expect(try await status() == "ACCESS_DENIED")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await status() == "OK")
        }
    }

    @Test func theNodeIsOfflineForAWhileAfterStartAndTheRootsHaveNoPathMeanwhile() async throws {
        // 5 s offline: the two requests below must both land inside it, also on a loaded machine
        // (with 2 s, the second came after it once in CI's wall-clock phase).
        try await withFakeService(fakeOptions { $0.offlineAfterStart = .seconds(5) }) { fake in
            let early = try Self.object(try await rawRequest(port: fake.port, "GET", "/status", token: fake.token).body)
            #expect(early["online"] as? Bool == false)
            let peers = try JSONSerialization.jsonObject(with: Data(try await rawRequest(port: fake.port, "GET", "/peer", token: fake.token).body.utf8)) as? [[String: Any]]
            #expect(peers?.count == 4)
            #expect(peers?.allSatisfy { $0["role"] as? String == "PLANET" && ($0["paths"] as? [Any])?.isEmpty == true } == true)
            try await Task.sleep(for: .milliseconds(5100))
            let later = try Self.object(try await rawRequest(port: fake.port, "GET", "/status", token: fake.token).body)
            #expect(later["online"] as? Bool == true)
        }
    }

    @Test func withoutTheRootsTheNodeNeverComesOnline() async throws {
        try await withFakeService(fakeOptions { $0.rootsUnreachable = true }) { fake in
            try await Task.sleep(for: .milliseconds(200))
            let status = try Self.object(try await rawRequest(port: fake.port, "GET", "/status", token: fake.token).body)
            #expect(status["online"] as? Bool == false)
            #expect(!fake.isOnline)
        }
    }

    @Test func badOptionsAreRefusedWithASentence() async throws {
        await #expect(throws: FakeZeroTierError.self) {
            _ = try await FakeZeroTierService.start(fakeOptions { $0.ipv4 = "10.77.0.2" })
        }
        await #expect(throws: FakeZeroTierError.self) {
            _ = try await FakeZeroTierService.start(fakeOptions { $0.nodeAddress = "xyz" })
        }
    }
}
