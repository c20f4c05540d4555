import ArgumentParser
import Logging
import Synchronization

/// `--log-level`, shared by every subcommand. Logs go to stderr so that stdout stays the
/// command's result (an address, a table) for scripts.
struct LoggingOptions: ParsableArguments {
    @Option(
        name: .customLong("log-level"),
        help: "Log detail on stderr: trace, debug, info, notice, warning, error or critical.")
    var level: Logger.Level = .warning

    /// Returns a logger for `label`, installing the stderr log handler at the chosen level on
    /// the first call. swift-log traps on a second `LoggingSystem.bootstrap`, and one command may
    /// reach several helpers that each want a logger (`join --network` asks for two), so the
    /// bootstrap happens once per process, whoever calls first.
    func makeLogger(label: String) -> Logger {
        let level = self.level
        Self.bootstrapped.withLock { done in
            guard !done else { return }
            done = true
            LoggingSystem.bootstrap { name in
                var handler = StreamLogHandler.standardError(label: name)
                handler.logLevel = level
                return handler
            }
        }
        return Logger(label: label)
    }

    private static let bootstrapped = Mutex(false)
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
