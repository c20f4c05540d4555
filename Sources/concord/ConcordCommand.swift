import ArgumentParser

/// `concord`: the real Concord client — voice rooms (`join`), sound devices (`devices`) and this
/// machine's ZeroTier membership (`zerotier`).
@main
struct ConcordCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord",
        abstract: "Low-latency voice rooms over a ZeroTier network.",
        subcommands: [JoinCommand.self, DevicesCommand.self, ZeroTierCommand.self])
}
