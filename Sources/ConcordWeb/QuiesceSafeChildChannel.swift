import HummingbirdCore
import Logging
import NIOCore
import NIOWebSocket

/// Closes, when the server shuts down, a connection that has not finished its first request.
///
/// HummingbirdWebSocket 2.8.1's upgrade channel leaves the server's quiesce event unhandled
/// until a request has been negotiated, and the server then waits for that connection for as
/// long as it stays open. Chromium opens such a connection ahead of need and keeps it idle, so
/// without this a client with its page open did not stop on Ctrl-C or /leave until the browser
/// let go (about a minute). A negotiated connection passes the event on: plain HTTP closes after
/// its response, a WebSocket sends its close frame.
final class CloseUnnegotiatedConnectionOnQuiesce: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            let pipeline = context.pipeline.syncOperations
            let negotiated =
                (try? pipeline.handler(type: HTTPConnectionStateHandler.self)) != nil
                || (try? pipeline.handler(type: WebSocketFrameEncoder.self)) != nil
            if !negotiated {
                context.close(promise: nil)
                return
            }
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// A server child channel with `CloseUnnegotiatedConnectionOnQuiesce` first in its pipeline.
struct QuiesceSafeChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    typealias Value = Inner.Value
    let inner: Inner

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        // On the child channel's event loop (NIO's child channel initializer).
        do {
            try channel.pipeline.syncOperations.addHandler(CloseUnnegotiatedConnectionOnQuiesce())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
