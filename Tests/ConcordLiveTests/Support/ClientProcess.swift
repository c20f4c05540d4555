import Foundation
import Synchronization

/// A process a test starts (usually `concord join`), its stdout and stderr collected together
/// as they arrive, its stdin closed.
final class ClientProcess: Sendable {
    let process: Process
    private let pipe: Pipe
    private let collected = Collected()

    private final class Collected: Sendable {
        let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    }

    /// Starts `process` (already given its executable, arguments and environment).
    init(starting process: Process) throws {
        self.process = process
        pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [collected] handle in collected.append(handle.availableData) }
        try process.run()
    }

    /// Starts the built `concord` with `arguments` and exactly `environment`.
    convenience init(concord arguments: [String], environment: [String: String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ZeroTierCLITests.binary)
        process.arguments = arguments
        process.environment = environment
        try self.init(starting: process)
    }

    /// What it printed so far.
    var output: String { collected.text.withLock { $0 } }

    /// Waits for the exit and for the last output through the pipe.
    func finish() {
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        collected.append(pipe.fileHandleForReading.readDataToEndOfFile())
    }
}
