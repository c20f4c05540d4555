import ConcordLive
import ConcordWebProtocol
import Foundation
import Synchronization
import Testing

@testable import ConcordWeb

/// The page's server over real loopback sockets: who gets in, what the page receives, and that
/// its commands are the client's commands.
@Suite struct WebServerTests {
    static let snapshot: LiveSnapshot = {
        var s = LiveSnapshot(roomID: "standup", clientID: "ana", fingerprint: "ab12-cd34", phase: .member, inputLevelDBFS: -23)
        s.members = [
            .init(clientID: "ben", fingerprint: "ff00-1122", speaking: true, volume: 0.5, levelDBFS: -18),
            .init(clientID: "eve", keyChanged: true, levelDBFS: -.infinity),
        ]
        s.messages = [.init(secondsSinceStart: 3, from: "ben", text: "hello <b>ana</b>")]
        return s
    }()

    static let invite = "concord1-test-invite"

    /// A running server and what its pages submitted.
    final class Submitted: Sendable {
        let commands = Mutex<[LiveCommand]>([])
        func withLock<R>(_ body: (inout [LiveCommand]) -> R) -> R { commands.withLock { body(&$0) } }
    }

    final class Harness: Sendable {
        let submitted = Submitted()
        let running: WebServer.Running
        let token: String

        init() async throws {
            let submitted = submitted
            let server = WebServer(
                snapshot: { WebServerTests.snapshot }, submit: { command in submitted.withLock { $0.append(command) } },
                invite: WebServerTests.invite)
            token = server.access.token
            running = try await server.start()
        }

        var port: Int { running.port }

        func commands(waitingFor count: Int) async -> [LiveCommand] {
            for _ in 0..<100 where submitted.withLock({ $0.count }) < count { try? await Task.sleep(for: .milliseconds(50)) }
            return submitted.withLock { $0 }
        }
    }

    static func get(_ path: String, port: Int) async throws -> String {
        try await offThePool {
            let connection = try RawConnection(port: port)
            connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n")
            return String(decoding: connection.read(1 << 20), as: UTF8.self)
        }
    }

    /// The upgrade's answer head, and the connection.
    static func upgrade(_ path: String, port: Int, origin: String?) async throws -> (head: String, connection: RawConnection) {
        try await offThePool {
            let connection = try RawConnection(port: port)
            connection.send(RawConnection.upgrade(path: path, port: port, origin: origin))
            return (connection.readHead(), connection)
        }
    }

    @Test func thePageIsServedOnlyWithItsToken() async throws {
        let harness = try await Harness()
        #expect(harness.running.url == "http://127.0.0.1:\(harness.port)/?token=\(harness.token)")
        let page = try await Self.get("/?token=\(harness.token)", port: harness.port)
        #expect(page.hasPrefix("HTTP/1.1 200"))
        #expect(page.contains("<title>Concord</title>"))
        #expect(page.lowercased().contains("referrer-policy: no-referrer"))
        // Nothing from elsewhere: no external script, style or font.
        #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("@import"))
        for path in ["/", "/?token=", "/?token=\(String(harness.token.reversed()))", "/?token=\(harness.token)x"] {
            #expect(try await Self.get(path, port: harness.port).hasPrefix("HTTP/1.1 403"), "\(path)")
        }
        await harness.running.stop()
    }

    @Test func aWebSocketNeedsTheTokenAndThisPagesOrigin() async throws {
        let harness = try await Harness()
        let own = "http://127.0.0.1:\(harness.port)"
        let refused: [(path: String, origin: String?)] = [
            ("/ws?token=wrong", own), ("/ws", own), ("/ws?token=\(harness.token)", "http://evil.example"),
            ("/ws?token=\(harness.token)", "http://localhost:\(harness.port)"), ("/other?token=\(harness.token)", own),
        ]
        for attempt in refused {
            let head = try await Self.upgrade(attempt.path, port: harness.port, origin: attempt.origin).head
            #expect(head.hasPrefix("HTTP/1.1 400"), "\(attempt): \(head)")
        }
        for origin in [own, nil] {
            let head = try await Self.upgrade("/ws?token=\(harness.token)", port: harness.port, origin: origin).head
            #expect(head.hasPrefix("HTTP/1.1 101"), "origin \(origin ?? "none")")
        }
        #expect(harness.submitted.withLock { $0.isEmpty })
        await harness.running.stop()
    }

    @Test func thePageGetsTheSnapshotAndItsCommandsReachTheClient() async throws {
        let harness = try await Harness()
        let (head, connection) = try await Self.upgrade(
            "/ws?token=\(harness.token)", port: harness.port, origin: "http://127.0.0.1:\(harness.port)")
        #expect(head.hasPrefix("HTTP/1.1 101"))
        let first = try #require(try await offThePool { connection.readTextFrame() })
        let json = try #require(try JSONSerialization.jsonObject(with: Data(first.utf8)) as? [String: Any])
        #expect(json["room"] as? String == "standup")
        let members = try #require(json["members"] as? [[String: Any]])
        #expect(members.map { $0["clientID"] as? String } == ["ben", "eve"])
        #expect(members[0]["speaking"] as? Bool == true && members[0]["volumePercent"] as? Double == 50)
        #expect(members[1]["keyChanged"] as? Bool == true)
        // A level of −∞ (silence) is absent, not an invalid JSON number.
        #expect(members[1]["levelDBFS"] == nil)
        // Snapshots keep coming, about four a second.
        #expect(try await offThePool { connection.readTextFrame() } != nil)

        try await offThePool {
            connection.sendTextFrame(#"{"command": "say", "text": "hi all"}"#)
            connection.sendTextFrame(#"{"command": "volume", "member": "ben", "percent": 150}"#)
            connection.sendTextFrame(#"{"command": "mute"}"#)
        }
        #expect(await harness.commands(waitingFor: 3) == [.say("hi all"), .volume(member: "ben", gain: 1.5), .mute])
        let reply = try await offThePool { () -> String? in
            connection.sendTextFrame(#"{"command": "format-disk"}"#)
            for _ in 0..<10 {
                if let frame = connection.readTextFrame(), frame.contains("error") { return frame }
            }
            return nil
        }
        #expect(reply?.contains("unknown command") == true, "\(reply ?? "nothing")")
        // The invite goes to the page that asks, never into the snapshots every page gets.
        #expect(!first.contains(Self.invite))
        let invite = try await offThePool { () -> String? in
            connection.sendTextFrame(#"{"command": "invite"}"#)
            for _ in 0..<10 {
                if let frame = connection.readTextFrame(), frame.hasPrefix(#"{"invite""#) { return frame }
            }
            return nil
        }
        #expect(invite == #"{"invite":"\#(Self.invite)"}"#)
        #expect(await harness.commands(waitingFor: 3).count == 3)
        await harness.running.stop()
    }

    /// Chromium keeps a connection open without a request; the server must still stop promptly.
    @Test func stoppingDoesNotWaitForAnIdleConnection() async throws {
        let harness = try await Harness()
        let idle = try await offThePool { try RawConnection(port: harness.port) }
        // Accepted by the server (connect returns on the kernel's handshake, before the accept).
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        await harness.running.stop()
        #expect(clock.now - start < .seconds(10))
        _ = idle
    }

    @Test func commandsAreTheTerminalViewsAndAnythingElseIsRefusedWithAReason() throws {
        #expect(try PageCommand.parse(#"{"command":"say","text":"x"}"#).get() == .say("x"))
        #expect(try PageCommand.parse(#"{"command":"unmute"}"#).get() == .unmute)
        #expect(try PageCommand.parse(#"{"command":"leave"}"#).get() == .leave)
        #expect(try PageCommand.parse(#"{"command":"invite"}"#).get() == .invite)
        // Fuzzing found it: spaces and a combining mark are something to send.
        #expect(try PageCommand.parse("{\"command\":\"say\",\"text\":\"  \u{6D7}\"}").get() == .say("  \u{6D7}"))
        let silence = try PageCommand.parse(#"{"command":"volume","member":"ben","percent":0}"#).get()
        #expect(silence == .volume(member: "ben", percent: 0))
        #expect(LiveCommand(silence) == .volume(member: "ben", gain: 0))
        #expect(LiveCommand(.joinNetwork("8056c2e21c000001")) == nil)
        #expect(LiveCommand(.joinRoom(.init(room: "standup"))) == nil)
        #expect(PageCommand.maximumVolumePercent == Double(LiveCommand.maximumVolumePercent))
        for bad in [
            "", "not json", "[]", #"{"cmd":"say"}"#, #"{"command":"say"}"#, #"{"command":"say","text":"  "}"#,
            #"{"command":"say","text":"\u2003\n\t"}"#, #"{"command":"volume","member":"ben","percent":401}"#, #"{"command":"volume","member":"ben","percent":-1}"#,
            #"{"command":"volume","percent":50}"#, #"{"command":"help"}"#, String(repeating: "x", count: 5000),
        ] {
            guard case .failure(let error) = PageCommand.parse(bad) else {
                Issue.record("accepted \(bad.prefix(60))")
                continue
            }
            #expect(!error.description.isEmpty)
        }
    }

    @Test func tokensAreRandomAndComparedWhole() {
        let a = WebAccess()
        #expect(a.token.count == 32 && a.token.allSatisfy(\.isHexDigit))
        #expect(a.token != WebAccess().token)
        #expect(a.accepts(token: a.token))
        #expect(!a.accepts(token: nil) && !a.accepts(token: "") && !a.accepts(token: String(a.token.dropLast())))
        #expect(WebAccess.accepts(origin: nil, localPort: 8080))
        #expect(WebAccess.accepts(origin: "http://127.0.0.1:8080", localPort: 8080))
        #expect(!WebAccess.accepts(origin: "http://127.0.0.1:8081", localPort: 8080))
        #expect(!WebAccess.accepts(origin: "null", localPort: 8080))
    }
}
