import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A stand-in for the ZeroTier One service's local JSON API, because ZeroTier cannot run on the
/// test machines (no TUN device, no internet, no controller). It runs in the test process or, as
/// `fake-zerotier-one`, as a process of its own (one per network namespace).
///
/// It reproduces what `service/OneService.cpp` does for the requests Concord makes, and what a
/// real zerotier-one 1.14.1 was seen to do:
/// - HTTP on 127.0.0.1, the port written to `zerotier-one.port` without a trailing newline, and
///   a 24-character token in `authtoken.secret` (mode 0600; an existing one is reused, as the
///   service does), so the client finds it exactly as it finds the real one;
/// - auth by `X-ZT1-Auth` (or `Authorization: Bearer`), 401 with body `{}` otherwise;
/// - `GET /status` (with `online` false for a while after a start or restart, as the real node is
///   until it reaches the roots), `GET /peer` (the roots, without paths while offline),
///   `GET /network`, `GET /network/{nwid}` (404 `{}` when not joined), `POST /network/{nwid}`
///   (join; the allow flags stored), `DELETE /network/{nwid}` (`{"result":true}`, and `200 {}`
///   for a network not joined — not 404), 404 `{}` for anything else;
/// - network objects with every field of `_networkToJson`: `REQUESTING_CONFIGURATION` (already
///   `type` PRIVATE, `broadcastEnabled` false) until configured, then `OK` with the addresses in
///   the real order (rfc4193 /88, 6plane /40, IPv4), or `ACCESS_DENIED` until a test authorizes
///   the member, after which it turns `OK` by itself a few seconds later; or any other status;
/// - one endpoint the real service does not have: `POST /fake/authorize/{nwid}` (same token),
///   the network administrator ticking "Auth" for this member;
/// - failure modes: malformed JSON bodies, and a service that accepts connections but never answers.
public final class FakeZeroTierService: Sendable {
    /// When a joined network's configuration arrives.
    public enum Configuration: Sendable, Equatable {
        /// After this many `GET /network/{nwid}` polls (deterministic, for unit tests).
        case afterPolls(Int)
        /// This long after the join (as the real controller answers).
        case after(Duration)
        /// The controller never answers.
        case never
    }

    /// How a network behaves once joined.
    public struct Script: Sendable {
        public var configuration: Configuration
        /// The status once configured. `ACCESS_DENIED` means "this member is not authorized yet":
        /// after ``FakeZeroTierService/authorize(_:)`` (or `POST /fake/authorize/{nwid}`) it turns
        /// `OK` by itself ``Options/authorizationDelay`` later, as the real one does.
        public var status: String
        /// The addresses once `OK`; `nil` for the real trio (rfc4193, 6plane, ``Options/ipv4``).
        public var addresses: [String]?
        public var name = "concord-test"
        public var portError = 0
        public var authenticationURL: String?

        public init(configuration: Configuration, status: String, addresses: [String]? = nil) {
            self.configuration = configuration
            self.status = status
            self.addresses = addresses
        }

        /// `REQUESTING_CONFIGURATION` for `afterPolls` polls, then `OK` with `addresses`.
        public static func ready(afterPolls: Int, addresses: [String]? = nil) -> Script {
            Script(configuration: .afterPolls(afterPolls), status: "OK", addresses: addresses)
        }

        /// `REQUESTING_CONFIGURATION` for `afterPolls` polls, then `status` (no addresses).
        public static func failing(_ status: String, afterPolls: Int = 1) -> Script {
            Script(configuration: .afterPolls(afterPolls), status: status, addresses: [])
        }

        /// Configured after `afterPolls` polls, but `ACCESS_DENIED` until authorized.
        public static func needsAuthorization(afterPolls: Int = 1, addresses: [String]? = nil) -> Script {
            Script(configuration: .afterPolls(afterPolls), status: "ACCESS_DENIED", addresses: addresses)
        }

        /// The controller never answers.
        public static let neverConfigured = Script(configuration: .never, status: "OK", addresses: [])
    }

    /// The service as a whole.
    public struct Options: Sendable {
        /// This node's 10-hex-digit ZeroTier address.
        public var nodeAddress = "89e92ceee5"
        /// The IPv4 address (with prefix) networks without a script assign this node.
        public var ipv4 = "10.147.17.5/24"
        /// When configuration arrives for networks without a script.
        public var configuration = Configuration.afterPolls(2)
        /// Networks without a script need ``FakeZeroTierService/authorize(_:)`` first (private network,
        /// member not yet authorized).
        public var requireAuthorization = false
        /// From authorization to `OK`: about 3 s on a real network.
        public var authorizationDelay = Duration.seconds(3)
        /// `online` stays false this long after the start, as a real node's does until it reaches
        /// the roots (about 5 s after a restart); networks configure meanwhile.
        public var offlineAfterStart = Duration.zero
        /// The roots are never reached (no internet): `online` stays false and no root has a path.
        public var rootsUnreachable = false
        /// The token; `nil` to reuse the home's `authtoken.secret`, else make a random one.
        public var token: String?
        public var version = "1.14.1"
        /// Called with one line per request answered ("GET /status 200"), for a process's log.
        public var requestLog: (@Sendable (String) -> Void)?

        public init() {}
    }

    /// One request as the fake saw it.
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var authToken: String?
        public var body: String
    }

    private struct Network {
        var script: Script
        var joinedAt: ContinuousClock.Instant
        var polls = 0
        var allowManaged = true
        var allowGlobal = false
        var allowDefault = false
        var allowDNS = false
    }

    private struct State {
        var scripts: [String: Script] = [:]
        var joined: [String: Network] = [:]
        /// When the member was authorized on each network (before or after joining it).
        var authorizedAt: [String: ContinuousClock.Instant] = [:]
        var offlineUntil: ContinuousClock.Instant
        var requests: [Request] = []
        var malformedJSON = false
        var hang = false
        var leaveElsewhereBeforeNextDelete = false
    }

    /// The roots of ZeroTier's default planet as `GET /peer` lists them (role PLANET).
    static let rootAddresses = ["cafe04eba9", "cafe80ed74", "cafe9efeb9", "cafefd6717"]

    public let options: Options
    public let token: String
    public let home: URL
    public let port: Int
    private let ownsHome: Bool
    private let channel: any Channel
    private let state: NIOLockedValueBox<State>

    public var nodeAddress: String { options.nodeAddress }

    private init(options: Options, token: String, home: URL, ownsHome: Bool, port: Int, channel: any Channel) {
        self.options = options
        self.token = token
        self.home = home
        self.ownsHome = ownsHome
        self.port = port
        self.channel = channel
        state = NIOLockedValueBox(State(offlineUntil: .now + options.offlineAfterStart))
    }

    /// Starts the fake on 127.0.0.1 (of the network namespace it runs in) and writes its home.
    ///
    /// - Parameters:
    ///   - home: the service home to write `authtoken.secret` and `zerotier-one.port` into,
    ///     created if missing and left in place by ``stop()``; `nil` for a temporary one that
    ///     ``stop()`` removes.
    ///   - port: 0 for any free port.
    public static func start(_ options: Options = Options(), home: URL? = nil, port: Int = 0) async throws
        -> FakeZeroTierService
    {
        guard options.nodeAddress.count == 10, UInt64(options.nodeAddress, radix: 16) != nil else {
            throw FakeZeroTierError("node address \"\(options.nodeAddress)\" is not 10 hexadecimal digits")
        }
        guard FakeZeroTierAddresses.parseIPv4CIDR(options.ipv4) != nil else {
            throw FakeZeroTierError("IPv4 \"\(options.ipv4)\" is not a.b.c.d/bits")
        }
        guard (0...65535).contains(port) else { throw FakeZeroTierError("port \(port) is not 0...65535") }
        let directory = home ?? FileManager.default.temporaryDirectory.appendingPathComponent("concord-zt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let token = try Self.prepareToken(options.token, in: directory)

        let box = NIOLockedValueBox<FakeZeroTierService?>(nil)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(service: box))
                    }
                }
                .bind(host: "127.0.0.1", port: port).get()
        } catch let error as IOError {
            throw FakeZeroTierError("cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(error.errnoCode)))")
        }
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            throw FakeZeroTierError("the listening socket has no port")
        }
        let service = FakeZeroTierService(
            options: options, token: token, home: directory, ownsHome: home == nil, port: boundPort, channel: channel)
        box.withLockedValue { $0 = service }
        // The real service writes the bare number, no newline.
        try Data(String(boundPort).utf8).write(to: directory.appendingPathComponent("zerotier-one.port"))
        return service
    }

    /// The service's own rule: reuse a non-empty `authtoken.secret`, else write 24 random
    /// characters of [a-z0-9], readable by the owner only.
    private static func prepareToken(_ given: String?, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent("authtoken.secret")
        if given == nil, let existing = try? String(contentsOf: path, encoding: .utf8) {
            let trimmed = existing.trimmingCharacters(in: .whitespacesAndNewlines)
            if !trimmed.isEmpty { return trimmed }
        }
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        let token = given ?? String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
        try? FileManager.default.removeItem(at: path)
        guard FileManager.default.createFile(atPath: path.path, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        else { throw FakeZeroTierError("cannot write \(path.path)") }
        return token
    }

    /// Stops listening; removes the home if the fake made it.
    public func stop() async {
        try? await channel.close()
        if ownsHome { try? FileManager.default.removeItem(at: home) }
    }

    // MARK: Controls for tests

    /// Sets how network `id` will behave once joined (default: ``Options``).
    public func script(_ id: String, _ script: Script) {
        state.withLockedValue { $0.scripts[id] = script }
    }

    /// Makes the service already a member of `id`, as if joined earlier (and configured by now
    /// if the script says so by time).
    public func preJoin(_ id: String, _ script: Script) {
        state.withLockedValue { $0.joined[id] = Network(script: script, joinedAt: .now - .seconds(3600)) }
    }

    /// The network's administrator authorizes this member on `id` (joined yet or not): an
    /// `ACCESS_DENIED` network turns `OK` ``Options/authorizationDelay`` later.
    public func authorize(_ id: String) {
        state.withLockedValue { state in
            if state.authorizedAt[id] == nil { state.authorizedAt[id] = .now }
        }
    }

    /// A service restart: `online` is false for `offlineFor`, while joined networks stay `OK`.
    public func restart(offlineFor: Duration) {
        state.withLockedValue { $0.offlineUntil = .now + offlineFor }
    }

    /// Another program (`zerotier-cli leave`) leaves the network just before the next `DELETE`
    /// arrives: the race between a client's membership check and its leave.
    public func leaveElsewhereBeforeNextDelete() {
        state.withLockedValue { $0.leaveElsewhereBeforeNextDelete = true }
    }

    /// Every answer's body becomes truncated JSON.
    public func setMalformedJSON(_ on: Bool) {
        state.withLockedValue { $0.malformedJSON = on }
    }

    /// Accept connections but never answer.
    public func setHang(_ on: Bool) {
        state.withLockedValue { $0.hang = on }
    }

    public var requests: [Request] { state.withLockedValue { $0.requests } }
    public var joinedIDs: [String] { state.withLockedValue { $0.joined.keys.sorted() } }

    /// Whether `GET /status` says online now.
    public var isOnline: Bool {
        let until = state.withLockedValue { $0.offlineUntil }
        return !options.rootsUnreachable && ContinuousClock.now >= until
    }

    // MARK: The API

    /// The status and JSON body for one request; `nil` to not answer at all.
    fileprivate func respond(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: String) -> (Int, String)? {
        var auth = headers.first(name: "X-ZT1-Auth")
        if auth == nil, let bearer = headers.first(name: "Authorization"), bearer.hasPrefix("Bearer ") {
            auth = String(bearer.dropFirst("Bearer ".count))
        }
        let answer = state.withLockedValue { state -> (Int, String)? in
            state.requests.append(Request(method: method.rawValue, path: uri, authToken: auth, body: body))
            if state.hang { return nil }
            guard auth == token else { return (401, "{}") }
            var (status, json) = route(&state, method: method, uri: uri, body: body, now: .now)
            if state.malformedJSON {
                json = String(json.prefix(json.count / 2))
                status = 200
            }
            return (status, json)
        }
        options.requestLog?("\(method.rawValue) \(uri) \(answer.map { String($0.0) } ?? "(no answer)")")
        return answer
    }

    private func route(_ state: inout State, method: HTTPMethod, uri: String, body: String, now: ContinuousClock.Instant)
        -> (Int, String)
    {
        let parts = uri.split(separator: "?").first.map { $0.split(separator: "/").map(String.init) } ?? []
        switch (method, parts.count, parts.first) {
        case (.GET, 1, "status"):
            return (200, statusJSON(online: !options.rootsUnreachable && now >= state.offlineUntil))
        case (.GET, 1, "peer"):
            return (200, peersJSON(online: !options.rootsUnreachable && now >= state.offlineUntil))
        case (.GET, 1, "network"):
            let all = state.joined.keys.sorted().compactMap { id in
                state.joined[id].map { networkJSON(id: id, network: $0, authorizedAt: state.authorizedAt[id], now: now) }
            }
            return (200, "[" + all.joined(separator: ",") + "]")
        case (.GET, 2, "network"):
            guard var network = state.joined[parts[1]] else { return (404, "{}") }
            network.polls += 1
            state.joined[parts[1]] = network
            return (200, networkJSON(id: parts[1], network: network, authorizedAt: state.authorizedAt[parts[1]], now: now))
        case (.POST, 2, "network"):
            let id = parts[1]
            guard Self.isNetworkID(id) else { return (500, "{}") }
            var network = state.joined[id] ?? Network(script: state.scripts[id] ?? defaultScript, joinedAt: now)
            if let flags = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] {
                if let value = flags["allowManaged"] as? Bool { network.allowManaged = value }
                if let value = flags["allowGlobal"] as? Bool { network.allowGlobal = value }
                if let value = flags["allowDefault"] as? Bool { network.allowDefault = value }
                if let value = flags["allowDNS"] as? Bool { network.allowDNS = value }
            }
            state.joined[id] = network
            return (200, networkJSON(id: id, network: network, authorizedAt: state.authorizedAt[id], now: now))
        case (.DELETE, 2, "network"):
            if state.leaveElsewhereBeforeNextDelete {
                state.leaveElsewhereBeforeNextDelete = false
                state.joined.removeValue(forKey: parts[1])
            }
            // The real service answers 200 with an empty object for a network it is not in.
            guard state.joined.removeValue(forKey: parts[1]) != nil else { return (200, "{}") }
            return (200, #"{"result":true}"#)
        case (.POST, 3, "fake") where parts[1] == "authorize":
            let id = parts[2].lowercased()
            guard Self.isNetworkID(id) else {
                return (400, #"{"error":"not a network id: 16 hexadecimal digits expected"}"#)
            }
            if state.authorizedAt[id] == nil { state.authorizedAt[id] = now }
            return (200, #"{"authorized":true,"nwid":"\#(id)"}"#)
        default:
            return (404, "{}")
        }
    }

    private var defaultScript: Script {
        Script(configuration: options.configuration, status: options.requireAuthorization ? "ACCESS_DENIED" : "OK")
    }

    private static func isNetworkID(_ id: String) -> Bool {
        id.count == 16 && UInt64(id, radix: 16) != nil
    }

    /// The status object, with the fields `GET /status` has in OneService.cpp.
    private func statusJSON(online: Bool) -> String {
        let numbers = options.version.split(separator: ".").map { Int($0) ?? 0 } + [0, 0, 0]
        return """
            {"address":"\(options.nodeAddress)","clock":\(Self.clockMilliseconds),"config":{"settings":{"allowTcpFallbackRelay":true,\
            "forceTcpRelay":false,"listeningOn":["127.0.0.1/9993"],"portMappingEnabled":true,"primaryPort":9993,\
            "secondaryPort":41273,"softwareUpdate":"disable","softwareUpdateChannel":"release","surfaceAddresses":[],\
            "tertiaryPort":0}},"online":\(online),"planetWorldId":149604618,"planetWorldTimestamp":1738848951118,\
            "publicIdentity":"\(options.nodeAddress):0:4c0c2a81f2b1c2e3d4","tcpFallbackActive":false,\
            "version":\(Self.quoted(options.version)),"versionBuild":0,"versionMajor":\(numbers[0]),\
            "versionMinor":\(numbers[1]),"versionRev":\(numbers[2])}
            """
    }

    /// `GET /peer` as `_peerToJson` writes it: the roots (role PLANET), each with one live path once
    /// online and none before (a root that has never answered has no path).
    private func peersJSON(online: Bool) -> String {
        let now = Self.clockMilliseconds
        let peers = Self.rootAddresses.enumerated().map { index, address in
            let paths = online
                ? #"[{"active":true,"address":"203.0.113.\#(index + 10)/9993","expired":false,"lastReceive":\#(now - 250),"# +
                    #""lastSend":\#(now - 300),"localPort":9993,"localSocket":1,"preferred":true,"trustedPathId":0}]"#
                : "[]"
            let version = online ? "1.14.0" : "-1.-1.-1"
            let numbers = online ? (1, 14, 0) : (-1, -1, -1)
            return """
                {"address":"\(address)","isBonded":false,"latency":\(online ? 40 + index * 17 : -1),"paths":\(paths),\
                "role":"PLANET","tunneled":false,"version":"\(version)","versionMajor":\(numbers.0),\
                "versionMinor":\(numbers.1),"versionRev":\(numbers.2)}
                """
        }
        return "[" + peers.joined(separator: ",") + "]"
    }

    /// What the network looks like now: configured yet, authorized yet.
    private func networkStatus(_ network: Network, authorizedAt: ContinuousClock.Instant?, now: ContinuousClock.Instant) -> String? {
        let configured: Bool
        switch network.script.configuration {
        case .afterPolls(let polls): configured = network.polls > polls
        case .after(let delay): configured = now >= network.joinedAt + delay
        case .never: configured = false
        }
        guard configured else { return nil }
        if network.script.status == "ACCESS_DENIED" {
            guard let authorizedAt, now >= authorizedAt + options.authorizationDelay else { return "ACCESS_DENIED" }
            return "OK"
        }
        return network.script.status
    }

    /// A network object with every field `_networkToJson` writes.
    private func networkJSON(id: String, network: Network, authorizedAt: ContinuousClock.Instant?, now: ContinuousClock.Instant) -> String {
        let configuredStatus = networkStatus(network, authorizedAt: authorizedAt, now: now)
        let status = configuredStatus ?? "REQUESTING_CONFIGURATION"
        let ok = status == "OK"
        let node = UInt64(options.nodeAddress, radix: 16) ?? 0
        let nwid = UInt64(id, radix: 16) ?? 0
        let addresses = ok ? network.script.addresses ?? FakeZeroTierAddresses.assigned(network: nwid, node: node, ipv4: options.ipv4) : []
        let routes = addresses.compactMap(FakeZeroTierAddresses.ipv4NetworkPart).map {
            #"{"flags":0,"metric":0,"target":"\#($0)","via":null}"#
        }
        // Seen on 1.14.1: no broadcast MAC (ff:ff:ff:ff:ff:ff) among the subscriptions, ever.
        let subscriptions = ok
            ? [#"{"adi":0,"mac":"01:00:5e:00:00:01"}"#, #"{"adi":0,"mac":"33:33:00:00:00:01"}"#,
                #"{"adi":0,"mac":"33:33:ff:\#(Self.macTail(node))"}"#]
            : []
        let sso = network.script.authenticationURL.map {
            #","authenticationURL":\#(Self.quoted($0)),"authenticationExpiryTime":0,"ssoEnabled":true"#
        } ?? ""
        return """
            {"allowDNS":\(network.allowDNS),"allowDefault":\(network.allowDefault),"allowGlobal":\(network.allowGlobal),\
            "allowManaged":\(network.allowManaged),"assignedAddresses":[\(addresses.map(Self.quoted).joined(separator: ","))],\
            "bridge":false,"broadcastEnabled":\(ok),"dhcp":false,"dns":{"domain":"","servers":[]},"id":"\(id)",\
            "mac":"f2:\(Self.macTail(node, bytes: 5))","mtu":2800,"multicastSubscriptions":[\(subscriptions.joined(separator: ","))],\
            "name":\(Self.quoted(ok ? network.script.name : "")),"netconfRevision":\(configuredStatus == nil ? 0 : 3),\
            "nwid":"\(id)","portDeviceName":"zt\(id.prefix(8))",\
            "portError":\(configuredStatus == nil ? 0 : network.script.portError),"routes":[\(routes.joined(separator: ","))],\
            "status":\(Self.quoted(status)),"type":"PRIVATE"\(sso)}
            """
    }

    /// The low `bytes` bytes of the node address as `aa:bb:cc`.
    private static func macTail(_ node: UInt64, bytes: Int = 3) -> String {
        (0..<bytes).reversed().map { i in
            let byte = UInt8(truncatingIfNeeded: node >> (8 * UInt64(i)))
            return byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
        }.joined(separator: ":")
    }

    private static var clockMilliseconds: Int64 {
        Int64(Date().timeIntervalSince1970 * 1000)
    }

    /// A JSON string literal.
    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: HTTP plumbing

    /// Collects one request, answers it with `Connection: close`, and closes (as the service does for
    /// `zerotier-cli`).
    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        private let service: NIOLockedValueBox<FakeZeroTierService?>
        private var head: HTTPRequestHead?
        private var body = ""

        init(service: NIOLockedValueBox<FakeZeroTierService?>) {
            self.service = service
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = ""
            case .body(let buffer):
                // A local API takes small JSON bodies; refuse to buffer more than 64 KiB.
                guard body.utf8.count + buffer.readableBytes <= 1 << 16 else {
                    context.close(promise: nil)
                    return
                }
                body += String(buffer: buffer)
            case .end:
                guard let head, let service = service.withLockedValue({ $0 }) else { return }
                guard let (status, json) = service.respond(method: head.method, uri: head.uri, headers: head.headers, body: body)
                else { return }
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: "application/json")
                headers.add(name: "Content-Length", value: String(json.utf8.count))
                headers.add(name: "Connection", value: "close")
                let responseHead = HTTPResponseHead(
                    version: head.version, status: HTTPResponseStatus(statusCode: status), headers: headers)
                context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: json)))), promise: nil)
                let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
                context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                    bound.value.close(promise: nil)
                }
            }
        }
    }
}

/// Why the fake could not start, in a sentence.
public struct FakeZeroTierError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
