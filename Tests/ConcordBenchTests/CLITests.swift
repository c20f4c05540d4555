import ConcordTesting
import Foundation
import Testing

/// The `concord-bench` executable itself: misuse and bad input give a clear message and a
/// non-zero exit before any long work.
@Suite struct CLITests {
    static func run(_ arguments: [String]) throws -> BuiltProduct.Finished {
        try BuiltProduct.concordBench.run(arguments, in: BenchFixtures.root)
    }

    @Test(arguments: [
        (["run"], "at least two --participant"),
        (["run", "--participant", "alice"], "NAME=WAV"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/missing.wav"], "missing.wav"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--network", "moon"], "unknown preset"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--delay-ms=-3"], "--delay-ms must be within 0...60000"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--loss", "150"], "--loss must be within 0...100"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--jitter-buffer", "big"], "fixed:MS"),
        (["trace", "--trace", "fixtures/missing.csv", "--input", "fixtures/a.wav"], "missing.csv"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--parameter", "loss", "--values", "1,x"], "not a number"),
        (["run", "/nonexistent.json"], "cannot read file"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--pcap", "/nonexistent-dir/x.pcap"],
         "--pcap /nonexistent-dir/x.pcap cannot be written: No such file or directory"),
    ])
    func misuseFailsWithAClearMessage(arguments: [String], message: String) throws {
        let result = try Self.run(arguments)
        #expect(result.status != 0)
        #expect(result.output.contains(message), "\(result.output)")
    }

    @Test func quickRunWritesAReport() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-cli-\(UUID().uuidString)").path
        let result = try Self.run([
            "run", "--participant", "alice=fixtures/a.wav", "--participant", "bob=fixtures/b.wav", "--network", "wifi",
            "--duration", "3", "--out", out,
        ])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("alice"))
        #expect(FileManager.default.fileExists(atPath: "\(out)/report.html"))
    }
}

extension CLITests {
    @Test func traceReplaysTheBundledTrace() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-trace-\(UUID().uuidString)").path
        let result = try Self.run([
            "trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "fixtures/a.wav", "--duration", "4", "--out", out,
        ])
        #expect(result.status == 0, "\(result.output)")
        // One talker, one listener: one stream.
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(out)/report.json"))) as! [String: Any]
        let streams = report["streams"] as! [[String: Any]]
        #expect(streams.count == 1)
        #expect(streams[0]["from"] as? String == "talker")
        // The trace's one-way delays are 35 ms ± jitter: latency must include them.
        let latency = (streams[0]["latency_ms"] as! [String: Any])["mean"] as! Double
        #expect(latency > 20 + 6.5 + 35)
    }

    @Test func sweepWritesOneRowPerValue() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-sweep-\(UUID().uuidString)").path
        let result = try Self.run([
            "sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--duration", "2",
            "--parameter", "loss", "--values", "0,20", "--seeds", "2", "--out", out, "--quiet",
        ])
        #expect(result.status == 0, "\(result.output)")
        let csv = try String(contentsOfFile: "\(out)/sweep.csv", encoding: .utf8)
        #expect(csv.split(whereSeparator: \.isNewline).count == 3)  // header + a row per value
        #expect(FileManager.default.fileExists(atPath: "\(out)/sweep.html"))
    }
}
