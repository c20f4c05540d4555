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

/// Where a join stands while it waits; a progress line is printed only when this changes.
public enum ZeroTierJoinPhase: Equatable, Sendable {
    /// The controller has not answered yet.
    case requestingConfiguration
    /// Private network, member not authorized (yet): the admin must authorize `node`.
    case accessDenied(node: String?)
    /// Configured, but no IPv4 address among `assigned` yet.
    case waitingForIPv4(assigned: [AssignedAddress])
    /// Ready with `address`, but the node is offline (the service probably just started); waits
    /// up to `grace` for it.
    case nodeComingOnline(address: AssignedAddress, node: String, grace: Duration)
}

/// What ``ZeroTierClient/waitUntilReady(_:timeout:pollInterval:progress:)`` reports each time the
/// join's phase changes.
public struct ZeroTierJoinProgress: Sendable {
    /// The poll that saw this phase first (1 for the first poll).
    public var attempt: Int
    public var elapsed: Duration
    /// How long the join waits in all.
    public var timeout: Duration
    public var phase: ZeroTierJoinPhase
    /// The network as the service described it on this poll.
    public var network: ZeroTierNetwork

    /// One line for a terminal: what is being waited for, and for an admin's action, whose.
    public var summary: String {
        let id = network.id
        let line: String
        switch phase {
        case .requestingConfiguration:
            line = "Joining \(id): requesting configuration from controller \(id.controllerAddress)"
        case .accessDenied(let node):
            let who = node.map { "node \($0)" } ?? "this node"
            line = "Joining \(id): access denied (ACCESS_DENIED): \(who) is not authorized on this private network yet. "
                + "Ask the network's administrator to authorize \(who) (ZeroTier Central: the network's Members list, "
                + "tick Auth); waiting up to \(timeout.secondsText)"
        case .waitingForIPv4(let assigned):
            let have = assigned.isEmpty ? "" : " (assigned so far: \(assigned.map(\.description).joined(separator: ", ")))"
            line = "Joining \(id): configured; waiting for an IPv4 address\(have)"
        case .nodeComingOnline(let address, let node, let grace):
            line = "Joined \(id) as \(address), but node \(node) is offline: waiting up to "
                + "\(grace.secondsText) for it to reach the ZeroTier roots "
                + "(normal for a few seconds after the service starts)"
        }
        return "\(line) (\(elapsed.roughSecondsText))"
    }
}

/// A join that got its IPv4 address, and whether the node was online when it did.
public struct ZeroTierJoined: Equatable, Sendable {
    /// The IPv4 address Concord binds (the first IPv4 among the network's assigned addresses).
    public var address: AssignedAddress
    public var network: ZeroTierNetwork
    /// This node's 10-hex-digit address.
    public var node: String
    public var reachability: ZeroTierNodeReachability

    public init(address: AssignedAddress, network: ZeroTierNetwork, node: String, reachability: ZeroTierNodeReachability) {
        self.address = address
        self.network = network
        self.node = node
        self.reachability = reachability
    }

    /// `"Joined 8056c2e21c000001: this node is 10.147.17.5/24"`, with why it is not usable yet when
    /// the node is offline (so a join never looks fine while it is not).
    public var summary: String {
        let joined = "Joined \(network.id): this node is \(address)"
        guard !reachability.isOnline else { return joined }
        return joined + ", but node \(node) is offline, \(reachability.explanation()); "
            + "other members cannot reach this node until it is online"
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

    /// Polls `GET /network/{nwid}` until the network is `OK` with an IPv4 address and the node is
    /// online (or has had ``ZeroTierNodeReachability/startupGrace`` to come online), and returns
    /// the address with the node's reachability.
    ///
    /// `ACCESS_DENIED` is waited through: it turns `OK` by itself a few seconds after the network's
    /// administrator authorizes the member, so only the timeout ends it
    /// (``ZeroTierError/accessDenied(_:node:after:)``). Statuses that do not resolve by waiting
    /// (NOT_FOUND, PORT_ERROR, CLIENT_TOO_OLD, AUTHENTICATION_REQUIRED, unknown) fail at once.
    /// Still waiting when `timeout` runs out fails with ``ZeroTierError/configurationTimedOut(_:after:)``
    /// or ``ZeroTierError/addressTimedOut(_:after:assigned:node:)``; ready but offline at the
    /// timeout returns the address with the node's reachability.
    ///
    /// - Parameter progress: called once per phase change (on the caller's task), not once per poll.
    /// - Parameter onlineGrace: how long a ready network waits for an offline node (tests shorten it).
    public func waitUntilReady(
        _ id: NetworkID, timeout: Duration, pollInterval: Duration = .milliseconds(500),
        onlineGrace: Duration = ZeroTierNodeReachability.startupGrace,
        progress: (ZeroTierJoinProgress) -> Void = { _ in }
    ) async throws(ZeroTierError) -> ZeroTierJoined {
        let clock = ContinuousClock()
        let start = clock.now
        var attempt = 0
        var lastPhase: ZeroTierJoinPhase?
        var node: String?
        var offlineSince: ContinuousClock.Instant?
        while true {
            attempt += 1
            let network = try await network(id)
            let elapsed = clock.now - start
            logger.debug(
                "polled ZeroTier network",
                metadata: ["network": "\(id)", "status": "\(network.status)", "attempt": "\(attempt)"])
            let phase: ZeroTierJoinPhase
            switch network.status {
            case .ok:
                guard let address = network.ipv4Address else {
                    phase = .waitingForIPv4(assigned: network.assignedAddresses)
                    break
                }
                let status = try await status()
                node = status.address
                if status.online {
                    logger.info("ZeroTier network ready", metadata: ["network": "\(id)", "address": "\(address)"])
                    return ZeroTierJoined(address: address, network: network, node: status.address, reachability: .online)
                }
                let since = offlineSince ?? clock.now
                offlineSince = since
                let offlineFor = clock.now - since
                if offlineFor >= onlineGrace || elapsed >= timeout {
                    let roots = try? await rootPaths()
                    let reachability = ZeroTierNodeReachability.assess(
                        online: false, offlineFor: offlineFor, roots: roots, grace: onlineGrace)
                    logger.info("ZeroTier network ready, node offline", metadata: ["network": "\(id)", "address": "\(address)"])
                    return ZeroTierJoined(address: address, network: network, node: status.address, reachability: reachability)
                }
                phase = .nodeComingOnline(address: address, node: status.address, grace: onlineGrace)
            case .requestingConfiguration:
                phase = .requestingConfiguration
            case .accessDenied:
                if node == nil { node = await nodeAddress() }
                phase = .accessDenied(node: node)
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
                throw await timedOut(id, in: phase, after: timeout, node: node)
            }
            if phase != lastPhase {
                lastPhase = phase
                progress(ZeroTierJoinProgress(attempt: attempt, elapsed: elapsed, timeout: timeout, phase: phase, network: network))
            }
            do {
                try await Task.sleep(for: min(pollInterval, timeout - elapsed))
            } catch {
                // Cancelled (Ctrl-C): report where the join stood rather than a bare cancellation.
                if case .nodeComingOnline(let address, let node, _) = phase {
                    let offlineFor = offlineSince.map { clock.now - $0 } ?? .zero
                    return ZeroTierJoined(
                        address: address, network: network, node: node, reachability: .comingOnline(offlineFor: offlineFor))
                }
                throw await timedOut(id, in: phase, after: clock.now - start, node: node)
            }
        }
    }

    /// The error for a wait that ended (timeout or cancellation) in `phase`.
    private func timedOut(_ id: NetworkID, in phase: ZeroTierJoinPhase, after: Duration, node: String?) async -> ZeroTierError {
        switch phase {
        case .requestingConfiguration:
            return .configurationTimedOut(id, after: after)
        case .accessDenied(let denied):
            return .accessDenied(id, node: denied ?? node, after: after)
        case .waitingForIPv4(let assigned):
            var who = node
            if who == nil { who = await nodeAddress() }
            return .addressTimedOut(id, after: after, assigned: assigned, node: who)
        case .nodeComingOnline(_, let node, _):
            // Not reached: a ready network returns instead of timing out. Kept total for the compiler.
            return .addressTimedOut(id, after: after, assigned: [], node: node)
        }
    }

    /// Joins and waits: ``join(_:settings:)`` then ``waitUntilReady(_:timeout:pollInterval:progress:)``.
    public func joinAndWait(
        _ id: NetworkID, settings: ZeroTierJoinSettings = ZeroTierJoinSettings(), timeout: Duration,
        pollInterval: Duration = .milliseconds(500), onlineGrace: Duration = ZeroTierNodeReachability.startupGrace,
        progress: (ZeroTierJoinProgress) -> Void = { _ in }
    ) async throws(ZeroTierError) -> ZeroTierJoined {
        try await join(id, settings: settings)
        return try await waitUntilReady(
            id, timeout: timeout, pollInterval: pollInterval, onlineGrace: onlineGrace, progress: progress)
    }

    /// Leaves network `id`; ``ZeroTierError/notJoined(_:)`` if this node is not a member.
    ///
    /// Membership is checked first (`GET /network/{nwid}`, 404 when not joined) because the real
    /// service answers `DELETE` for a network it is not in with `200 {}`, which looks like success.
    /// A real leave answers `{"result":true}`; anything else means nothing was left.
    public func leave(_ id: NetworkID) async throws(ZeroTierError) {
        _ = try await network(id)
        logger.info("leaving ZeroTier network", metadata: ["network": "\(id)"])
        let response = try await request(.DELETE, "/network/\(id)", notFound: .notJoined(id))
        struct LeaveAnswer: Decodable { var result: Bool? }
        let answer = try decode(LeaveAnswer.self, from: response, request: "DELETE /network/\(id)")
        guard answer.result == true else { throw .notJoined(id) }
    }

    /// `GET /peer`: the nodes this one talks to, roots included, with their paths.
    public func peers() async throws(ZeroTierError) -> [ZeroTierPeer] {
        try await get("/peer", as: [ZeroTierPeer].self)
    }

    /// The roots and how many have a live path.
    public func rootPaths() async throws(ZeroTierError) -> ZeroTierRootPaths {
        ZeroTierRootPaths(peers: try await peers())
    }

    /// `GET /status`, and if the node is offline, polls until it comes online or has been watched
    /// offline for `maxWait`; then judges by ``ZeroTierNodeReachability/assess(online:offlineFor:roots:grace:)``
    /// (offline for less than `grace` of watching: still coming online).
    ///
    /// - Parameter waiting: called once, when the node is first seen offline and `maxWait` > 0.
    /// - Returns: the last status, the judgement, and how long the node was watched offline (zero
    ///   when it was online at once).
    public func statusWaitingForOnline(
        maxWait: Duration = ZeroTierNodeReachability.startupGrace, pollInterval: Duration = .milliseconds(500),
        grace: Duration = ZeroTierNodeReachability.startupGrace, waiting: (ZeroTierStatus) -> Void = { _ in }
    ) async throws(ZeroTierError) -> (status: ZeroTierStatus, reachability: ZeroTierNodeReachability, offlineFor: Duration) {
        let clock = ContinuousClock()
        var status = try await status()
        if status.online { return (status, .online, .zero) }
        // Watching starts at the first offline answer, not before the request that brought it.
        let offlineSince = clock.now
        if maxWait > .zero { waiting(status) }
        while !status.online && clock.now - offlineSince < maxWait {
            do {
                try await Task.sleep(for: min(pollInterval, maxWait - (clock.now - offlineSince)))
            } catch {
                break
            }
            status = try await self.status()
        }
        let offlineFor = clock.now - offlineSince
        if status.online { return (status, .online, offlineFor) }
        let roots = try? await rootPaths()
        return (status, ZeroTierNodeReachability.assess(online: false, offlineFor: offlineFor, roots: roots, grace: grace), offlineFor)
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
