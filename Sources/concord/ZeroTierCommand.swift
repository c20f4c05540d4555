import ArgumentParser
import ConcordLive
import Foundation

/// `concord zerotier …`: the local ZeroTier One service, through its JSON API.
struct ZeroTierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "zerotier",
        abstract: "Show and change this machine's ZeroTier networks (needs the ZeroTier One service).",
        discussion: """
            Talks to the local ZeroTier One service on 127.0.0.1, with the port and auth token from its \
            home directory (/var/lib/zerotier-one on Linux, /Library/Application Support/ZeroTier/One on \
            macOS, or ZEROTIER_HOME). Without root, give your user its own copy of the token first: \
            sudo install -m 600 -o "$(id -un)" /var/lib/zerotier-one/authtoken.secret ~/.zeroTierOneAuthToken
            """,
        subcommands: [Status.self, Networks.self, Join.self, Leave.self])

    /// `concord zerotier` alone is misuse: the usage on stderr and exit 64.
    func run() async throws {
        printError(Self.helpMessage())
        throw ExitCode(64)
    }

    /// Finds the service, runs `body` with a client, and turns a ``ZeroTierError`` into its message
    /// on stderr and exit status 1.
    static func withClient<T>(
        _ logging: LoggingOptions, _ body: (ZeroTierClient) async throws(ZeroTierError) -> T
    ) async throws -> T {
        let logger = logging.makeLogger(label: "concord.zerotier")
        do {
            let endpoint = try ZeroTierServiceEndpoint.discover()
            logger.debug("found ZeroTier service", metadata: ["address": "\(endpoint.address)", "token": "\(endpoint.token)"])
            return try await body(ZeroTierClient(endpoint: endpoint, logger: logger))
        } catch {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    /// Parses a network id argument, failing as a usage error with the "what an id looks like" text.
    static func parse(_ text: String) throws -> NetworkID {
        do {
            return try NetworkID(parsing: text)
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// Writes a line to stderr (progress and errors; stdout carries results).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

extension ZeroTierCommand {
    /// `concord zerotier status`.
    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "This node's ZeroTier address, whether it is online, and the service's version.",
            discussion: """
                A node is offline for a few seconds after the service starts. When it is offline, this waits \
                up to --wait seconds for it to come online; offline for 10 s or more with no root answering \
                means it cannot reach the ZeroTier roots (no internet, or UDP blocked).
                """)
        @Option(help: "Seconds to wait for an offline node to come online (0: answer at once).") var wait: Double = 10
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            guard wait >= 0, wait <= 3600 else { throw ValidationError("--wait must be between 0 and 3600 seconds.") }
        }

        func run() async throws {
            let maxWait = Duration.milliseconds(Int64(wait * 1000))
            let (status, reachability, offlineFor) = try await ZeroTierCommand.withClient(logging) { client throws(ZeroTierError) in
                try await client.statusWaitingForOnline(maxWait: maxWait) { status in
                    printError("Node \(status.address) is offline; waiting up to \(Int(wait.rounded(.up))) s for it to come online "
                        + "(the service reaches the ZeroTier roots a few seconds after it starts).")
                }
            }
            print("node      \(status.address)")
            switch reachability {
            case .online:
                print("online    yes" + (offlineFor > .zero ? " (came online while waiting)" : ""))
            default:
                print("online    no: \(reachability.explanation(udpPort: status.config?.settings?.primaryPort ?? 9993))")
            }
            print("version   \(status.versionText)")
            if status.tcpFallbackActive == true {
                print("relay     TCP fallback active: UDP is blocked, so latency will be high")
            }
        }
    }

    /// `concord zerotier networks`.
    struct Networks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The networks this node has joined, their status and addresses.")
        @OptionGroup var logging: LoggingOptions

        func run() async throws {
            let networks = try await ZeroTierCommand.withClient(logging) { client throws(ZeroTierError) in
                try await client.networks()
            }
            guard !networks.isEmpty else {
                print("No networks joined. Join one with `concord zerotier join NETWORK_ID`.")
                return
            }
            for network in networks {
                let name = network.name.isEmpty ? "-" : network.name
                let addresses = network.assignedAddresses.isEmpty ? "-" : network.assignedAddresses.map(\.description).joined(separator: ",")
                print("\(network.id)  \(name)  \(network.status)  \(network.type ?? "-")  \(addresses)")
            }
        }
    }

    /// `concord zerotier join NWID [--timeout S]`.
    struct Join: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Join a network and wait until it assigns this node an IPv4 address; prints the address.",
            discussion: """
                Waits through ACCESS_DENIED (a private network turns OK a few seconds after its administrator \
                authorizes this node, whose address is printed), printing one line per change of state.
                """)
        @Argument(help: "The network id: 16 hexadecimal digits, e.g. 8056c2e21c000001.") var networkID: String
        @Option(help: "Seconds to wait for the network's configuration and an IPv4 address.") var timeout: Double = 60
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            _ = try ZeroTierCommand.parse(networkID)
            guard timeout > 0, timeout <= 86_400 else { throw ValidationError("--timeout must be between 0 and 86400 seconds.") }
        }

        func run() async throws {
            let id = try ZeroTierCommand.parse(networkID)
            let timeout = Duration.milliseconds(Int64(timeout * 1000))
            let joined = try await ZeroTierCommand.withClient(logging) { client throws(ZeroTierError) in
                try await client.joinAndWait(id, timeout: timeout) { progress in
                    printError(progress.summary)
                }
            }
            // With the node offline the line says so (and why): a join must not look fine when it is not.
            print(joined.summary)
        }
    }

    /// `concord zerotier leave NWID`.
    struct Leave: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Leave a network this node is a member of.")
        @Argument(help: "The network id: 16 hexadecimal digits.") var networkID: String
        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            _ = try ZeroTierCommand.parse(networkID)
        }

        func run() async throws {
            let id = try ZeroTierCommand.parse(networkID)
            try await ZeroTierCommand.withClient(logging) { client throws(ZeroTierError) in
                try await client.leave(id)
            }
            print("Left \(id).")
        }
    }
}
