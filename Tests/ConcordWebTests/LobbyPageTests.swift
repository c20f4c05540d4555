import ConcordLive
import ConcordTesting
import ConcordWebProtocol
import Foundation
import Logging
import Testing

@testable import ConcordWeb

/// `concord ui`'s model against the fake ZeroTier service and a real room on loopback: what the
/// page is shown, and what each command does in each phase.
@Suite struct LobbyPageTests {
    static let nwid = "8056c2e21c000001"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")
    static let quiet = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    static func lobby(zeroTierHome: String, port: UInt16 = 7400, directory: URL) throws -> LobbyPage {
        let store = ConfigStore(directory: directory.path)
        let (identity, _) = try store.loadOrCreateIdentity()
        let settings = LobbyPage.Settings(
            defaultName: "ana", port: port, inputWav: fixtures.appendingPathComponent("a.wav").path, loopInput: true,
            outputWav: directory.appendingPathComponent("out.wav").path, networkTimeout: .seconds(10))
        return LobbyPage(settings: settings, store: store, identity: identity, devices: [], logger: quiet) { () throws(ZeroTierError) in
            ZeroTierClient(
                endpoint: try ZeroTierServiceEndpoint.discover(environment: ["ZEROTIER_HOME": zeroTierHome], userHome: nil), logger: quiet)
        }
    }

    static func state(_ lobby: LobbyPage) async throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(await lobby.pageState().utf8)) as? [String: Any])
    }

    /// Polls the page's state until `condition` holds (or 20 s pass); the last state.
    static func waitFor(_ lobby: LobbyPage, _ condition: ([String: Any]) -> Bool) async throws -> [String: Any] {
        var last = try await state(lobby)
        for _ in 0..<200 where !condition(last) {
            try await Task.sleep(for: .milliseconds(100))
            last = try await state(lobby)
        }
        return last
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("concord-lobby-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func networksAreJoinedWithTheWaitShownListedAndLeft() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = FakeZeroTierService.Options()
        options.configuration = .afterPolls(3)
        let fake = try await FakeZeroTierService.start(options)
        let lobby = try Self.lobby(zeroTierHome: fake.home.path, directory: directory)
        let watcher = Task { await lobby.watchNetworks(every: .milliseconds(200)) }
        defer { watcher.cancel() }

        var state = try await Self.waitFor(lobby) { ($0["lobby"] as? [String: Any])?["networks"] != nil && ($0["lobby"] as? [String: Any])?["zeroTierProblem"] == nil }
        #expect((state["lobby"] as? [String: Any])?["networks"] as? [Any] != nil)
        #expect(await lobby.handle(.joinNetwork(Self.nwid)) == nil)
        // The join is under way at once, and shown until the network is ready.
        let joining = try #require((try await Self.state(lobby)["lobby"] as? [String: Any])?["joiningNetworks"] as? [[String: Any]])
        #expect(joining.first?["network"] as? String == Self.nwid)
        #expect(await lobby.handle(.joinNetwork(Self.nwid)) == .refused("already joining \(Self.nwid)"))
        state = try await Self.waitFor(lobby) { (($0["lobby"] as? [String: Any])?["joiningNetworks"] as? [Any])?.isEmpty == true }
        let ready = try #require(state["lobby"] as? [String: Any])
        let networks = try #require(ready["networks"] as? [[String: Any]])
        #expect(networks.map { $0["id"] as? String } == [Self.nwid])
        #expect(networks.first?["ipv4"] as? String == "10.147.17.5/24")
        #expect(networks.first?["status"] as? String == "OK")
        #expect((ready["notice"] as? String)?.hasPrefix("Joined \(Self.nwid)") == true, "\(ready)")

        #expect(await lobby.handle(.say("hello")) == .refused("join a room first"))
        #expect(await lobby.handle(.invite) == .refused("join a room first"))
        #expect(await lobby.handle(.leaveNetwork(Self.nwid)) == nil)
        let left = try #require(try await Self.state(lobby)["lobby"] as? [String: Any])
        #expect((left["networks"] as? [Any])?.isEmpty == true)
        #expect(left["notice"] as? String == "Left \(Self.nwid).")
        guard case .refused(let reason)? = await lobby.handle(.leaveNetwork(Self.nwid)) else {
            Issue.record("leaving a network not joined was not refused")
            return
        }
        #expect(reason.contains("not a member"), "\(reason)")
        await fake.stop()
    }

    @Test func withoutTheServiceThePageSaysWhyAndRoomsStillWorkOnAnAddress() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = UInt16(40_000 + Int.random(in: 0..<20_000))
        let lobby = try Self.lobby(zeroTierHome: directory.appendingPathComponent("no-zerotier").path, port: port, directory: directory)
        let watcher = Task { await lobby.watchNetworks(every: .milliseconds(200)) }
        defer { watcher.cancel() }
        let problem = try await Self.waitFor(lobby) { (($0["lobby"] as? [String: Any])?["zeroTierProblem"] as? String)?.hasPrefix("asking") == false }
        #expect(((problem["lobby"] as? [String: Any])?["zeroTierProblem"] as? String)?.contains("ZeroTier") == true, "\(problem)")

        // An address that is not one fails the start, and says so.
        #expect(await lobby.handle(.joinRoom(.init(room: "r", bind: "not-an-address"))) == nil)
        let failed = try await Self.waitFor(lobby) { (($0["lobby"] as? [String: Any])?["notice"] as? String) != nil }
        #expect((failed["lobby"] as? [String: Any])?["notice"] as? String == "Could not join r: not-an-address is not an IPv4 or IPv6 address")

        #expect(await lobby.handle(.joinRoom(.init(room: "r", bind: "127.0.0.98"))) == nil)
        let joined = try await Self.waitFor(lobby) { $0["room"] as? String == "r" }
        #expect(joined["clientID"] as? String == "ana" && (joined["address"] as? String)?.hasPrefix("127.0.0.98:") == true, "\(joined)")
        guard case .invite(let invite)? = await lobby.handle(.invite) else {
            Issue.record("no invite in the room")
            return
        }
        #expect(invite.hasPrefix("concord1-"))
        #expect(await lobby.handle(.joinRoom(.init(room: "other", bind: "127.0.0.98"))) == .refused("leave this room first"))
        #expect(await lobby.handle(.leaveNetwork(Self.nwid)) == .refused("leave the room first: it may be talking on that network"))
        #expect(await lobby.handle(.mute) == nil)

        #expect(await lobby.handle(.leave) == nil)
        let back = try await Self.waitFor(lobby) { $0["lobby"] != nil }
        #expect((back["lobby"] as? [String: Any])?["notice"] as? String == "You left r.", "\(back)")
        // The room's output file was written while in it.
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("out.wav").path))
    }

    @Test func twoPagesMeetInARoomByPassphraseAndABadInviteIsRefusedWithItsReason() async throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let port = UInt16(40_000 + Int.random(in: 0..<20_000))
        let noService = directory.appendingPathComponent("no-zerotier").path
        let ana = try Self.lobby(zeroTierHome: noService, port: port, directory: directory.appendingPathComponent("ana"))
        let ben = try Self.lobby(zeroTierHome: noService, port: port, directory: directory.appendingPathComponent("ben"))

        #expect(await ana.handle(.joinRoom(.init(room: "r", bind: "127.0.0.98", invite: "concord1-not-an-invite"))) == nil)
        let refused = try await Self.waitFor(ana) { (($0["lobby"] as? [String: Any])?["notice"] as? String) != nil }
        let notice = try #require((refused["lobby"] as? [String: Any])?["notice"] as? String)
        #expect(notice.hasPrefix("Could not join r: ") && notice.contains("invite"), "\(notice)")

        let phrase = "correct horse battery staple"
        #expect(await ana.handle(.joinRoom(.init(room: "r", name: "ana", bind: "127.0.0.98", peers: ["127.0.0.99:\(port)"], passphrase: phrase))) == nil)
        #expect(await ben.handle(.joinRoom(.init(room: "r", name: "ben", bind: "127.0.0.99", peers: ["127.0.0.98:\(port)"], passphrase: phrase))) == nil)
        for (page, other) in [(ana, "ben"), (ben, "ana")] {
            let state = try await Self.waitFor(page) { (($0["members"] as? [[String: Any]]) ?? []).contains { $0["clientID"] as? String == other } }
            let members = (state["members"] as? [[String: Any]]) ?? []
            #expect(members.contains { $0["clientID"] as? String == other && $0["fingerprint"] as? String != nil }, "\(state)")
        }
        await ana.leaveRoom()
        await ben.leaveRoom()
        #expect((try await Self.state(ana))["lobby"] != nil)
    }
}
