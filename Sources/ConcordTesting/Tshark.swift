import Foundation

/// Wireshark's command-line reader, when this machine has it (Debian `tshark`, installed by
/// `scripts/install-deps`), with the repository's Concord dissector loaded.
public enum Tshark {
    /// The executable, or nil when tshark is not installed.
    public static let path: String? = ["/usr/bin/tshark", "/usr/local/bin/tshark", "/opt/homebrew/bin/tshark"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    public static var isInstalled: Bool { path != nil }

    /// `tools/wireshark/concord.lua` in this source tree.
    public static var dissector: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("tools/wireshark/concord.lua").path
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// One line per packet of `file` (after `filter`), the `fields` separated by tabs, as
    /// `tshark -X lua_script:concord.lua -r FILE -T fields -e …` prints them. Checksum
    /// validation is on, so `ip.checksum.status` and `udp.checksum.status` say 1 (good).
    public static func fields(_ fields: [String], of file: String, filter: String? = nil) throws -> [[String]] {
        guard let path else { throw Failure(description: "tshark is not installed") }
        var arguments = [
            "-n", "-X", "lua_script:\(dissector)", "-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
            "-r", file, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,",
        ]
        if let filter { arguments += ["-Y", filter] }
        for field in fields { arguments += ["-e", field] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        // tshark wants a writable home for its profile; the test's may be read-only.
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = FileManager.default.temporaryDirectory.path
        process.environment = environment
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = String(decoding: stderr, as: UTF8.self)
        // tshark reports a broken Lua script on stderr and carries on: that is a failure here.
        guard process.terminationStatus == 0, !errors.contains("Lua"), !errors.contains("lua") else {
            throw Failure(description: "tshark exited \(process.terminationStatus): \(errors)")
        }
        return String(decoding: stdout, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "\t", omittingEmptySubsequences: false).map(String.init) }
    }
}
