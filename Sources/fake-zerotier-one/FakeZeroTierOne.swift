import ArgumentParser
import ConcordTesting
import Dispatch
import Foundation

/// `fake-zerotier-one`: the fake ZeroTier One service as a process of its own, so that a test can
/// run one per network namespace (each answering on that namespace's 127.0.0.1 and assigning that
/// namespace's address). See docs/ZeroTier.md.
@main
struct FakeZeroTierOne: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-zerotier-one",
        abstract: "A fake of the ZeroTier One service's local JSON API, for tests (no real networking).",
        discussion: """
            Writes DIR/authtoken.secret (reused if present, else 24 random characters, mode 0600) and \
            DIR/zerotier-one.port (no trailing newline), listens on 127.0.0.1, prints `ready PORT` on \
            stdout, and runs until SIGTERM or SIGINT (exit 0). Point clients at it with ZEROTIER_HOME=DIR. \
            Every network joined by POST /network/NWID gets the rfc4193 /88, 6plane /40 and --ipv4 \
            addresses, in that order. Extra endpoint: POST /fake/authorize/NWID (with the token in \
            X-ZT1-Auth) authorizes this member on NWID; an ACCESS_DENIED network then turns OK \
            --authorization-delay-seconds later.
            """)

    @Option(help: "The service home directory (created if missing).") var home: String
    @Option(help: "The IPv4 address and prefix networks assign this node, e.g. 10.77.0.2/24.") var ipv4: String
    @Option(help: "This node's ZeroTier address, 10 hexadecimal digits (default: random).") var nodeId: String?
    @Option(help: "TCP port on 127.0.0.1 (0: any free port; the port file says which).") var port: Int = 0
    @Option(help: "Seconds from a join to the network's configuration (REQUESTING_CONFIGURATION until then).")
    var configDelaySeconds: Double = 1
    @Flag(help: "Networks are private and this member is not authorized: ACCESS_DENIED until POST /fake/authorize/NWID.")
    var requireAuthorization = false
    @Option(help: "Seconds from authorization to OK (about 3 on a real network).") var authorizationDelaySeconds: Double = 3
    @Option(help: "Seconds after start during which /status says online: false (a real node takes about 5).")
    var offlineSeconds: Double = 0
    @Flag(help: "Never online: the roots cannot be reached (as without internet access).") var rootsUnreachable = false
    @Flag(help: "Log each request and its HTTP status on stderr.") var logRequests = false

    func validate() throws {
        guard FakeZeroTierAddresses.parseIPv4CIDR(ipv4) != nil else {
            throw ValidationError("--ipv4 \(ipv4): expected an IPv4 address and prefix length, e.g. 10.77.0.2/24")
        }
        if let nodeId, nodeId.count != 10 || UInt64(nodeId, radix: 16) == nil {
            throw ValidationError("--node-id \(nodeId): expected 10 hexadecimal digits, e.g. 89e92ceee5")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
        for (name, value) in [
            ("--config-delay-seconds", configDelaySeconds), ("--authorization-delay-seconds", authorizationDelaySeconds),
            ("--offline-seconds", offlineSeconds),
        ] where !(0...86_400).contains(value) {
            throw ValidationError("\(name) must be between 0 and 86400")
        }
    }

    func run() async throws {
        var options = FakeZeroTierService.Options()
        options.nodeAddress = nodeId?.lowercased() ?? Self.randomNodeAddress()
        options.ipv4 = ipv4
        options.configuration = .after(.milliseconds(Int64(configDelaySeconds * 1000)))
        options.requireAuthorization = requireAuthorization
        options.authorizationDelay = .milliseconds(Int64(authorizationDelaySeconds * 1000))
        options.offlineAfterStart = .milliseconds(Int64(offlineSeconds * 1000))
        options.rootsUnreachable = rootsUnreachable
        if logRequests {
            options.requestLog = { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }

        // Signals first, so that a SIGTERM sent right after "ready" is already handled.
        let (signals, continuation) = AsyncStream<Int32>.makeStream()
        var sources: [any DispatchSourceSignal] = []
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { continuation.yield(number) }
            source.resume()
            sources.append(source)
        }

        let fake: FakeZeroTierService
        do {
            fake = try await FakeZeroTierService.start(options, home: URL(fileURLWithPath: home), port: port)
        } catch {
            FileHandle.standardError.write(Data("fake-zerotier-one: cannot start: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // FileHandle writes straight to the descriptor: nothing is left in a buffer.
        FileHandle.standardOutput.write(Data("ready \(fake.port)\n".utf8))

        for await _ in signals { break }
        sources.forEach { $0.cancel() }
        await fake.stop()
    }

    /// A node address as ZeroTier makes them: 40 bits, not starting with 0xff (reserved) nor all zero.
    static func randomNodeAddress() -> String {
        var value: UInt64 = 0
        while value == 0 || value >> 32 == 0xFF {
            value = UInt64.random(in: 1..<(1 << 40))
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 10 - hex.count) + hex
    }
}
