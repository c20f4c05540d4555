import ConcordTesting
import Crypto
import Foundation
import Testing

/// Every bundled scenario, run by `concord-bench` at a fixed seed, writes exactly the bytes it
/// wrote when the golden digests were recorded: every WAV (what each listener played of each
/// talker, and its mix), `report.csv`, and `report.json` without the fields that measure the
/// machine (wall clock, CPU, speed). A refactor must leave them all alone; a change that means
/// to alter what the engine does says so by recording new digests
/// (`CONCORD_RECORD_GOLDEN=1 swift test --filter GoldenOutputTests`) and explaining why.
///
/// Debug and release builds write the same bytes (no fast-math anywhere: the same float
/// operations in the same order), so the debug binary the tests build is a fair judge.
///
/// Machines differ, though: the same commit wrote other WAV bytes (sources identical, what was
/// decoded not) on an AVX-512 Xeon than on an AMD EPYC —
/// something under the engine dispatches on the CPU (not glibc's libm: its hwcaps tunables
/// changed nothing). So the digests are kept per kind of machine, `NAME.KIND.sha256`, KIND being
/// the CPU's model name as /proc/cpuinfo gives it, in lower case with dashes (`amd-epyc`); the
/// recording writes this machine's. On a kind with a recorded set the output must match it
/// exactly; on a kind without one the test can only check that two runs write the same bytes,
/// and says so on stderr.
@Suite struct GoldenOutputTests {
    static let seed = "7"

    /// Each scenario with the simulated seconds it runs for here: the whole of the four whose
    /// events (a partition and heal, link changes, loss) span their run; the first seconds of
    /// the two long performance scenarios, whose every second is alike (a debug build takes
    /// 2.5 and 10 minutes for their whole length; `scripts/bench-identical` compares them in full).
    static let runs: [(name: String, seconds: String?)] = [
        ("two-person-lan", nil), ("four-person-wifi-loss", nil), ("eight-person-partition", nil),
        ("eight-person-continuous", "10"), ("fifty-person-room", "5"), ("two-person-loss-steps", nil),
    ]

    /// This machine's kind: its CPU's model name, lower case, runs of other characters as one dash.
    static let machineKind: String = {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last } ?? "unknown"
        return model.lowercased().split { !($0.isASCII && ($0.isLetter || $0.isNumber)) }.joined(separator: "-")
    }()

    @Test(arguments: runs.map(\.name))
    func bundledScenarioWritesItsGoldenBytes(_ name: String) throws {
        let digests = try Self.run(name)
        let goldenDirectory = BenchFixtures.root.appendingPathComponent("fixtures/golden")
        let goldenFile = goldenDirectory.appendingPathComponent("\(name).\(Self.machineKind).sha256")
        if ProcessInfo.processInfo.environment["CONCORD_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: goldenDirectory, withIntermediateDirectories: true)
            try digests.map { "\($0.digest)  \($0.file)\n" }.joined().write(to: goldenFile, atomically: true, encoding: .utf8)
            return
        }
        guard FileManager.default.fileExists(atPath: goldenFile.path) else {
            let again = try Self.run(name)
            FileHandle.standardError.write(Data(
                "GoldenOutputTests: no digests recorded for this kind of machine (\(Self.machineKind)); \(name) checked for writing the same bytes twice only\n".utf8))
            #expect(again.map(\.digest) == digests.map(\.digest), "\(name): two runs on this machine wrote different bytes")
            return
        }
        let golden = try String(contentsOf: goldenFile, encoding: .utf8).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 1)
            return (digest: String(parts[0]), file: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
        }
        try #require(digests.map(\.file) == golden.map(\.file), "\(name): the files written differ from \(goldenFile.lastPathComponent)")
        let changed = zip(digests, golden).filter { $0.0.digest != $0.1.digest }.map(\.0.file)
        #expect(changed.isEmpty, "\(name): against \(goldenFile.lastPathComponent), \(changed.joined(separator: ", ")) changed")
    }

    /// Runs scenario `name` at the golden seed and returns its outputs' digests.
    static func run(_ name: String) throws -> [(file: String, digest: String)] {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-golden-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let seconds = runs.first { $0.name == name }?.seconds
        let run = try BuiltProduct.concordBench.run(
            // Unscored: the engine's bytes are what this test guards; ViSQOL's scores have their
            // own tests, and scoring these runs would take minutes in a debug build.
            ["run", "fixtures/\(name).scenario.json", "--seed", seed, "--quiet", "--out", out.path, "--speech-quality", "none"]
                + (seconds.map { ["--duration", $0] } ?? []), in: BenchFixtures.root)
        try #require(run.status == 0, "\(run.output)")
        return try digests(of: out)
    }

    /// SHA-256 of each output file, by name; report.json's is of its canonical form without the
    /// machine's fields (sorted keys, every key naming wall time, CPU or speed removed).
    static func digests(of directory: URL) throws -> [(file: String, digest: String)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var out: [(String, String)] = []
        for name in names where name.hasSuffix(".wav") || name == "report.csv" {
            out.append((name, hex(SHA256.hash(data: try Data(contentsOf: directory.appendingPathComponent(name))))))
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("report.json")))
        let canonical = try JSONSerialization.data(withJSONObject: withoutMachineFields(json), options: [.sortedKeys])
        out.append(("report.json", hex(SHA256.hash(data: canonical))))
        return out
    }

    static func withoutMachineFields(_ node: Any) -> Any {
        if let object = node as? [String: Any] {
            var kept: [String: Any] = [:]
            for (key, value) in object where !["wall", "cpu", "speed_factor"].contains(where: { key.contains($0) }) {
                kept[key] = withoutMachineFields(value)
            }
            return kept
        }
        if let array = node as? [Any] { return array.map(withoutMachineFields) }
        return node
    }

    static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
