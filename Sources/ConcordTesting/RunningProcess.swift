import Foundation
import Synchronization

/// A process a test starts and watches while it runs (a `concord join`, say): its stdout and
/// stderr collected together as they arrive, its stdin closed.
public final class RunningProcess: Sendable {
    public let process: Process
    private let pipe: Pipe
    private let collected = Collected()

    private final class Collected: Sendable {
        let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    }

    /// Starts `process` (already given its executable, arguments and environment).
    public init(starting process: Process) throws {
        self.process = process
        pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [collected] handle in collected.append(handle.availableData) }
        try process.run()
    }

    /// What it printed so far.
    public var output: String { collected.text.withLock { $0 } }

    /// Waits for the exit and for the last output through the pipe.
    public func finish() {
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        collected.append(pipe.fileHandleForReading.readDataToEndOfFile())
    }
}
