import Concord
import ConcordTesting
import Foundation
import Testing

/// `concord join --web` end to end: two real clients on loopback with WAV files as devices; the
/// one with the page prints its address, the page's WebSocket shows the other member, and a
/// message sent from the page reaches the other client.
@Suite(.serialized) struct JoinWebTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("fixtures")

    @Test func thePageShowsTheRoomAndSpeaksForItsClient() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-join-web-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = UInt16(20_000 + Int.random(in: 0..<20_000))
        let hosts = ["127.0.0.81", "127.0.0.82"]
        let names = ["ana", "ben"]
        let invite = RoomSecret.generate().inviteString
        let summary = dir.appendingPathComponent("ben.json").path
        var clients: [RunningProcess] = []
        for i in 0..<2 {
            var arguments = [
                "join", "web-room", "--client-id", names[i], "--bind", hosts[i], "--port", "\(port)", "--invite", invite,
                "--peer", "\(hosts[1 - i]):\(port)", "--duration", "10", "--no-echo-cancel", "--no-noise-suppression",
                "--input-wav", Self.fixtures.appendingPathComponent(i == 0 ? "a.wav" : "b.wav").path,
                "--output-wav", dir.appendingPathComponent("\(names[i]).wav").path,
            ]
            arguments += i == 0 ? ["--web"] : ["--summary-json", summary]
            let environment = ["CONCORD_HOME": dir.appendingPathComponent("home-\(i)").path, "PATH": "/usr/bin:/bin"]
            clients.append(try BuiltProduct.concord.start(arguments, environment: environment))
        }
        defer { for client in clients where client.process.isRunning { client.process.terminate() } }

        // The address, printed once the page's server listens.
        var url: URL?
        for _ in 0..<200 where url == nil {
            try await Task.sleep(for: .milliseconds(50))
            url = clients[0].output.split(whereSeparator: \.isWhitespace).lazy
                .first { $0.hasPrefix("http://127.0.0.1:") && $0.contains("token=") }.flatMap { URL(string: String($0)) }
        }
        let page = try #require(url, "no address in: \(clients[0].output)")
        let pagePort = try #require(page.port)
        let token = try #require(URLComponents(url: page, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "token" }?.value)
        #expect(try await WebServerTests.get("/?token=\(token)", port: pagePort).hasPrefix("HTTP/1.1 200"))
        // One character changed (a token that starts with "0" gets a "1").
        let wrong = (token.first == "0" ? "1" : "0") + token.dropFirst()
        #expect(try await WebServerTests.get("/?token=\(wrong)", port: pagePort).hasPrefix("HTTP/1.1 403"))

        let (head, socket) = try await WebServerTests.upgrade("/ws?token=\(token)", port: pagePort, origin: "http://127.0.0.1:\(pagePort)")
        #expect(head.hasPrefix("HTTP/1.1 101"))
        // Snapshots until ben is there and heard speaking (his file talks from its start).
        let heard = try await offThePool { () -> Bool in
            for _ in 0..<60 {
                guard let text = socket.readTextFrame(),
                    let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                    let members = json["members"] as? [[String: Any]]
                else { continue }
                if json["room"] as? String == "web-room",
                    members.contains(where: { $0["clientID"] as? String == "ben" && $0["speaking"] as? Bool == true })
                {
                    return true
                }
            }
            return false
        }
        #expect(heard, "the page never showed ben speaking")
        try await offThePool { socket.sendTextFrame(#"{"command": "say", "text": "hello from the page"}"#) }

        for client in clients { try await offThePool { client.finish() } }
        for (i, client) in clients.enumerated() {
            #expect(client.process.terminationStatus == 0, "\(names[i]): \(client.output)")
        }
        let figures = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
        let messages = figures?["messages"] as? [[String: Any]] ?? []
        #expect(messages.contains { $0["from"] as? String == "ana" && $0["text"] as? String == "hello from the page" }, "\(messages)")
    }
}
