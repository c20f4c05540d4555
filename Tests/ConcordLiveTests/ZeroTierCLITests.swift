import Foundation
import Testing

/// The `concord zerotier …` subcommands, run as a user would, against the fake service.
@Suite struct ZeroTierCLITests {
    static var binary: String {
        // The test bundle lives in the build folder next to the executables.
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("concord").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("concord").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `concord` with only ZEROTIER_HOME and HOME set (HOME empty-handed, so no user token copy is found).
    static func run(_ arguments: [String], home: String) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ["ZEROTIER_HOME": home, "HOME": "/nonexistent-concord-user", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: stderr, as: UTF8.self))
    }

    @Test func statusNetworksJoinLeave() async throws {
        try await withFakeService { fake in
            let home = fake.home.path
            let status = try Self.run(["zerotier", "status"], home: home)
            #expect(status.status == 0, "\(status.stderr)")
            #expect(status.stdout.contains("node      89e92ceee5"))
            #expect(status.stdout.contains("online    yes"))

            let empty = try Self.run(["zerotier", "networks"], home: home)
            #expect(empty.stdout.contains("No networks joined."))

            fake.script("8056c2e21c000001", .ready(afterPolls: 1, addresses: ["fd80::1/88", "10.147.17.5/24"]))
            let join = try Self.run(["zerotier", "join", "8056C2E21C000001", "--timeout", "10"], home: home)
            #expect(join.status == 0, "\(join.stderr)")
            #expect(join.stdout == "Joined 8056c2e21c000001: this node is 10.147.17.5/24\n")
            #expect(join.stderr.contains("Joining 8056c2e21c000001: requesting configuration from controller 8056c2e21c"))

            let list = try Self.run(["zerotier", "networks"], home: home)
            #expect(list.stdout.contains("8056c2e21c000001  concord-test  OK  PRIVATE  fd80::1/88,10.147.17.5/24"))

            let leave = try Self.run(["zerotier", "leave", "8056c2e21c000001"], home: home)
            #expect(leave.status == 0)
            #expect(leave.stdout == "Left 8056c2e21c000001.\n")
            #expect(fake.joinedIDs.isEmpty)
        }
    }

    @Test func badNetworkIDSaysWhatAnIDLooksLike() throws {
        let result = try Self.run(["zerotier", "join", "my-room"], home: "/nonexistent-zt-home")
        #expect(result.status != 0)
        #expect(result.stderr.contains("'my-room' is not a ZeroTier network id: 'm' is not a hexadecimal digit."))
        #expect(result.stderr.contains("16 hexadecimal digits"))
    }

    @Test func failuresExitNonZeroWithTheMessage() async throws {
        try await withFakeService { fake in
            fake.script("8056c2e21c000001", .failing("ACCESS_DENIED"))
            let denied = try Self.run(["zerotier", "join", "8056c2e21c000001", "--timeout", "10"], home: fake.home.path)
            #expect(denied.status == 1)
            #expect(denied.stdout.isEmpty)
            #expect(denied.stderr.contains("denied access (ACCESS_DENIED)"))
        }
        let down = try Self.run(["zerotier", "status"], home: "/nonexistent-zt-home")
        #expect(down.status == 1)
        #expect(down.stderr.contains("No ZeroTier auth token found (looked for /nonexistent-zt-home/authtoken.secret"))
    }

    @Test func logLevelIsAccepted() async throws {
        try await withFakeService { fake in
            let result = try Self.run(["zerotier", "status", "--log-level", "trace"], home: fake.home.path)
            #expect(result.status == 0)
            #expect(result.stderr.contains("GET /status"))
            #expect(!result.stderr.contains(fake.token))
            let bad = try Self.run(["zerotier", "status", "--log-level", "loud"], home: fake.home.path)
            #expect(bad.status != 0)
        }
    }
}
