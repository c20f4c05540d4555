import Foundation

/// Hosts of the tests' own, in Linux network namespaces: one namespace holding a bridge (the
/// "switch") and one per host, each joined to the bridge by a veth pair and given an address on
/// one /24. No namespace has a route anywhere else, so nothing a test sends can leave them.
/// Created as root with `ip` (iproute2); `close()` deletes every namespace (which deletes the
/// veths and the bridge with them).
final class NetworkLab {
    struct Host {
        let namespace: String
        let address: String
        let prefixLength: Int
    }

    enum Unavailable: Error, CustomStringConvertible {
        case notRoot
        case command(String, String)
        var description: String {
            switch self {
            case .notRoot: return "network namespaces need root"
            case let .command(command, output): return "`\(command)` failed: \(output)"
            }
        }
    }

    let hosts: [Host]
    let subnet: String
    private let switchNamespace: String
    private var closed = false

    /// `count` hosts at `10.77.0.2 …` on 10.77.0.0/24.
    init(hosts count: Int) throws {
        guard getuid() == 0 else { throw Unavailable.notRoot }
        let tag = String(UInt32.random(in: 0...0xFFFFF), radix: 16)
        switchNamespace = "cc\(tag)-sw"
        subnet = "10.77.0.0/24"
        hosts = (0..<count).map { Host(namespace: "cc\(tag)-h\($0)", address: "10.77.0.\($0 + 2)", prefixLength: 24) }
        do {
            try Self.ip("netns", "add", switchNamespace)
            try Self.ip("-n", switchNamespace, "link", "set", "lo", "up")
            try Self.ip("-n", switchNamespace, "link", "add", "br0", "type", "bridge")
            try Self.ip("-n", switchNamespace, "link", "set", "br0", "up")
            for (i, host) in hosts.enumerated() {
                try Self.ip("netns", "add", host.namespace)
                try Self.ip("-n", host.namespace, "link", "set", "lo", "up")
                // Created inside the host's namespace, the far end moved to the switch: the
                // root namespace never holds either end.
                try Self.ip("-n", host.namespace, "link", "add", "eth0", "type", "veth", "peer", "name", "port\(i)",
                            "netns", switchNamespace)
                try Self.ip("-n", host.namespace, "addr", "add", "\(host.address)/\(host.prefixLength)",
                            "broadcast", "10.77.0.255", "dev", "eth0")
                try Self.ip("-n", host.namespace, "link", "set", "eth0", "up")
                try Self.ip("-n", switchNamespace, "link", "set", "port\(i)", "master", "br0")
                try Self.ip("-n", switchNamespace, "link", "set", "port\(i)", "up")
            }
        } catch {
            close()
            throw error
        }
    }

    deinit { close() }

    func close() {
        guard !closed else { return }
        closed = true
        for host in hosts { _ = try? Self.run("/usr/sbin/ip", ["netns", "delete", host.namespace]) }
        _ = try? Self.run("/usr/sbin/ip", ["netns", "delete", switchNamespace])
    }

    /// Drops every IPv4 broadcast arriving at `host` (nftables in its namespace): the worst case
    /// of ZeroTier's queued broadcasts, where a new member hears earlier members' broadcasts
    /// only after up to ~25 s for its first minute on a network.
    func dropIncomingBroadcasts(at host: Host) throws {
        let rules = """
            table inet concordlab {
              chain input {
                type filter hook input priority 0; policy accept;
                ip daddr 10.77.0.255 drop
                ip daddr 255.255.255.255 drop
              }
            }
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("concordlab-\(UUID().uuidString).nft")
        try Data(rules.utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        _ = try Self.check(Self.run("/usr/sbin/ip", ["netns", "exec", host.namespace, Self.nft, "-f", file.path]), "nft -f")
    }

    static var nft: String {
        ["/usr/sbin/nft", "/sbin/nft", "/usr/bin/nft"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "nft"
    }

    /// A process in `host`'s namespace (not started).
    func process(in host: Host, _ executable: String, _ arguments: [String], environment: [String: String]) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/ip")
        process.arguments = ["netns", "exec", host.namespace, "/usr/bin/env", "-i"]
            + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [executable] + arguments
        return process
    }

    @discardableResult
    private static func ip(_ arguments: String...) throws -> String {
        try check(run("/usr/sbin/ip", arguments), "ip " + arguments.joined(separator: " "))
    }

    private static func check(_ result: (status: Int32, output: String), _ command: String) throws -> String {
        guard result.status == 0 else { throw Unavailable.command(command, result.output) }
        return result.output
    }

    private static func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
