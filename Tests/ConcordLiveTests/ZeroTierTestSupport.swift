import ConcordTesting
import Foundation
import Testing

@testable import ConcordLive

/// Runs `body` against a fresh fake service started with `options`, and stops it afterwards.
func withFakeService<T>(
    _ options: FakeZeroTierService.Options, _ body: (FakeZeroTierService) async throws -> T
) async throws -> T {
    let fake = try await FakeZeroTierService.start(options)
    do {
        let result = try await body(fake)
        await fake.stop()
        return result
    } catch {
        await fake.stop()
        throw error
    }
}

/// Fake options with the given changes.
func fakeOptions(_ change: (inout FakeZeroTierService.Options) -> Void) -> FakeZeroTierService.Options {
    var options = FakeZeroTierService.Options()
    change(&options)
    return options
}

/// One raw request to a service on 127.0.0.1, for checking the fake's answers byte for byte.
func rawRequest(
    port: Int, _ method: String, _ path: String, token: String?, body: String? = nil
) async throws -> (status: Int, body: String) {
    let http = LoopbackHTTPClient(host: "127.0.0.1", port: port)
    let response = try await http.send(
        method: .init(rawValue: method), path: path, headers: token.map { [("X-ZT1-Auth", $0)] } ?? [], body: body)
    return (response.status, String(decoding: response.body, as: UTF8.self))
}
