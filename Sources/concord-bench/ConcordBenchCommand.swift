import ArgumentParser
import ConcordBench

@main
struct ConcordBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "concord-bench",
        abstract: "Feeds WAV files as virtual participants through Concord over a simulated network and measures latency, jitter, loss and quality.",
        discussion: "Runs in virtual time, as fast as the CPU allows; the same seed gives the same report (except wall-clock fields).",
        subcommands: [
            RunCommand.self, TraceCommand.self, SweepCommand.self, CompareCommand.self, RecordTraceCommand.self,
            PresetsCommand.self, QualityCommand.self, RelayCommand.self,
        ],
        defaultSubcommand: RunCommand.self)
}

/// `concord-bench presets`: the SimNet network presets and where their figures come from.
struct PresetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presets", abstract: "List the network presets.")

    func run() {
        for preset in PresetCatalog.all {
            print("\(preset.name.padding(toLength: 24, withPad: " ", startingAt: 0)) \(preset.summary)")
        }
    }
}
