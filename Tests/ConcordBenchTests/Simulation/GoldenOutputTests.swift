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
/// decoded not) on a second machine of this project's kind (an AVX-512 Xeon) than where the
/// digests were first recorded — something under the engine dispatches on the CPU (not glibc's
/// libm: its hwcaps tunables changed nothing). So a scenario may have several recorded sets,
/// `NAME.sha256` and `NAME.LABEL.sha256` (recorded with `CONCORD_GOLDEN_SET=LABEL`), and the
/// output must match one of them exactly; a change to the engine's bytes matches none.
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

    @Test(arguments: runs.map(\.name))
    func bundledScenarioWritesItsGoldenBytes(_ name: String) throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("concord-golden-\(name)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: out) }
        let seconds = Self.runs.first { $0.name == name }?.seconds
        let run = try BuiltProduct.concordBench.run(
            // Unscored: the engine's bytes are what this test guards; ViSQOL's scores have their
            // own tests, and scoring these runs would take minutes in a debug build.
            ["run", "fixtures/\(name).scenario.json", "--seed", Self.seed, "--quiet", "--out", out.path, "--speech-quality", "none"]
                + (seconds.map { ["--duration", $0] } ?? []), in: BenchFixtures.root)
        try #require(run.status == 0, "\(run.output)")
        let digests = try Self.digests(of: out)
        let goldenDirectory = BenchFixtures.root.appendingPathComponent("fixtures/golden")
        let label = ProcessInfo.processInfo.environment["CONCORD_GOLDEN_SET"].map { ".\($0)" } ?? ""
        let goldenFile = goldenDirectory.appendingPathComponent("\(name)\(label).sha256")
        if ProcessInfo.processInfo.environment["CONCORD_RECORD_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(
                at: goldenFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try digests.map { "\($0.digest)  \($0.file)\n" }.joined().write(to: goldenFile, atomically: true, encoding: .utf8)
            return
        }
        let sets = try FileManager.default.contentsOfDirectory(atPath: goldenDirectory.path)
            .filter { $0 == "\(name).sha256" || ($0.hasPrefix("\(name).") && $0.hasSuffix(".sha256") && $0.split(separator: ".").count == 3) }
            .sorted()
        try #require(!sets.isEmpty, "no golden digests for \(name)")
        var closest: (set: String, changed: [String])?
        for set in sets {
            let golden = try String(contentsOf: goldenDirectory.appendingPathComponent(set), encoding: .utf8).split(separator: "\n").map { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (digest: String(parts[0]), file: parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : "")
            }
            guard digests.map(\.file) == golden.map(\.file) else {
                if closest == nil { closest = (set, ["the files written differ"]) }
                continue
            }
            let changed = zip(digests, golden).filter { $0.0.digest != $0.1.digest }.map(\.0.file)
            if changed.isEmpty { return }
            if changed.count < closest?.changed.count ?? Int.max { closest = (set, changed) }
        }
        Issue.record("\(name): matches none of \(sets.joined(separator: ", ")); against \(closest?.set ?? "?"): \(closest?.changed.joined(separator: ", ") ?? "") changed")
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
