import ConcordTesting
import Foundation
import Testing

/// `fake-zerotier-one` as its own process, the way the network-namespace test runs one per
/// namespace: start it, read `ready PORT`, drive `concord zerotier …` against it, stop it with SIGTERM.
@Suite struct ZeroTierFakeProcessTests {
    static let nwid = "8056c2e21c000001"

    /// A started `fake-zerotier-one` and its port (from its `ready PORT` line).
    struct Running {
        var process: Process
        var port: Int
        var stderr: Pipe
    }

    /// Starts the fake and waits for its `ready PORT` line (at most 30 s).
    static func start(_ arguments: [String]) async throws -> Running {
        let process = BuiltProduct.fakeZeroTierOne.process(arguments)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let line: String = try await withCheckedThrowingContinuation { continuation in
            Thread {
                var bytes = Data()
                while !bytes.contains(UInt8(ascii: "\n")) {
                    let chunk = out.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    bytes += chunk
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }.start()
        }
        let parts = line.split(separator: " ")
        guard parts.count == 2, parts[0] == "ready", let port = Int(parts[1].trimmingCharacters(in: .newlines)) else {
            process.terminate()
            throw FakeProcessError(description: "expected `ready PORT`, got \(line.debugDescription)")
        }
        return Running(process: process, port: port, stderr: err)
    }

    struct FakeProcessError: Error, CustomStringConvertible {
        var description: String
    }

    /// SIGTERM, then the exit status once it has ended.
    static func stop(_ running: Running) async -> (reason: Process.TerminationReason, status: Int32) {
        running.process.terminate()
        return await withCheckedContinuation { continuation in
            Thread {
                running.process.waitUntilExit()
                continuation.resume(returning: (running.process.terminationReason, running.process.terminationStatus))
            }.start()
        }
    }

    @Test func theStandaloneFakeServesAJoinThroughAuthorizationAndStopsCleanly() async throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("concord-fake-zt-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let running = try await Self.start([
            "--home", home.path, "--ipv4", "10.77.0.2/24", "--node-id", "0a1b2c3d4e", "--port", "0",
            "--config-delay-seconds", "0.3", "--require-authorization", "--authorization-delay-seconds", "1",
        ])
        // The home as the real service leaves it.
        let portFile = try String(contentsOf: home.appendingPathComponent("zerotier-one.port"), encoding: .utf8)
        #expect(portFile == String(running.port))
        let tokenPath = home.appendingPathComponent("authtoken.secret").path
        let token = try String(contentsOfFile: tokenPath, encoding: .utf8)
        #expect(token.count == 24)
        #expect(try FileManager.default.attributesOfItem(atPath: tokenPath)[.posixPermissions] as? Int == 0o600)

        let environment = ["ZEROTIER_HOME": home.path, "HOME": "/nonexistent-concord-user", "PATH": "/usr/bin:/bin"]
        let status = try await BuiltProduct.concord.run(["zerotier", "status"], environment: environment)
        #expect(status.stdout.hasPrefix("node      0a1b2c3d4e\nonline    yes\n"), "\(status.stderr)")

        async let joining = BuiltProduct.concord.run(["zerotier", "join", Self.nwid, "--timeout", "30"], environment: environment)
        // The network is denied from 0.3 s after the join; authorize it a little later, as an admin would.
        try await Task.sleep(for: .seconds(1.5))
        let authorized = try await rawRequest(port: running.port, "POST", "/fake/authorize/\(Self.nwid)", token: token)
        #expect(authorized.status == 200)
        let join = try await joining
        #expect(join.status == 0, "\(join.stderr)")
        #expect(join.stdout == "Joined 8056c2e21c000001: this node is 10.77.0.2/24\n")
        #expect(join.stderr.contains("access denied (ACCESS_DENIED): node 0a1b2c3d4e is not authorized"))

        let networks = try await BuiltProduct.concord.run(["zerotier", "networks"], environment: environment)
        #expect(networks.stdout == "8056c2e21c000001  concord-test  OK  PRIVATE  fd80:56c2:e21c:0:199:930a:1b2c:3d4e/88,fc9c:56c2:e30a:1b2c:3d4e::1/40,10.77.0.2/24\n")

        let leave = try await BuiltProduct.concord.run(["zerotier", "leave", Self.nwid], environment: environment)
        #expect(leave.stdout == "Left 8056c2e21c000001.\n")

        // A second fake on the same port cannot start, and says so (exit 1, not a crash).
        let clash = try await BuiltProduct.fakeZeroTierOne.run(
            ["--home", home.appendingPathComponent("second").path, "--ipv4", "10.77.0.3/24", "--port", String(running.port)],
            environment: [:])
        #expect(clash.status == 1)
        #expect(clash.stderr == "fake-zerotier-one: cannot start: cannot listen on 127.0.0.1:\(running.port): Address already in use\n")

        let ended = await Self.stop(running)
        #expect(ended.reason == .exit)
        #expect(ended.status == 0)
    }

    @Test func misuseIsAUsageErrorWithASentence() async throws {
        let result = try await BuiltProduct.fakeZeroTierOne.run(
            ["--home", "/tmp/unused-concord-zt", "--ipv4", "10.77.0.2"], environment: [:])
        #expect(result.status == 64)
        #expect(result.stderr.contains("--ipv4 10.77.0.2: expected an IPv4 address and prefix length, e.g. 10.77.0.2/24"))
    }
}
