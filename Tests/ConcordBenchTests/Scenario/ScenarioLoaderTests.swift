import Foundation
import Testing
@testable import ConcordBench

/// Paths of the repository's fixtures, and a scratch folder for broken scenario files.
enum BenchFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static func path(_ name: String) -> String { root.appendingPathComponent("fixtures/\(name)").path }

    /// Writes `json` into a temporary folder that also holds a copy-free link to the fixture WAVs.
    static func scenarioFile(_ json: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for wav in ["a.wav", "b.wav"] {
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent(wav).path, withDestinationPath: path(wav))
        }
        let file = dir.appendingPathComponent("s.json").path
        try json.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

@Suite struct ScenarioLoaderTests {
    @Test(arguments: ["two-person-lan", "four-person-wifi-loss", "eight-person-partition", "eight-person-continuous", "two-person-loss-steps", "two-person-bottleneck", "two-person-uplink-bottleneck", "two-person-laptop-echo"])
    func exampleScenariosLoad(name: String) throws {
        let s = try ScenarioLoader.load(path: BenchFixtures.path("\(name).scenario.json"))
        #expect(s.name == name)
        #expect(s.participants.count >= 2)
        #expect(s.participants.allSatisfy { $0.wavPath.map { FileManager.default.fileExists(atPath: $0) } ?? true })
    }

    /// `scripts/echo-rooms`' rooms, every one with its files where it says.
    @Test func echoRoomsLoad() throws {
        let directory = BenchFixtures.path("echo-rooms")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".scenario.json") }.sorted()
        #expect(names.count == 6)
        for file in names {
            let s = try ScenarioLoader.load(path: directory + "/" + file)
            #expect(s.name + ".scenario.json" == file)
            #expect(s.participants.count == 2)
            #expect(s.participants.allSatisfy { $0.wavPath.map { FileManager.default.fileExists(atPath: $0) } ?? false })
            #expect(s.participants.allSatisfy { $0.acoustics?.noisePath.map { FileManager.default.fileExists(atPath: $0) } ?? true })
        }
    }

    @Test func defaultsAndOverrides() throws {
        let file = try BenchFixtures.scenarioFile("""
            {"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav", "talk": [[1, 2.5]]}],
             "codec": {"fec": true}, "jitter_buffer": {"mode": "fixed", "fixed_ms": 60},
             "network": {"links": {"preset": "4g", "loss_percent": 2, "delay_ms": 50}}}
            """)
        let s = try ScenarioLoader.load(path: file)
        #expect(s.durationSeconds == 30 && s.seed == 1)
        #expect(s.codec.inbandFEC && s.codec.expectedLossPercent == 10)
        #expect(s.jitterBuffer.mode == .fixed(milliseconds: 60))
        #expect(s.defaultConditions.delay == .milliseconds(50))
        #expect(s.defaultConditions.loss == .bernoulli(0.02))
        #expect(s.participants[1].talk == [1..<2.5])
        #expect(s.networkSummary == "4g+custom")
        #expect(s.jitterBufferSummary == "concord fixed 60 ms")
    }

    /// Adaptive protection: copies at half the primary's bitrate unless set, never below 8 kbit/s.
    @Test func adaptiveProtectionResolvesItsCopyBitrate() throws {
        for (codec, expected) in [(#"{"protection": "adaptive"}"#, 16_000), (#"{"protection": "adaptive", "bitrate": 12000}"#, 8_000),
                                  (#"{"protection": "adaptive", "copy_bitrate": 24000}"#, 24_000)] {
            let file = try BenchFixtures.scenarioFile(
                #"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": "# + codec + "}")
            let s = try ScenarioLoader.load(path: file)
            #expect(s.adaptiveProtection && s.copyBitrate == expected, "\(codec)")
        }
        let fixed = try ScenarioLoader.load(path: BenchFixtures.path("two-person-lan.scenario.json"))
        #expect(!fixed.adaptiveProtection && fixed.copyBitrate == nil)
    }

    /// The report says what played the streams, with the bounds a scenario changed.
    @Test(arguments: [
        (#"{}"#, "concord adaptive"),
        (#"{"min_ms": 40, "max_ms": 400}"#, "concord adaptive, min 40 ms, max 400 ms"),
        (#"{"late_loss_worth_ms": 4000}"#, "concord adaptive, late loss worth 4000 ms"),
        (#"{"mode": "neteq"}"#, "neteq"),
    ])
    func jitterBufferSummary(settings: String, summary: String) throws {
        let file = try BenchFixtures.scenarioFile(
            #"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": "#
                + settings + "}")
        #expect(try ScenarioLoader.load(path: file).jitterBufferSummary == summary)
    }

    /// Each broken scenario is rejected naming the field and the reason.
    @Test(arguments: [
        (#"{"participants": [{"name": "a", "wav": "a.wav"}]}"#, "participants", "at least 2"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "nope.wav"}]}"#, "participants[1].wav", "nope.wav"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "a", "wav": "b.wav"}]}"#, "participants[1].name", "used twice"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "network": {"links": {"preset": "moon"}}}"#, "network.links.preset", "unknown preset"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "network": {"links": {"delay_ms": -5}}}"#, "network.links.delay_ms", "out of range"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "network": {"links": {"loss_percent": 120}}}"#, "network.links.loss_percent", "0...100"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "network": {"links": {"jiter_ms": 5}}}"#, "network.links.jiter_ms", "unknown key"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"frame_ms": 15}}"#, "codec.frame_ms", "10, 20, 40, 60"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"bitrate": "fast"}}"#, "codec.bitrate", "expected an integer"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"application": "audio"}}"#, "codec.application", #""audio" is not one of voip, restricted_low_delay"#),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"protection": "adaptive", "fec": true}}"#, "codec.fec", "cannot be set with \"protection\": \"adaptive\""),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"protection": "adaptive", "redundancy": 1}}"#, "codec.redundancy", "chooses FEC and copies itself"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"protection": "sometimes"}}"#, "codec.protection", #""sometimes" is not one of fixed, adaptive"#),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "codec": {"copy_bitrate": 500}}"#, "codec.copy_bitrate", "6000...510000"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "fixed"}}"#, "jitter_buffer.fixed_ms", "required"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "elastic"}}"#, "jitter_buffer.mode", #""elastic" is not one of adaptive, fixed, neteq"#),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "neteq", "min_ms": 40}}"#, "jitter_buffer.min_ms", "mode neteq runs WebRTC's NetEq"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "neteq", "max_ms": 400}}"#, "jitter_buffer.max_ms", "sets Concord's jitter buffer"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "neteq", "fixed_ms": 60}}"#, "jitter_buffer.fixed_ms", "sets Concord's jitter buffer"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "neteq", "initial_ms": 60}}"#, "jitter_buffer.initial_ms", "sets Concord's jitter buffer"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"mode": "neteq", "late_loss_worth_ms": 4000}}"#, "jitter_buffer.late_loss_worth_ms", "sets Concord's jitter buffer"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "jitter_buffer": {"late_loss_worth_ms": 0}}"#, "jitter_buffer.late_loss_worth_ms", "> 0 and finite"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "network": {"events": [{"at_seconds": 5, "action": "partition", "groups": [["a"], ["zed"]]}]}}"#, "network.events[0].groups[1][0]", "not a participant"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}], "duration_seconds": 10, "network": {"events": [{"at_seconds": 50, "action": "heal"}]}}"#, "network.events[0].at_seconds", "outside the run"),
        (#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "b.wav"}"#, "", "not valid JSON"),
        (#"{"duration_seconds": 10}"#, "participants", "required field is missing"),
    ])
    func invalidScenarioNamesFileFieldAndReason(json: String, field: String, reason: String) throws {
        let file = try BenchFixtures.scenarioFile(json)
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
        #expect(error?.file == file)
        #expect(error?.field == field)
        #expect(error?.reason.contains(reason) == true, "reason: \(error?.reason ?? "")")
    }

    @Test func corruptWAVIsRejectedWithTheFile() throws {
        let file = try BenchFixtures.scenarioFile(#"{"participants": [{"name": "a", "wav": "a.wav"}, {"name": "b", "wav": "bad.wav"}]}"#)
        let bad = URL(fileURLWithPath: file).deletingLastPathComponent().appendingPathComponent("bad.wav").path
        try Data("RIFF garbage, not a wave".utf8).write(to: URL(fileURLWithPath: bad))
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: file) }
        #expect(error?.field == "participants[1].wav")
        #expect(error?.reason.contains("bad.wav") == true)
    }

    @Test func missingScenarioFile() {
        let error = #expect(throws: ScenarioError.self) { try ScenarioLoader.load(path: "/nonexistent/x.json") }
        #expect(error?.description.hasPrefix("/nonexistent/x.json: cannot read file") == true)
    }
}
