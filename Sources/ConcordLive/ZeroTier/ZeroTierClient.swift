import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Where and how to reach the local ZeroTier One service: address, port and auth token.
public struct ZeroTierServiceEndpoint: Equatable, Sendable {
    /// Always the loopback: the service answers its API on 127.0.0.1 only by default.
    public var host: String
    public var port: Int
    /// Where the port came from, for "not running" messages ("port from …/zerotier-one.port").
    public var portSource: String
    public var token: ZeroTierAuthToken
    public var tokenLocations: ZeroTierTokenLocations

    public init(
        host: String = "127.0.0.1", port: Int, portSource: String = "", token: ZeroTierAuthToken,
        tokenLocations: ZeroTierTokenLocations
    ) {
        self.host = host
        self.port = port
        self.portSource = portSource.isEmpty ? "port \(port)" : portSource
        self.token = token
        self.tokenLocations = tokenLocations
    }

    /// Finds the service the way `zerotier-cli` does: the home from `ZEROTIER_HOME` or the
    /// platform default, the port from its port file, the token from its `authtoken.secret` or
    /// the user's copy. Every input is injectable so tests can run against a fake home.
    public static func discover(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        userHome: String? = nil,
        platform: ZeroTierPlatform = .current,
        readFile: ZeroTierFileReader = systemFileReader
    ) throws(ZeroTierError) -> ZeroTierServiceEndpoint {
        let home = ZeroTierHome.resolve(environment: environment, platform: platform)
        let (port, portSource) = try home.port(readFile: readFile)
        let userHome = userHome ?? environment["HOME"]
        let token = try home.token(userHome: userHome, readFile: readFile)
        return ZeroTierServiceEndpoint(
            port: port, portSource: portSource, token: token, tokenLocations: home.tokenLocations(userHome: userHome))
    }

    /// `"127.0.0.1:9993"`.
    public var address: String { "\(host):\(port)" }
}

/// What ``ZeroTierClient/waitUntilReady(_:timeout:pollInterval:progress:)`` reports on each poll.
public struct ZeroTierJoinProgress: Sendable {
    /// 1 for the first poll.
    public var attempt: Int
    public var elapsed: Duration
    /// The network as the service described it on this poll.
    public var network: ZeroTierNetwork

    /// One line for a terminal: what is being waited for.
    public var summary: String {
        let wait: String
        switch network.status {
        case .requestingConfiguration:
            wait = "requesting configuration from controller \(network.id.controllerAddress)"
        case .ok:
            wait = "configured; waiting for an IPv4 address"
        default:
            wait = network.status.rawValue
        }
        return "Joining \(network.id): \(wait) (\(elapsed.secondsText))"
    }
}

/// A client of the local ZeroTier One service's JSON API (`service/OneService.cpp`):
/// node status, the joined networks, join-and-wait-for-an-address, and leave.
///
/// Every failure is a ``ZeroTierError`` whose message says what to do. The auth token is sent
/// in `X-ZT1-Auth` and never logged.
public struct ZeroTierClient: Sendable {
    public let endpoint: ZeroTierServiceEndpoint
    private let logger: Logger
    private let http: LoopbackHTTPClient

    /// - Parameter responseTimeout: how long a connected service may take to answer one request.
    public init(endpoint: ZeroTierServiceEndpoint, responseTimeout: Duration = .seconds(10), logger: Logger) {
        self.endpoint = endpoint
        self.logger = logger
        var http = LoopbackHTTPClient(host: endpoint.host, port: endpoint.port)
        http.responseTimeout = .nanoseconds(Int64(responseTimeout.nanosecondsClamped))
        self.http = http
    }

    // MARK: Operations

    /// `GET /status`: this node's address, whether it is online, the service's version.
    public func status() async throws(ZeroTierError) -> ZeroTierStatus {
        try await get("/status", as: ZeroTierStatus.self)
    }

    /// `GET /network`: every network this node has joined, in any state.
    public func networks() async throws(ZeroTierError) -> [ZeroTierNetwork] {
        try await get("/network", as: [ZeroTierNetwork].self).sorted { $0.id < $1.id }
    }

    /// `GET /network/{nwid}`; ``ZeroTierError/notJoined(_:)`` if this node is not a member.
    public func network(_ id: NetworkID) async throws(ZeroTierError) -> ZeroTierNetwork {
        try await get("/network/\(id)", as: ZeroTierNetwork.self, notFound: .notJoined(id))
    }

    /// `POST /network/{nwid}`: join (or update the settings of) a network. Returns at once, usually
    /// with status `REQUESTING_CONFIGURATION`; use ``waitUntilReady(_:timeout:pollInterval:progress:)``.
    @discardableResult
    public func join(_ id: NetworkID, settings: ZeroTierJoinSettings = ZeroTierJoinSettings()) async throws(ZeroTierError)
        -> ZeroTierNetwork
    {
        logger.info("joining ZeroTier network", metadata: ["network": "\(id)"])
        let response = try await request(.POST, "/network/\(id)", body: settings.jsonBody)
        return try decode(ZeroTierNetwork.self, from: response, request: "POST /network/\(id)")
    }

    /// Polls `GET /network/{nwid}` until the network is `OK` with an IPv4 address and returns that
    /// address. Statuses that cannot resolve by waiting (ACCESS_DENIED, NOT_FOUND, PORT_ERROR,
    /// CLIENT_TOO_OLD, AUTHENTICATION_REQUIRED) fail at once; still waiting when `timeout` runs out
    /// fails with ``ZeroTierError/configurationTimedOut(_:after:)`` or
    /// ``ZeroTierError/addressTimedOut(_:after:assigned:node:)``.
    ///
    /// - Parameter progress: called after every poll that has to wait (on the caller's task).
    public func waitUntilReady(
        _ id: NetworkID, timeout: Duration, pollInterval: Duration = .milliseconds(500),
        progress: (ZeroTierJoinProgress) -> Void = { _ in }
    ) async throws(ZeroTierError) -> AssignedAddress {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        while true {
            attempt += 1
            let network = try await network(id)
            let elapsed = clock.now - start
            logger.debug(
                "polled ZeroTier network",
                metadata: ["network": "\(id)", "status": "\(network.status)", "attempt": "\(attempt)"])
            switch network.status {
            case .ok:
                if let address = network.ipv4Address {
                    logger.info("ZeroTier network ready", metadata: ["network": "\(id)", "address": "\(address)"])
                    return address
                }
            case .requestingConfiguration:
                break
            case .accessDenied:
                throw .accessDenied(id, node: await nodeAddress())
            case .notFound:
                throw .networkNotFound(id)
            case .portError:
                throw .portError(id, code: network.portError)
            case .clientTooOld:
                throw .clientTooOld(id, version: (try? await status())?.versionText)
            case .authenticationRequired:
                throw .authenticationRequired(id, url: network.authenticationURL)
            case .other(let text):
                throw .unknownNetworkStatus(id, status: text)
            }
            if elapsed >= timeout {
                if network.status == .requestingConfiguration {
                    throw .configurationTimedOut(id, after: timeout)
                }
                throw .addressTimedOut(id, after: timeout, assigned: network.assignedAddresses, node: await nodeAddress())
            }
            progress(ZeroTierJoinProgress(attempt: attempt, elapsed: elapsed, network: network))
            let remaining = timeout - elapsed
            do {
                try await Task.sleep(for: min(pollInterval, remaining))
            } catch {
                // Cancelled (Ctrl-C): report where the join stood rather than a bare cancellation.
                if network.status == .requestingConfiguration { throw .configurationTimedOut(id, after: elapsed) }
                throw .addressTimedOut(id, after: elapsed, assigned: network.assignedAddresses, node: nil)
            }
        }
    }

    /// Joins and waits: ``join(_:settings:)`` then ``waitUntilReady(_:timeout:pollInterval:progress:)``.
    public func joinAndWait(
        _ id: NetworkID, settings: ZeroTierJoinSettings = ZeroTierJoinSettings(), timeout: Duration,
        pollInterval: Duration = .milliseconds(500), progress: (ZeroTierJoinProgress) -> Void = { _ in }
    ) async throws(ZeroTierError) -> AssignedAddress {
        try await join(id, settings: settings)
        return try await waitUntilReady(id, timeout: timeout, pollInterval: pollInterval, progress: progress)
    }

    /// `DELETE /network/{nwid}`: leave; ``ZeroTierError/notJoined(_:)`` if not a member.
    public func leave(_ id: NetworkID) async throws(ZeroTierError) {
        logger.info("leaving ZeroTier network", metadata: ["network": "\(id)"])
        _ = try await request(.DELETE, "/network/\(id)", notFound: .notJoined(id))
    }

    // MARK: HTTP

    /// This node's address for messages that ask an admin to authorize it; `nil` if unavailable.
    private func nodeAddress() async -> String? {
        try? await status().address
    }

    private func get<T: Decodable>(_ path: String, as type: T.Type, notFound: ZeroTierError? = nil) async throws(ZeroTierError) -> T {
        let response = try await request(.GET, path, notFound: notFound)
        return try decode(type, from: response, request: "GET \(path)")
    }

    private func request(
        _ method: HTTPMethod, _ path: String, body: String? = nil, notFound: ZeroTierError? = nil
    ) async throws(ZeroTierError) -> LoopbackHTTPClient.Response {
        let name = "\(method.rawValue) \(path)"
        logger.trace("ZeroTier API request", metadata: ["request": "\(name)", "service": "\(endpoint.address)"])
        let response: LoopbackHTTPClient.Response
        do {
            response = try await http.send(
                method: method, path: path, headers: [("X-ZT1-Auth", endpoint.token.secret)], body: body)
        } catch {
            logger.debug("ZeroTier API request failed", metadata: ["request": "\(name)", "error": "\(error)"])
            switch error {
            case .connectionRefused:
                throw .serviceNotRunning(endpoint: endpoint.address, portSource: endpoint.portSource)
            case .timedOut:
                throw .serviceNotResponding(endpoint: endpoint.address, after: Duration(http.responseTimeout))
            case .incompleteResponse:
                throw .malformedResponse(
                    request: name, endpoint: endpoint.address, reason: "the connection closed before a complete HTTP response")
            case .other(let reason):
                throw .connectionFailed(endpoint: endpoint.address, reason: reason)
            }
        }
        logger.trace("ZeroTier API response", metadata: ["request": "\(name)", "status": "\(response.status)"])
        switch response.status {
        case 200:
            return response
        case 401:
            throw .unauthorized(
                endpoint: endpoint.address, tokenPath: endpoint.token.path, locations: endpoint.tokenLocations)
        case 404 where notFound != nil:
            throw notFound!
        default:
            throw .unexpectedHTTPStatus(
                request: name, status: response.status, body: String(decoding: response.body, as: UTF8.self))
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, from response: LoopbackHTTPClient.Response, request: String) throws(ZeroTierError) -> T {
        do {
            return try JSONDecoder().decode(type, from: Data(response.body))
        } catch let error as DecodingError {
            throw .malformedResponse(request: request, endpoint: endpoint.address, reason: error.shortDescription)
        } catch {
            throw .malformedResponse(request: request, endpoint: endpoint.address, reason: "\(error)")
        }
    }
}

extension DecodingError {
    /// What is wrong and where, without Foundation's nested NSError dump.
    var shortDescription: String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "the top level" : keys.joined(separator: ".")
        }
        switch self {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return "not valid JSON" }
            return "\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing \"\(key.stringValue)\" at \(path(context))"
        case .typeMismatch(let type, let context):
            return "\(path(context)) is not \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)) is null, expected \(type)"
        @unknown default:
            return "\(self)"
        }
    }
}

extension Duration {
    /// Nanoseconds, clamped to Int64 (NIO's TimeAmount range).
    var nanosecondsClamped: Int64 {
        let (seconds, attoseconds) = components
        guard seconds < Int64.max / 1_000_000_000 else { return .max }
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    init(_ amount: NIOCore.TimeAmount) {
        self = .nanoseconds(amount.nanoseconds)
    }
}
