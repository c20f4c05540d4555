import Concord
import ConcordLive
import ConcordTesting
import Foundation
import Testing

/// `concord join --pcap`: two clients on loopback addresses talk for a few seconds; one of them
/// captures. The capture holds every datagram its socket sent and every one it handed the
/// engine (the summary's counters), with the real addresses and ports and wall-clock times.
/// Nothing here depends on timing beyond "the two found each other".
@Suite(.serialized) struct JoinCaptureTests {
    @Test func joinCapturesWhatCrossedTheSocket() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-join-pcap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = UInt16(20_000 + Int.random(in: 0..<20_000))
        let hosts = ["127.0.0.71", "127.0.0.72"]
        let names = ["ana", "ben"]
        let invite = RoomSecret.generate().inviteString
        let pcap = dir.appendingPathComponent("ana.pcap").path
        let summary = dir.appendingPathComponent("ana.json").path

        let before = Date()
        let runs = try await withThrowingTaskGroup(of: (Int, BuiltProduct.Finished).self) { group in
            for i in 0..<2 {
                var arguments = [
                    "join", "capture", "--client-id", names[i], "--bind", hosts[i], "--port", "\(port)", "--invite", invite,
                    "--peer", "\(hosts[1 - i]):\(port)", "--duration", "4",
                    "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent(i == 0 ? "a.wav" : "b.wav").path,
                    "--output-wav", dir.appendingPathComponent("\(names[i]).wav").path,
                ]
                if i == 0 { arguments += ["--pcap", pcap, "--summary-json", summary] }
                // The capture path's options run too: ana processes as by default, ben adds gain control.
                if i == 1 { arguments.append("--agc") }
                let environment = ["CONCORD_HOME": dir.appendingPathComponent("home-\(i)").path, "PATH": "/usr/bin:/bin"]
                group.addTask { (i, try await BuiltProduct.concord.run(arguments, environment: environment)) }
            }
            var runs: [Int: BuiltProduct.Finished] = [:]
            for try await (i, finished) in group { runs[i] = finished }
            return runs
        }
        let after = Date()
        for (i, run) in runs { #expect(run.status == 0, "\(names[i]): \(run.output)") }
        let ana = try #require(runs[0])
        #expect(ana.stderr.contains("datagrams to \(pcap)"), "\(ana.stderr)")

        let figures = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
        let sentBySummary = try #require(figures?["datagrams_sent"] as? Int)
        let receivedBySummary = try #require(figures?["datagrams_received"] as? Int)
        let capture = try CaptureFileReader(path: pcap)
        let sent = capture.datagrams.filter(\.isSent)
        let received = capture.datagrams.filter { !$0.isSent }
        let own = try #require(RoomAddress("\(hosts[0]):\(port)"))
        let peer = try #require(RoomAddress("\(hosts[1]):\(port)"))

        // Every datagram the socket sent; every one it handed on (the summary is taken as the
        // client leaves and the socket closes a moment later: what the peer sent in between, at
        // 50 voice datagrams a second, arrives too; a second's worth is the bound).
        #expect(sent.count == sentBySummary)
        #expect(received.count >= receivedBySummary && received.count <= receivedBySummary + 50, "\(received.count) vs \(receivedBySummary)")
        #expect(sent.count > 25 && received.count > 25, "voice flowed both ways")
        #expect(sent.allSatisfy { $0.source == own && $0.destination == peer })
        #expect(received.allSatisfy { $0.source == peer && $0.destination == own })
        #expect(capture.datagrams.allSatisfy { $0.ipHeaderChecksumValid == true && $0.payload.first == 1 })
        // Sealed voice (type 1, flag 0x80) and the handshake (type 4) both ways.
        for direction in [sent, received] {
            #expect(direction.contains { $0.payload[1] == 1 && $0.payload[2] & 0x80 != 0 })
            #expect(direction.contains { $0.payload[1] == 4 })
        }
        // Wall-clock times within the test's own.
        let times = capture.datagrams.map { Double($0.nanosecondsSinceEpoch) / 1e9 }
        #expect(times.allSatisfy { $0 >= before.timeIntervalSince1970 && $0 <= after.timeIntervalSince1970 })

        if Tshark.isInstalled {
            let rows = try Tshark.fields(["concord.type", "ip.src", "udp.dstport"], of: pcap)
            #expect(rows.count == capture.datagrams.count)
            #expect(rows.allSatisfy { !$0[0].isEmpty && $0[2] == "\(port)" })
        }
    }
}
