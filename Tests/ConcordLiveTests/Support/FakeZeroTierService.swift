import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// An in-process stand-in for the ZeroTier One service's local JSON API, because ZeroTier cannot
/// run on the test machines (no TUN device, no root network access, no internet).
///
/// It reproduces what `service/OneService.cpp` does for the requests Concord makes:
/// - HTTP on 127.0.0.1 at a random free port, written to `zerotier-one.port` in a temporary home
///   that also holds `authtoken.secret` (so the client finds it exactly as it finds the real one);
/// - auth by `X-ZT1-Auth` (or `Authorization: Bearer`), 401 with body `{}` otherwise;
/// - `GET /status` with the fields of the real status object, `GET /network` (array),
///   `GET /network/{nwid}` (404 `{}` when not joined), `POST /network/{nwid}` (join; body flags
///   `allowManaged`/`allowGlobal`/`allowDefault`/`allowDNS` stored), `DELETE /network/{nwid}`
///   (`{"result":true}`, 404 when not joined), 404 `{}` for anything else;
/// - network objects with every field of `_networkToJson`, going from `REQUESTING_CONFIGURATION`
///   to a scripted final status after a scripted number of polls;
/// - failure modes: malformed JSON bodies, and a service that accepts connections but never answers.
final class FakeZeroTierService: Sendable {
    /// How a network behaves after a join.
    struct Script: Sendable {
        /// `GET /network/{nwid}` calls answered with `REQUESTING_CONFIGURATION` before `status`.
        var pollsBeforeConfigured: Int
        var status: String
        var addresses: [String]
        var name = "concord-test"
        var portError = 0
        var authenticationURL: String?

        /// `REQUESTING_CONFIGURATION` for `afterPolls` polls, then `OK` with `addresses`.
        static func ready(afterPolls: Int, addresses: [String] = ["10.147.17.5/24"]) -> Script {
            Script(pollsBeforeConfigured: afterPolls, status: "OK", addresses: addresses)
        }

        /// `REQUESTING_CONFIGURATION` for `afterPolls` polls, then `status` (no addresses).
        static func failing(_ status: String, afterPolls: Int = 1) -> Script {
            Script(pollsBeforeConfigured: afterPolls, status: status, addresses: [])
        }

        /// The controller never answers.
        static let neverConfigured = Script(pollsBeforeConfigured: .max, status: "OK", addresses: [])
    }

    /// One request as the fake saw it.
    struct Request: Sendable {
        var method: String
        var path: String
        var authToken: String?
        var body: String
    }

    private struct Network {
        var script: Script
        var polls = 0
        var allowManaged = true
        var allowGlobal = false
        var allowDefault = false
        var allowDNS = false
    }

    private struct State {
        var scripts: [String: Script] = [:]
        var joined: [String: Network] = [:]
        var requests: [Request] = []
        var malformedJSON = false
        var hang = false
    }

    static let nodeAddress = "89e92ceee5"
    static let version = "1.14.2"

    let token: String
    let home: URL
    let port: Int
    private let channel: any Channel
    private let state = NIOLockedValueBox(State())

    private init(token: String, home: URL, port: Int, channel: any Channel) {
        self.token = token
        self.home = home
        self.port = port
        self.channel = channel
    }

    /// Starts the fake on 127.0.0.1 and writes its home (port file and token).
    static func start(token: String = "k3x9vq2m7p4r8t1w6y0z5a2b") async throws -> FakeZeroTierService {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("concord-zt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let box = NIOLockedValueBox<FakeZeroTierService?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(service: box))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw CancellationError() }
        let service = FakeZeroTierService(token: token, home: home, port: port, channel: channel)
        box.withLockedValue { $0 = service }
        try "\(port)\n".write(to: home.appendingPathComponent("zerotier-one.port"), atomically: true, encoding: .utf8)
        try token.write(to: home.appendingPathComponent("authtoken.secret"), atomically: true, encoding: .utf8)
        return service
    }

    /// Stops listening and removes the temporary home.
    func stop() async {
        try? await channel.close()
        try? FileManager.default.removeItem(at: home)
    }

    /// Sets how network `id` will behave once joined (default: ready after 2 polls, 10.147.17.5/24).
    func script(_ id: String, _ script: Script) {
        state.withLockedValue { $0.scripts[id] = script }
    }

    /// Makes the service already a member of `id`, as if joined earlier.
    func preJoin(_ id: String, _ script: Script) {
        state.withLockedValue { $0.joined[id] = Network(script: script) }
    }

    /// Every answer's body becomes truncated JSON.
    func setMalformedJSON(_ on: Bool) {
        state.withLockedValue { $0.malformedJSON = on }
    }

    /// Accept connections but never answer.
    func setHang(_ on: Bool) {
        state.withLockedValue { $0.hang = on }
    }

    var requests: [Request] { state.withLockedValue { $0.requests } }
    var joinedIDs: [String] { state.withLockedValue { $0.joined.keys.sorted() } }

    // MARK: The API

    /// The status and JSON body for one request; `nil` to not answer at all.
    fileprivate func respond(method: HTTPMethod, uri: String, headers: HTTPHeaders, body: String) -> (Int, String)? {
        var auth = headers.first(name: "X-ZT1-Auth")
        if auth == nil, let bearer = headers.first(name: "Authorization"), bearer.hasPrefix("Bearer ") {
            auth = String(bearer.dropFirst("Bearer ".count))
        }
        return state.withLockedValue { state -> (Int, String)? in
            state.requests.append(Request(method: method.rawValue, path: uri, authToken: auth, body: body))
            if state.hang { return nil }
            guard auth == token else { return (401, "{}") }
            guard var (status, json) = route(&state, method: method, uri: uri, body: body) else { return nil }
            if state.malformedJSON {
                json = String(json.prefix(json.count / 2))
                status = 200
            }
            return (status, json)
        }
    }

    private func route(_ state: inout State, method: HTTPMethod, uri: String, body: String) -> (Int, String)? {
        let parts = uri.split(separator: "?")[0].split(separator: "/").map(String.init)
        switch (method, parts.count, parts.first) {
        case (.GET, 1, "status"):
            return (200, statusJSON())
        case (.GET, 1, "network"):
            let all = state.joined.keys.sorted().map { networkJSON(id: $0, network: state.joined[$0]!) }
            return (200, "[" + all.joined(separator: ",") + "]")
        case (.GET, 2, "network"):
            guard var network = state.joined[parts[1]] else { return (404, "{}") }
            network.polls += 1
            state.joined[parts[1]] = network
            return (200, networkJSON(id: parts[1], network: network))
        case (.POST, 2, "network"):
            let id = parts[1]
            guard id.count == 16, UInt64(id, radix: 16) != nil else { return (500, "{}") }
            var network = state.joined[id] ?? Network(script: state.scripts[id] ?? .ready(afterPolls: 2))
            if let flags = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] {
                if let value = flags["allowManaged"] as? Bool { network.allowManaged = value }
                if let value = flags["allowGlobal"] as? Bool { network.allowGlobal = value }
                if let value = flags["allowDefault"] as? Bool { network.allowDefault = value }
                if let value = flags["allowDNS"] as? Bool { network.allowDNS = value }
            }
            state.joined[id] = network
            return (200, networkJSON(id: id, network: network))
        case (.DELETE, 2, "network"):
            guard state.joined.removeValue(forKey: parts[1]) != nil else { return (404, "{}") }
            return (200, #"{"result":true}"#)
        default:
            return (404, "{}")
        }
    }

    /// The status object, with the fields `GET /status` has in OneService.cpp.
    private func statusJSON() -> String {
        """
        {"address":"\(Self.nodeAddress)","clock":1764064800000,"config":{"settings":{"allowTcpFallbackRelay":true,\
        "forceTcpRelay":false,"listeningOn":["127.0.0.1/9993"],"portMappingEnabled":true,"primaryPort":9993,\
        "secondaryPort":41273,"softwareUpdate":"disable","softwareUpdateChannel":"release","surfaceAddresses":[],\
        "tertiaryPort":0}},"online":true,"planetWorldId":149604618,"planetWorldTimestamp":1738848951118,\
        "publicIdentity":"\(Self.nodeAddress):0:4c0c2a81f2b1c2e3d4","tcpFallbackActive":false,\
        "version":"\(Self.version)","versionBuild":0,"versionMajor":1,"versionMinor":14,"versionRev":2}
        """
    }

    /// A network object with every field `_networkToJson` writes.
    private func networkJSON(id: String, network: Network) -> String {
        let configured = network.polls > network.script.pollsBeforeConfigured
        let status = configured ? network.script.status : "REQUESTING_CONFIGURATION"
        let ready = configured && status == "OK"
        let addresses = ready ? network.script.addresses : []
        let quoted = addresses.map { "\"\($0)\"" }.joined(separator: ",")
        let routes = ready
            ? addresses.map { #"{"flags":0,"metric":0,"target":"\#(Self.networkPart($0))","via":null}"# }.joined(separator: ",")
            : ""
        let sso = network.script.authenticationURL.map {
            #","authenticationURL":"\#($0)","authenticationExpiryTime":0,"ssoEnabled":true"#
        } ?? ""
        return """
            {"allowDNS":\(network.allowDNS),"allowDefault":\(network.allowDefault),"allowGlobal":\(network.allowGlobal),\
            "allowManaged":\(network.allowManaged),"assignedAddresses":[\(quoted)],"bridge":false,\
            "broadcastEnabled":\(configured),"dhcp":false,"dns":{"domain":"","servers":[]},"id":"\(id)",\
            "mac":"f2:a1:b2:c3:d4:e5","mtu":2800,"multicastSubscriptions":[{"adi":0,"mac":"01:00:5e:00:00:01"},\
            {"adi":4294967295,"mac":"ff:ff:ff:ff:ff:ff"}],"name":"\(configured ? network.script.name : "")",\
            "netconfRevision":\(configured ? 3 : 0),"nwid":"\(id)","portDeviceName":"zt\(id.prefix(8))",\
            "portError":\(configured ? network.script.portError : 0),"routes":[\(routes)],"status":"\(status)",\
            "type":"\(configured ? "PRIVATE" : "")"\(sso)}
            """
    }

    /// `"10.147.17.5/24"` → `"10.147.17.0/24"` (IPv4 only; IPv6 targets are kept as given).
    private static func networkPart(_ cidr: String) -> String {
        let parts = cidr.split(separator: "/")
        let octets = parts[0].split(separator: ".").compactMap { UInt32($0) }
        guard octets.count == 4, let bits = UInt32(parts[1]), bits <= 32 else { return cidr }
        let value = octets.reduce(0) { $0 << 8 | $1 }
        let mask: UInt32 = bits == 0 ? 0 : ~0 << (32 - bits)
        let network = value & mask
        return "\(network >> 24).\(network >> 16 & 255).\(network >> 8 & 255).\(network & 255)/\(bits)"
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
