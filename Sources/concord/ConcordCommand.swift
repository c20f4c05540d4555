import ArgumentParser

/// `concord`: the real Concord client — voice rooms (`join`), sound devices (`devices`) and this
/// machine's ZeroTier membership (`zerotier`).
@main
struct ConcordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "Low-latency voice rooms over a ZeroTier network.",
        subcommands: [JoinCommand.self, UICommand.self, DevicesCommand.self, ZeroTierCommand.self])

    /// `concord` alone is misuse: the usage on stderr and exit 64, not help on stdout and 0.
    func run() async throws {
        printError(Self.helpMessage())
        throw ExitCode(64)
    }
}
