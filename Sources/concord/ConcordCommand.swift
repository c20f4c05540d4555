import ArgumentParser

/// `concord`: the real Concord client. For now it manages this machine's ZeroTier membership;
/// rooms and sound devices come as further subcommands.
@main
struct ConcordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "Low-latency voice rooms over a ZeroTier network.",
        subcommands: [ZeroTierCommand.self])
}
