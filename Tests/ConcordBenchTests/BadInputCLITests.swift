import ConcordTesting
import Foundation
import Testing

/// Every `concord-bench` subcommand fed bad input, run as a process: each must end with a plain
/// sentence on stderr and an exit status of 1 (a failure) or 64 (misuse), never a signal (a
/// trap, a precondition, an integer overflow) and never a Foundation error dump.
@Suite struct BadInputCLITests {
    /// Files the cases refer to, made once in a temporary folder.
    final class Inputs: Sendable {
        let dir: String
        init() throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-bad-input-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            func write(_ name: String, _ data: Data) throws { try data.write(to: URL(fileURLWithPath: "\(dir)/\(name)")) }
            try write("corrupt.wav", Data("RIFF garbage, not a wave".utf8))
            try write("truncated.wav", Self.truncatedWAV(announcedSeconds: 8, presentMilliseconds: 10))
            try write("bad.json", Data("{\n  \"duration_seconds\": 5,\n  \"participants\": [,]\n}\n".utf8))
            try write("unknown-key.json", Data(#"{"participants": [{"name": "a", "wav": "\#(BenchFixtures.path("a.wav"))"}, {"name": "b"}], "colour": "red"}"#.utf8))
            let many = (0..<300).map { #"{"name": "p\#($0)"\#($0 < 2 ? #", "wav": "\#(BenchFixtures.path("a.wav"))""# : "")}"# }
            try write("many.json", Data(#"{"participants": [\#(many.joined(separator: ","))]}"#.utf8))
            try write(
                "long-room.json",
                Data(#"{"room": {"id": "\#(String(repeating: "r", count: 40))"}, "participants": [{"name": "a", "wav": "\#(BenchFixtures.path("a.wav"))"}, {"name": "b"}]}"#.utf8))
            try write("plain-file", Data("not a folder".utf8))
            try write(
                "drift.json",
                Data(#"{"participants": [{"name": "a", "wav": "\#(BenchFixtures.path("a.wav"))", "clock_ppm": 100}, {"name": "b"}]}"#.utf8))
            try write(
                "priced.json",
                Data(#"{"jitter_buffer": {"late_loss_worth_ms": 4000}, "participants": [{"name": "a", "wav": "\#(BenchFixtures.path("a.wav"))"}, {"name": "b"}]}"#.utf8))
            try write(
                "aec3-alone.json",
                Data(
                    #"{"audio_processing": {"residual_echo_suppression": false}, "participants": [{"name": "a", "wav": "\#(BenchFixtures.path("a.wav"))"}, {"name": "b"}]}"#
                        .utf8))
        }

        /// A 48 kHz mono 16-bit WAV whose header announces `announcedSeconds` of audio but whose
        /// data stops after `presentMilliseconds`: a copy cut short.
        static func truncatedWAV(announcedSeconds: Int, presentMilliseconds: Int) -> Data {
            func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
            func le16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8((v >> (8 * $0)) & 0xFF) } }
            let announced = announcedSeconds * 48_000 * 2
            let present = presentMilliseconds * 48 * 2
            var bytes: [UInt8] = Array("RIFF".utf8)
            bytes += le32(36 + announced)
            bytes += Array("WAVEfmt ".utf8)
            // PCM, mono, 48 kHz, 96 000 bytes/s, 2 bytes a frame, 16 bits.
            for field in [le32(16), le16(1), le16(1), le32(48_000), le32(96_000), le16(2), le16(16)] { bytes += field }
            bytes += Array("data".utf8)
            bytes += le32(announced)
            for n in 0..<present / 2 {
                let sample = Int16(8000 * sin(Double(n) * 0.05))
                bytes += le16(Int(UInt16(bitPattern: sample)))
            }
            return Data(bytes)
        }

        func path(_ name: String) -> String { "\(dir)/\(name)" }
        var unwritable: String { "\(dir)/plain-file/out" }
        func out() -> String { "\(dir)/out-\(UUID().uuidString)" }
    }

    static let inputs = Result { try Inputs() }

    /// The cases: arguments (with `$DIR` for the inputs' folder, `$OUT` for a fresh output
    /// folder) and a phrase the message must contain.
    static let cases: [(arguments: [String], message: String)] = [
        // run
        (["run", "$DIR/missing.json", "--out", "$OUT"], "cannot read file"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=$DIR/missing.wav", "--out", "$OUT"], "missing.wav"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=$DIR/corrupt.wav", "--out", "$OUT"], "corrupt.wav"),
        (["run", "--participant", "a=fixtures/a.wav", "--participant", "b=$DIR/truncated.wav", "--out", "$OUT"], "480 frames found, 384000 announced"),
        (["run", "$DIR/bad.json", "--out", "$OUT"], "line 3, column"),
        (["run", "$DIR/unknown-key.json", "--out", "$OUT"], "colour: unknown key"),
        (["run", "fixtures/two-person-lan.scenario.json", "--delay-ms", "-5", "--out", "$OUT"], "--delay-ms must be within 0...60000 ms, not -5"),
        (["run", "fixtures/two-person-lan.scenario.json", "--duration", "-1", "--out", "$OUT"], "--duration must be more than 0 and at most 3600 s"),
        (["run", "fixtures/two-person-lan.scenario.json", "--duration", "1e9", "--out", "$OUT"], "at most 3600 s"),
        (["run", "fixtures/two-person-lan.scenario.json", "--jitter-ms", "-2", "--out", "$OUT"], "--jitter-ms must be within"),
        (["run", "fixtures/two-person-lan.scenario.json", "--jitter-buffer", "neteq", "--jb-min-ms", "40", "--out", "$OUT"],
         "--jb-min-ms sets Concord's jitter buffer"),
        (["run", "fixtures/two-person-lan.scenario.json", "--jitter-buffer", "neteq", "--jb-max-ms", "400", "--out", "$OUT"],
         "--jb-max-ms sets Concord's jitter buffer"),
        (["run", "fixtures/two-person-lan.scenario.json", "--loss", "101", "--out", "$OUT"], "--loss must be within 0...100"),
        (["run", "fixtures/two-person-lan.scenario.json", "--bitrate", "-5", "--out", "$OUT"], "codec.bitrate: -5 is out of range"),
        (["run", "fixtures/two-person-lan.scenario.json", "--redundancy", "99", "--out", "$OUT"], "codec.redundancy: 99 is out of range"),
        (["run", "fixtures/two-person-lan.scenario.json", "--copy-bitrate", "500", "--out", "$OUT"], "codec.copy_bitrate: 500 is out of range"),
        (["run", "fixtures/two-person-loss-steps.scenario.json", "--fec", "--out", "$OUT"], "codec.fec: cannot be set with"),
        (["run", "fixtures/two-person-lan.scenario.json", "--protection", "sometimes", "--out", "$OUT"], "sometimes"),
        (["run", "fixtures/two-person-lan.scenario.json", "--seed", "-1", "--out", "$OUT"], "--seed"),
        (["run", "$DIR/many.json", "--out", "$OUT"], "300 participants; at most 245"),
        (["run", "$DIR/long-room.json", "--out", "$OUT"], "room.id: is 40 bytes; must be 1 to 32 bytes"),
        (["run", "fixtures/two-person-lan.scenario.json", "--out", "$UNWRITABLE"], "--out $UNWRITABLE"),
        // trace
        (["trace", "--trace", "$DIR/missing.csv", "--input", "fixtures/a.wav", "--out", "$OUT"], "missing.csv"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "$DIR/truncated.wav", "--out", "$OUT"], "384000 announced"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "$DIR/corrupt.wav", "--out", "$OUT"], "corrupt.wav"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "fixtures/a.wav", "--duration", "-1", "--out", "$OUT"], "--duration must be"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "fixtures/a.wav", "--bitrate", "-5", "--out", "$OUT"], "codec.bitrate"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "fixtures/a.wav", "--delay-ms", "5", "--out", "$OUT"], "--delay-ms"),
        (["trace", "--trace", "fixtures/traces/4g-20s.csv", "--input", "fixtures/a.wav", "--duration", "1", "--out", "$UNWRITABLE"], "--out $UNWRITABLE"),
        // sweep
        (["sweep", "$DIR/bad.json", "--parameter", "loss", "--values", "1", "--out", "$OUT"], "line 3, column"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=$DIR/truncated.wav", "--parameter", "loss", "--values", "1", "--out", "$OUT"], "384000 announced"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--parameter", "loss", "--values", "1", "--seeds", "-1", "--out", "$OUT"], "--seeds must be within 1...1000"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--parameter", "delay-ms", "--values", "-5", "--out", "$OUT"], "delay_ms: -5.0 is out of range"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--parameter", "loss", "--values", "150", "--out", "$OUT"], "loss_percent: 150.0 is out of range"),
        (["sweep", "$DIR/many.json", "--parameter", "loss", "--values", "1", "--out", "$OUT"], "at most 245"),
        (["sweep", "--participant", "a=fixtures/a.wav", "--participant", "b=fixtures/b.wav", "--duration", "1", "--parameter", "loss", "--values", "1", "--out", "$UNWRITABLE"], "--out $UNWRITABLE"),
        // record-trace
        (["record-trace", "--network", "4g", "--duration", "1", "--out", "/dev/full"], "No space left on device"),
        (["record-trace", "--network", "4g", "--duration", "1", "--out", "$UNWRITABLE"], "--out $UNWRITABLE cannot be written"),
        (["record-trace", "--network", "4g", "--duration", "-1", "--out", "$OUT"], "--duration must be more than 0"),
        (["record-trace", "--network", "moon", "--duration", "1", "--out", "$OUT"], "unknown preset"),
        // relay
        (["relay", "$DIR/missing.json", "--duration", "1"], "cannot read file"),
        (["relay", "$DIR/unknown-key.json", "--duration", "1"], "colour: unknown key"),
        (["relay", "fixtures/two-person-lan.scenario.json", "--port", "0"], "--port 0: must be 1 to 65535"),
        (["relay", "fixtures/two-person-lan.scenario.json", "--duration", "-1"], "--duration"),
        (["relay", "fixtures/two-person-lan.scenario.json", "--duration", "1", "--stats-json", "$UNWRITABLE"], "--stats-json $UNWRITABLE"),
        (["relay", "fixtures/two-person-lan.scenario.json", "--loss", "200", "--duration", "1"], "--loss must be within 0...100"),
        // run --live: what real clients cannot do is refused before anything starts
        (["run", "--live", "$DIR/drift.json", "--out", "$OUT"], "participants[0].clock_ppm: real clients play on this machine's clock"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--jitter-buffer", "neteq", "--out", "$OUT"], "jitter_buffer.mode"),
        (["run", "--live", "$DIR/aec3-alone.json", "--out", "$OUT"], "audio_processing.residual_echo_suppression"),
        (["run", "--live", "$DIR/priced.json", "--out", "$OUT"], "jitter_buffer.late_loss_worth_ms"),
        (["run", "--live", "fixtures/two-person-laptop-echo.scenario.json", "--out", "$OUT"], "participants[0].acoustics: real clients capture from WAV files"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--frame-ms", "40", "--out", "$OUT"], "codec.frame_ms"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--redundancy", "1", "--out", "$OUT"], "codec.redundancy"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--client", "$DIR/plain-file", "--out", "$OUT"], "cannot run the client"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--pcap", "$OUT/x.pcap"], "--pcap records a virtual-time run"),
        (["run", "fixtures/two-person-lan.scenario.json", "--client", "concord"], "--client is for --live runs"),
        (["run", "--live", "fixtures/two-person-lan.scenario.json", "--relay-port", "70000"], "--relay-port 70000: must be 1 to 65535"),
        // presets
        (["presets", "--bogus"], "Unknown option '--bogus'"),
    ]

    @Test(arguments: cases.indices)
    func badInputEndsWithAPlainMessageAndNoSignal(index: Int) throws {
        let inputs = try Self.inputs.get()
        let (template, phrase) = Self.cases[index]
        func fill(_ text: String) -> String {
            text.replacingOccurrences(of: "$DIR", with: inputs.dir).replacingOccurrences(of: "$UNWRITABLE", with: inputs.unwritable)
                .replacingOccurrences(of: "$OUT", with: inputs.out())
        }
        let arguments = template.map(fill)
        let message = fill(phrase)
        let result = try Self.run(arguments)
        let shown = "\(arguments.joined(separator: " ")) → status \(result.status), reason \(result.reason):\n\(result.stderr)"
        #expect(result.reason == .exit, "ended by a signal: \(shown)")
        #expect(result.status == 1 || result.status == 64, "\(shown)")
        #expect(result.stderr.contains(message), "\(shown)")
        for dump in ["NSCocoaErrorDomain", "Fatal error", "UserInfo=", "Stack dump"] {
            #expect(!result.stderr.contains(dump), "\(shown)")
        }
    }

    static func run(_ arguments: [String]) throws -> BuiltProduct.Finished {
        try BuiltProduct.concordBench.run(arguments, in: BenchFixtures.root)
    }
}
