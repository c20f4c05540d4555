import ArgumentParser
import Logging

/// `--log-level`, shared by every subcommand. Logs go to stderr so that stdout stays the
/// command's result (an address, a table) for scripts.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help: "Log detail on stderr: trace, debug, info, notice, warning, error or critical.")
    var level: Logger.Level = .warning

    /// Installs the stderr log handler at the chosen level and returns a logger for `label`.
    /// Call once per process (swift-log allows one bootstrap).
    func makeLogger(label: String) -> Logger {
        let level = self.level
        LoggingSystem.bootstrap { name in
            var handler = StreamLogHandler.standardError(label: name)
            handler.logLevel = level
            return handler
        }
        return Logger(label: label)
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
