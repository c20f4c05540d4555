import ConcordLive
import ConcordTesting
import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// A logger that drops everything, for tests that do not look at logs.
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `body` against a fresh fake service and stops it afterwards, even when `body` throws.
func withFakeService<T>(_ body: (FakeZeroTierService) async throws -> T) async throws -> T {
    let fake = try await FakeZeroTierService.start()
    do {
        let result = try await body(fake)
        await fake.stop()
        return result
    } catch {
        await fake.stop()
        throw error
    }
}

/// A client that finds `fake` through `ZEROTIER_HOME`, exactly as the CLI finds a real service.
func makeClient(
    _ fake: FakeZeroTierService, responseTimeout: Duration = .seconds(5), logger: Logger = quietLogger
) throws -> ZeroTierClient {
    let endpoint = try ZeroTierServiceEndpoint.discover(
        environment: ["ZEROTIER_HOME": fake.home.path], userHome: "/nonexistent-concord-user")
    return ZeroTierClient(endpoint: endpoint, responseTimeout: responseTimeout, logger: logger)
}

/// A loopback port with nothing listening: bound, then closed.
func closedLoopbackPort() async throws -> Int {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .bind(host: "127.0.0.1", port: 0).get()
    let port = channel.localAddress!.port!
    try await channel.close()
    return port
}

/// A file reader over an in-memory file system, for failures a root test run cannot cause for real.
func fakeFiles(_ files: [String: Result<String, FileReadFailure>]) -> ZeroTierFileReader {
    { path in files[path] ?? .failure(.notFound) }
}

/// Collects every log line (message and metadata) at every level.
struct CapturingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.withLockedValue { $0.append("\(event.level) \(event.message) \(all)") }
    }
}

/// The `ZeroTierError` that `body` throws; `nil` (and a recorded issue) if it throws nothing or
/// another kind of error.
func zeroTierError(
    _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation
) async -> ZeroTierError? {
    do {
        try await body()
        Issue.record("expected a ZeroTierError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as ZeroTierError {
        return error
    } catch {
        Issue.record("expected a ZeroTierError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
