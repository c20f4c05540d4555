import Concord
import ConcordTesting
import Foundation
import Testing

/// `concord-bench run --pcap`: the capture holds exactly what crossed the simulated network,
/// as the report counts it, in virtual time from the Unix epoch.
@Suite struct PacketCaptureBenchTests {
    static let duration = 3.0
    static let alice = RoomAddress.ipv4(0x0A93_110A, port: 9_993)  // 10.147.17.10, the first host
    static let bob = RoomAddress.ipv4(0x0A93_110B, port: 9_993)

    struct Run {
        var capture: CaptureFileReader
        var streams: [[String: Any]]
        var stdout: String
        var bytes: Data
    }

    /// A plain (unsealed) two-person mesh with 10 % loss, so that sent and received differ.
    static func run(sealed: Bool = false) throws -> Run {
        let scenario = try BenchFixtures.scenarioFile("""
            {"name": "capture", "seed": 5, "sealed": \(sealed),
             "participants": [{"name": "alice", "wav": "a.wav"}, {"name": "bob", "wav": "b.wav"}]}
            """)
        let dir = URL(fileURLWithPath: scenario).deletingLastPathComponent()
        let pcap = dir.appendingPathComponent("run.pcap").path
        let result = try BuiltProduct.concordBench.run([
            "run", scenario, "--loss", "10", "--duration", "\(duration)", "--out", dir.appendingPathComponent("out").path,
            "--pcap", pcap, "--quiet",
        ])
        #expect(result.status == 0, "\(result.output)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/report.json"))) as? [String: Any]
        return Run(
            capture: try CaptureFileReader(path: pcap), streams: report?["streams"] as? [[String: Any]] ?? [],
            stdout: result.stdout, bytes: try Data(contentsOf: URL(fileURLWithPath: pcap)))
    }

    static func isVoice(_ d: CaptureFileReader.Datagram) -> Bool { d.payload.count >= 14 && d.payload[0] == 1 && d.payload[1] == 1 }
    static func sequence(_ d: CaptureFileReader.Datagram) -> Int { Int(d.payload[8]) << 8 | Int(d.payload[9]) }

    @Test func packetCountsMatchTheReport() throws {
        let run = try Self.run()
        let capture = run.capture
        #expect(capture.header.linkType == 276)
        #expect(run.stdout.contains("(\(capture.datagrams.count) datagrams)"), "\(run.stdout)")
        // Virtual time from the epoch, in order: nothing after the run's end (speech + 2 s drain).
        let times = capture.datagrams.map(\.nanosecondsSinceEpoch)
        #expect(times == times.sorted())
        #expect((times.last ?? 0) <= Int64((Self.duration + 2) * 1e9))
        #expect(capture.datagrams.allSatisfy { $0.ipHeaderChecksumValid == true })

        for (talker, listener, name) in [(Self.alice, Self.bob, "alice"), (Self.bob, Self.alice, "bob")] {
            let stream = try #require(run.streams.first { $0["from"] as? String == name })
            // The report counts the packets sent up to the end of speech, and those of them heard.
            let sent = capture.datagrams.filter {
                $0.isSent && $0.source == talker && $0.destination == listener && Self.isVoice($0)
                    && $0.nanosecondsSinceEpoch <= Int64(Self.duration * 1e9)
            }
            let lastSequence = sent.map(Self.sequence).max() ?? -1
            let heard = Set(
                capture.datagrams.filter {
                    !$0.isSent && $0.source == talker && $0.destination == listener && Self.isVoice($0)
                        && Self.sequence($0) <= lastSequence
                }.map(Self.sequence))
            #expect(sent.count == stream["packets_sent"] as? Int, "\(name): packets sent")
            #expect(heard.count == stream["packets_received"] as? Int, "\(name): packets received")
            #expect(heard.count < sent.count, "\(name): 10 % loss shows")
            // Captured at the sender's interface (its participant number) and at the receiver's.
            #expect(sent.allSatisfy { $0.interface == (talker == Self.alice ? 1 : 2) })
        }
    }

    @Test func theSameSeedGivesTheSameCapture() throws {
        #expect(try Self.run().bytes == Self.run().bytes)
    }

    @Test(.enabled(if: Tshark.isInstalled, "tshark is not installed (Debian package tshark; scripts/install-deps installs it)"))
    func tsharkDissectsEverySealedDatagram() throws {
        let run = try Self.run(sealed: true)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-bench-\(UUID().uuidString).pcap").path
        defer { unlink(path) }
        try run.bytes.write(to: URL(fileURLWithPath: path))
        let rows = try Tshark.fields(["sll.pkttype", "ip.src", "udp.srcport", "concord.type", "concord.flags.sealed", "concord.voice.seq"], of: path)
        #expect(rows.count == run.capture.datagrams.count)
        #expect(rows.allSatisfy { !$0[3].isEmpty }, "every datagram is Concord")
        let types = Set(rows.map { $0[3] })
        #expect(types.isSuperset(of: ["1", "4"]), "voice and handshakes: \(types)")
        #expect(rows.filter { $0[3] == "1" }.allSatisfy { $0[4] == "1" && !$0[5].isEmpty }, "voice is sealed, its header readable")
        #expect(Set(rows.map { $0[1] }) == ["10.147.17.10", "10.147.17.11"])
        #expect(Set(rows.map { $0[0] }) == ["0", "4"])
    }
}
