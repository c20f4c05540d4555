import ConcordTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every `concord` subcommand fed bad input: a plain sentence on stderr and exit 1 (a runtime
/// failure) or 64 (misuse), never a signal, never a Foundation error dump.
@Suite(.serialized) struct ConcordBadInputTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var arguments: [String]
        var status: Int32
        var message: String
        var testDescription: String { arguments.joined(separator: " ") }
    }

    static let scratch: URL = {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-bad-input-\(getpid())")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // A file that is not audio, and a WAV whose header promises 8 s but holds 10 ms.
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("corrupt.wav").path, contents: Data("RIFF junk".utf8))
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("truncated.wav").path, contents: truncatedWAV())
        // A ZeroTier home whose port has nothing listening.
        let zt = dir.appendingPathComponent("zt")
        try? FileManager.default.createDirectory(at: zt, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: zt.appendingPathComponent("authtoken.secret").path, contents: Data(String(repeating: "x", count: 24).utf8))
        _ = FileManager.default.createFile(atPath: zt.appendingPathComponent("zerotier-one.port").path, contents: Data("9".utf8))
        return dir
    }()

    static func path(_ name: String) -> String { scratch.appendingPathComponent(name).path }

    /// 16-bit mono 48 kHz, header for 8 s (768 000 bytes of data), 10 ms present.
    static func truncatedWAV() -> Data {
        var d = Data()
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        let dataBytes: UInt32 = 8 * 48_000 * 2
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes); d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(1); u32(48_000); u32(96_000); u16(2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        d.append(Data(repeating: 0, count: 960))
        return d
    }

    static let bind = ["--bind", "127.0.0.60", "--port", "7460", "--duration", "1"]

    static let cases: [Case] = [
        Case(arguments: [], status: 64, message: "USAGE"),
        Case(arguments: ["frobnicate"], status: 64, message: "frobnicate"),
        Case(arguments: ["join"], status: 64, message: "room"),
        Case(arguments: ["join", "r"], status: 64, message: "exactly one of --network NWID or --bind ADDR"),
        Case(arguments: ["join", "r", "--bind", "999.1.1.1"], status: 64, message: "not an IPv4 or IPv6 address"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--advertise", "relay"], status: 64, message: "--advertise relay: not an IPv4 or IPv6 address"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--expected-loss", "5"], status: 64, message: "--expected-loss sets what FEC plans for: give --fec with it"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--fec", "--expected-loss", "0"], status: 64, message: "--expected-loss 0: must be 1 to 100"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--fec", "--no-protection"], status: 64, message: "give --fec or --no-protection, not both"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--complexity", "11"], status: 64, message: "--complexity 11: must be 0 to 10"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--input-wav-start-ns", "5"], status: 64, message: "--input-wav-start-ns places the --input-wav file on the clock"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--input-wav", path("corrupt.wav"), "--input-wav-start-ns", "-9223372036854775808"], status: 64, message: "not within a day before to a minute after"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--input-wav", path("corrupt.wav"), "--input-wav-start-ns", "9223372036854775807"], status: 64, message: "not within a day before to a minute after"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--input-wav-start-ns", "soon"], status: 64, message: "soon"),
        Case(arguments: ["ui", "--port", "0"], status: 64, message: "--port 0: must be 1 to 65535"),
        Case(arguments: ["ui", "--name", String(repeating: "n", count: 33)], status: 64, message: "--name must be 1 to 32 bytes"),
        Case(arguments: ["ui", "--loop"], status: 64, message: "--loop plays the --input-wav file again"),
        Case(arguments: ["ui", "--duration", "0"], status: 64, message: "--duration 0.0: must be more than 0"),
        Case(arguments: ["ui", "--input-wav", path("corrupt.wav"), "--duration", "1"], status: 1, message: "Cannot read --input-wav"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--jb-max-ms", "20000"], status: 64, message: "--jb-min-ms/--jb-max-ms"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--jb-min-ms", "300", "--jb-max-ms", "200"], status: 64, message: "--jb-min-ms/--jb-max-ms"),
        Case(arguments: ["join", "r", "--network", "zz"], status: 64, message: "not a ZeroTier network id"),
        Case(arguments: ["join", String(repeating: "r", count: 40), "--bind", "127.0.0.60"], status: 64, message: "1 to 32 bytes"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--duration", "-1"], status: 64, message: "--duration -1.0: must be more than 0"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--duration", "1e9"], status: 64, message: "at most"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--bitrate", "-5"], status: 64, message: "--bitrate -5: must be 6000 to 510000"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--port", "-5"], status: 64, message: "--port -5: must be 1 to 65535"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--port", "70000"], status: 64, message: "must be 1 to 65535"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--frame-ms", "15"], status: 64, message: "10 or 20"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--invite", "x", "--passphrase", "y"], status: 64, message: "one of --invite"),
        Case(arguments: ["join", "r", "--bind", "127.0.0.60", "--peer", "nowhere"], status: 64, message: "ADDR:PORT"),
        Case(arguments: ["join", "r"] + bind + ["--invite", "concord1-garbage"], status: 1, message: "invite"),
        Case(arguments: ["join", "r"] + bind + ["--passphrase-file", "/nonexistent/pass"], status: 1, message: "/nonexistent/pass"),
        Case(arguments: ["join", "r"] + bind + ["--input-wav", "/nonexistent.wav"], status: 1, message: "/nonexistent.wav"),
        Case(arguments: ["join", "r"] + bind + ["--input-wav", path("corrupt.wav")], status: 1, message: "corrupt.wav"),
        Case(arguments: ["join", "r"] + bind + ["--input-wav", path("truncated.wav")], status: 1, message: "truncated.wav"),
        Case(arguments: ["join", "r"] + bind + ["--output-wav", "/nonexistent-dir/out.wav"], status: 1, message: "Cannot write --output-wav /nonexistent-dir/out.wav: the directory /nonexistent-dir does not exist."),
        Case(arguments: ["join", "r"] + bind + ["--summary-json", "/proc/summary.json"], status: 1, message: "Cannot write --summary-json /proc/summary.json"),
        Case(arguments: ["join", "r"] + bind + ["--summary-json", "/tmp"], status: 1, message: "it is a directory"),
        Case(arguments: ["join", "r"] + bind + ["--stream-log", "/proc/log"], status: 1, message: "Cannot write --stream-log /proc/log"),
        Case(arguments: ["join", "r"] + bind + ["--pcap", "/nonexistent-dir/x.pcap"], status: 1, message: "Cannot write --pcap /nonexistent-dir/x.pcap: the directory /nonexistent-dir does not exist."),
        Case(arguments: ["join", "r"] + bind + ["--pcap", "/proc/x.pcap"], status: 1, message: "Cannot write --pcap /proc/x.pcap"),
        Case(
            arguments: [
                "join", "r", "--network", "8056c2e21c000001", "--duration", "1",
                "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent("a.wav").path, "--output-wav", path("zt-out.wav"),
            ], status: 1, message: "The ZeroTier One service is not running"),
        Case(arguments: ["zerotier"], status: 64, message: "USAGE"),
        Case(arguments: ["zerotier", "join", "zz"], status: 64, message: "not a ZeroTier network id"),
        Case(arguments: ["zerotier", "join", "8056c2e21c000001", "--timeout", "-3"], status: 64, message: "timeout"),
        Case(arguments: ["zerotier", "leave"], status: 64, message: "network"),
        Case(arguments: ["zerotier", "status"], status: 1, message: "The ZeroTier One service is not running"),
        Case(arguments: ["zerotier", "networks"], status: 1, message: "The ZeroTier One service is not running"),
        Case(arguments: ["devices", "--bogus"], status: 64, message: "--bogus"),
    ]

    static func run(_ arguments: [String]) throws -> BuiltProduct.Finished {
        try BuiltProduct.concord.run(arguments, environment: [
            "CONCORD_HOME": path("home"), "ZEROTIER_HOME": path("zt"), "PATH": "/usr/bin:/bin", "HOME": path("user"),
        ])
    }

    @Test(arguments: cases)
    func badInputGetsASentenceAndAnExitCodeNotASignal(_ c: Case) throws {
        let result = try Self.run(c.arguments)
        #expect(result.reason == .exit, "ended by signal \(result.status)")
        #expect(result.status == c.status, "exit \(result.status)\nstdout: \(result.stdout)\nstderr: \(result.stderr)")
        let text = result.stdout + result.stderr
        #expect(text.contains(c.message), "expected “\(c.message)” in:\n\(text)")
        #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("Fatal error"), "\(text)")
    }

    /// A client that cannot start (its port is taken) leaves an existing output WAV as it was.
    @Test func aFailedStartLeavesTheOutputFileAlone() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(7461).bigEndian
        inet_pton(AF_INET, "127.0.0.61", &address.sin_addr)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0)
        let existing = Self.path("keep.wav")
        let original = Data("last week's recording".utf8)
        _ = FileManager.default.createFile(atPath: existing, contents: original)
        let result = try Self.run([
            "join", "r", "--bind", "127.0.0.61", "--port", "7461", "--output-wav", existing, "--duration", "1",
            "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent("a.wav").path,
        ])
        #expect(result.reason == .exit)
        #expect(result.status == 1, "\(result.stderr)")
        #expect(result.stderr.contains("7461"), "\(result.stderr)")
        #expect(FileManager.default.contents(atPath: existing) == original)
    }
}
