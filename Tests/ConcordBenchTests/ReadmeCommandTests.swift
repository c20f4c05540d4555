import ConcordTesting
import Foundation
import Testing

/// Every `concord-bench` and `simnet-bench` command in the README's shell blocks, run as the
/// README writes it, from the repository root: the README may document only what works. Two
/// changes keep a debug build to seconds — simulated time is capped at 3 s (`--duration`,
/// `--seconds`, one seed per sweep value; a relay relays for a second on a random port) and
/// outputs go to a scratch folder — and `--quiet`
/// keeps progress lines out of the log. (`concord` commands need devices, ZeroTier or other
/// clients; the namespace, three-client, ZeroTier CLI and device tests run those.)
@Suite struct ReadmeCommandTests {
    struct Command: CustomTestStringConvertible, Sendable {
        var words: [String]
        var testDescription: String { words.joined(separator: " ") }
    }

    static let readme = BenchFixtures.root.appendingPathComponent("README.md")

    /// The README's shell lines whose program is one of the bench binaries.
    static func documentedCommands() -> [Command] {
        guard let text = try? String(contentsOf: readme, encoding: .utf8) else { return [] }
        var commands: [Command] = []
        var inShell = false
        var pending = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            if line.hasPrefix("```") {
                inShell = line.hasPrefix("```sh")
                continue
            }
            guard inShell else { continue }
            var content = line
            if let hash = content.range(of: " #") ?? (content.hasPrefix("#") ? content.range(of: "#") : nil) {
                content = String(content[..<hash.lowerBound])
            }
            content = content.trimmingCharacters(in: .whitespaces)
            if content.hasSuffix("\\") {
                pending += content.dropLast() + " "
                continue
            }
            let full = (pending + content).trimmingCharacters(in: .whitespaces)
            pending = ""
            var words = full.split(separator: " ").map(String.init)
            guard let first = words.first else { continue }
            let program = first.split(separator: "/").last.map(String.init) ?? first
            guard ["concord-bench", "simnet-bench"].contains(program), !full.contains("…") else { continue }
            words[0] = program
            commands.append(Command(words: words))
        }
        return commands
    }

    @Test func theReadmeDocumentsBenchCommands() {
        let commands = Self.documentedCommands()
        #expect(commands.count >= 6, "found \(commands.map(\.testDescription))")
        let subcommands = Set(commands.filter { $0.words[0] == "concord-bench" }.compactMap { $0.words.dropFirst().first })
        #expect(subcommands.isSuperset(of: ["run", "trace", "sweep", "record-trace", "presets"]), "\(subcommands)")
    }

    @Test(arguments: documentedCommands())
    func documentedCommandRuns(_ command: Command) throws {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("concord-readme-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        var words = Array(command.words.dropFirst())
        let subcommand = command.words[0] == "concord-bench" ? words.first : nil
        func replace(_ option: String, with value: (String) -> String) -> Bool {
            guard let i = words.firstIndex(of: option), i + 1 < words.count else { return false }
            words[i + 1] = value(words[i + 1])
            return true
        }
        let cap = { (value: String) in "\(min(Double(value) ?? 3, 3))" }
        var output: URL?
        switch subcommand {
        case "run", "trace", "sweep", "compare":
            output = scratch.appendingPathComponent("out")
            if !replace("--out", with: { _ in output!.path }) { words += ["--out", output!.path] }
            if subcommand != "trace", !replace("--duration", with: cap) { words += ["--duration", "3"] }
            if !replace("--seeds", with: { _ in subcommand == "compare" ? "2" : "1" }) && subcommand == "compare" {
                words += ["--seeds", "2"]
            }
            if !words.contains("--quiet") { words.append("--quiet") }
            _ = replace("--pcap") { scratch.appendingPathComponent(URL(fileURLWithPath: $0).lastPathComponent).path }
            if words.contains("--live") {
                // Real clients through a relay of its own: a port of its own too.
                let port = "\(30_000 + Int.random(in: 0..<20_000))"
                if !replace("--relay-port", with: { _ in port }) { words += ["--relay-port", port] }
            }
        case "record-trace":
            output = scratch.appendingPathComponent("trace.csv")
            if !replace("--out", with: { _ in output!.path }) { words += ["--out", output!.path] }
            _ = replace("--duration", with: cap)
        case "relay":
            // A second of relaying, on a port of its own.
            if !replace("--duration", with: { _ in "1" }) { words += ["--duration", "1"] }
            let port = "\(30_000 + Int.random(in: 0..<20_000))"
            if !replace("--port", with: { _ in port }) { words += ["--port", port] }
            if !words.contains("--quiet") { words.append("--quiet") }
        default:
            _ = replace("--seconds", with: { _ in "1" })
        }
        let finished = try BuiltProduct(command.words[0]).run(words, in: BenchFixtures.root)
        let log = finished.output
        #expect(finished.reason == .exit && finished.status == 0, "\(words.joined(separator: " ")):\n\(log)")
        switch subcommand {
        case "run", "trace":
            #expect(FileManager.default.fileExists(atPath: output!.appendingPathComponent("report.json").path), "\(log)")
        case "sweep":
            #expect(FileManager.default.fileExists(atPath: output!.appendingPathComponent("sweep.csv").path), "\(log)")
        case "compare":
            #expect(FileManager.default.fileExists(atPath: output!.appendingPathComponent("compare.csv").path), "\(log)")
        case "record-trace":
            let trace = (try? String(contentsOf: output!, encoding: .utf8)) ?? ""
            #expect(trace.split(separator: "\n").count > 10, "\(log)")
        case "presets":
            #expect(log.contains("wifi") && log.contains("4g"), "\(log)")
        case "relay":
            #expect(log.contains("start each participant with") && log.contains("concord join"), "\(log)")
        default:
            #expect(!log.isEmpty)
        }
    }
}
