import Foundation

/// An executable product of this package (`concord`, `concord-bench`, `fake-zerotier-one`, …),
/// found where `swift build` left it, and run as a user would run it.
public struct BuiltProduct: Sendable {
    public static let concord = BuiltProduct("concord")
    public static let concordBench = BuiltProduct("concord-bench")
    public static let fakeZeroTierOne = BuiltProduct("fake-zerotier-one")

    public let name: String
    private let fixedPath: String?

    public init(_ name: String) {
        self.name = name
        fixedPath = nil
    }

    /// An executable of the repository that is not built (a script under `scripts/`), at `path`.
    public init(path: String) {
        name = URL(fileURLWithPath: path).lastPathComponent
        fixedPath = path
    }

    /// Its path: the one it was given, or, for a built product, found by walking up from the
    /// test bundle, which lives in the build folder with the executables.
    public var path: String {
        if let fixedPath { return fixedPath }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent(name).path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent(name).path
    }

    /// How a run ended and what it printed.
    public struct Finished: Sendable {
        public var status: Int32
        /// `.exit`, or `.uncaughtSignal` when a signal ended it (then `status` is the signal).
        public var reason: Process.TerminationReason
        public var stdout: String
        public var stderr: String
        /// Both outputs, stdout first.
        public var output: String { stdout + stderr }
    }

    /// A process for this product, not started: for a test that drives it itself.
    /// - Parameter environment: exactly the child's environment; nil inherits the test's.
    public func process(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        return process
    }

    /// Runs it to the end with stdin closed. Both outputs are read at once, so that neither
    /// pipe can fill and stall the child.
    public func run(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) throws -> Finished {
        let process = process(arguments, environment: environment, in: directory)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let stderr = Drained(err)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Finished(
            status: process.terminationStatus, reason: process.terminationReason,
            stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr.wait(), as: UTF8.self))
    }

    /// `run` on a thread of its own, not the test's cooperative pool (which the blocking reads
    /// would starve), so that a test can act while the product runs.
    public func run(_ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil) async throws
        -> Finished
    {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(arguments, environment: environment, in: directory) })
            }.start()
        }
    }

    /// Starts it with exactly `environment`, to watch while it runs.
    public func start(_ arguments: [String], environment: [String: String]) throws -> RunningProcess {
        try RunningProcess(starting: process(arguments, environment: environment))
    }
}

/// A pipe read to its end on a thread of its own.
private final class Drained: @unchecked Sendable {
    // Written by the reading thread before `done` is signalled, read only after.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        Thread { [self] in
            data = pipe.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
