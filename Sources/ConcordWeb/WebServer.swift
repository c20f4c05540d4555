import ConcordLive
import ConcordWebProtocol
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle

/// The client's page on 127.0.0.1 and a port the system picks: `GET /?token=…` serves it,
/// `/ws?token=…` is its WebSocket (snapshots out, commands in). A wrong or missing token gets
/// 403 for the page; a WebSocket upgrade with a wrong token, from another origin or to another
/// path is refused (HummingbirdWebSocket answers 400 and closes).
public struct WebServer: Sendable {
    public let access: WebAccess
    private let hub: WebHub
    private let logger: Logger

    /// The page of one joined room: the terminal view's snapshot and commands, and its invite on request.
    public init(
        access: WebAccess = WebAccess(), snapshot: @escaping @Sendable () -> LiveSnapshot,
        submit: @escaping @Sendable (LiveCommand) -> Void, invite: String? = nil, logger: Logger = Logger(label: "concord.web")
    ) {
        self.init(access: access, model: RoomPage(snapshot: snapshot, submit: submit, invite: invite), logger: logger)
    }

    public init(access: WebAccess = WebAccess(), model: any PageModel, logger: Logger = Logger(label: "concord.web")) {
        self.access = access
        hub = WebHub(model: model)
        self.logger = logger
    }

    /// A server that is listening.
    public struct Running: Sendable {
        public let port: Int
        /// The page's address, token included: the only way in.
        public let url: String
        fileprivate let group: ServiceGroup
        fileprivate let task: Task<Void, any Error>

        /// Stops accepting, closes the pages' WebSockets and waits for the server to end.
        public func stop() async {
            await group.triggerGracefulShutdown()
            _ = await task.result
        }
    }

    /// Binds and returns once listening; throws the system's reason when it cannot bind.
    public func start() async throws -> Running {
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router(), server: serverBuilder(),
            configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: nil),
            services: [hub],
            onServerRunning: { channel in
                portContinuation.yield(channel.localAddress?.port ?? -1)
                portContinuation.finish()
            },
            logger: logger)
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [], logger: logger)
        configuration.maximumGracefulShutdownDuration = .seconds(2)
        let group = ServiceGroup(configuration: configuration)
        let task = Task {
            defer { portContinuation.finish() }
            try await group.run()
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else {
            try await task.value
            throw WebServerError(description: "the page's server did not start listening")
        }
        return Running(port: port, url: "http://127.0.0.1:\(port)/?token=\(access.token)", group: group, task: task)
    }

    private func router() -> Router<WebRequestContext> {
        let router = Router(context: WebRequestContext.self)
        let access = access
        router.get("/") { request, context -> Response in
            guard access.accepts(token: request.uri.queryParameters["token"].map(String.init)) else {
                throw HTTPError(.forbidden, message: "This page needs the address concord printed, with its token.")
            }
            var headers: HTTPFields = [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"]
            // The token is in the address: never send it on as a Referer; only this page's own code and socket.
            headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
            headers[.contentSecurityPolicy] =
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; "
                + "connect-src ws://127.0.0.1:\(context.localPort ?? 0); base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: WebPage.html)))
        }
        return router
    }

    private func serverBuilder() -> HTTPServerBuilder {
        let access = access
        let hub = hub
        let shouldUpgrade:
            @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<
                WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
            > = { request, channel, logger in
                let uri = URI(request.path ?? "")
                guard uri.path == "/ws", access.accepts(token: uri.queryParameters["token"].map(String.init)),
                    WebAccess.accepts(origin: request.headerFields[.origin], localPort: channel.localAddress?.port)
                else {
                    logger.notice("refused a WebSocket", metadata: ["origin": "\(request.headerFields[.origin] ?? "none")"])
                    return .dontUpgrade
                }
                return .upgrade([:]) { inbound, outbound, _ in
                    try await Self.serve(hub: hub, inbound: inbound, outbound: outbound)
                }
            }
        return HTTPServerBuilder { responder in
            QuiesceSafeChildChannel(
                inner: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: .init(), shouldUpgrade: shouldUpgrade))
        }
    }

    /// One page: snapshots out, commands in, until either side closes or the server stops.
    private static func serve(hub: WebHub, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (id, snapshots) = await hub.open()
        defer { Task { await hub.close(id) } }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await text in snapshots { try await outbound.writeTextMessage(text) }
            }
            group.addTask {
                for try await message in inbound.messages(maxSize: PageCommand.maximumBytes) {
                    guard case .text(let text) = message else { continue }
                    if let reply = await hub.handle(text) { try await outbound.writeTextMessage(reply) }
                }
            }
            // Whichever ends first (the page left, or the server is stopping) ends the page.
            try await group.next()
            group.cancelAll()
        }
    }
}

/// The page's server could not start.
public struct WebServerError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}

/// Hummingbird's request context, with the port the connection came in on (the page's origin).
struct WebRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let localPort: Int?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        localPort = source.channel.localAddress?.port
    }
}
