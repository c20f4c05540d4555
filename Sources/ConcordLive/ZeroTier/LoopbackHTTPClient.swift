import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP/1.1 client for one request at a time to a service on the loopback.
///
/// Why not URLSession: on Linux it lives in FoundationNetworking, which wraps libcurl and
/// reports a refused connection as a generic "could not connect" NSError, while the fix we print
/// depends on knowing it was ECONNREFUSED (service not running) rather than a timeout (service
/// hung). Why not async-http-client: minutes of extra build for TLS, redirects, pooling and proxies,
/// none of which a plain-HTTP request to 127.0.0.1 needs. SwiftNIO is already a dependency for
/// the UDP transport, so NIOHTTP1 costs one small module (plus its C parser) and gives exact
/// errno-level errors, a connect timeout and a response timeout with no extra runtime library.
///
/// Each request opens a connection, sends `Connection: close` and reads to the end, which is
/// what the ZeroTier One service expects from `zerotier-cli` and keeps no state between calls.
struct LoopbackHTTPClient: Sendable {
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    enum Failure: Error, Sendable {
        /// ECONNREFUSED: nothing listens on the port.
        case connectionRefused
        /// No connection or no complete response within the time allowed.
        case timedOut
        /// The connection closed before a complete response arrived.
        case incompleteResponse
        case other(String)
    }

    var host: String
    var port: Int
    var connectTimeout: TimeAmount = .seconds(3)
    var responseTimeout: TimeAmount = .seconds(10)

    func send(method: HTTPMethod, path: String, headers extraHeaders: [(String, String)], body: String?) async throws(Failure) -> Response {
        let address: SocketAddress
        do {
            address = try SocketAddress(ipAddress: host, port: port)
        } catch {
            throw .other("\(host) is not an IP address")
        }
        do {
            return try await perform(address: address, method: method, path: path, headers: extraHeaders, body: body)
        } catch let failure as Failure {
            throw failure
        } catch let error as IOError where error.errnoCode == ECONNREFUSED {
            throw .connectionRefused
        } catch let error as ChannelError {
            switch error {
            case .connectTimeout: throw .timedOut
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: throw .incompleteResponse
            default: throw .other("\(error)")
            }
        } catch {
            throw .other("\(error)")
        }
    }

    private func perform(
        address: SocketAddress, method: HTTPMethod, path: String, headers extraHeaders: [(String, String)], body: String?
    ) async throws -> Response {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(connectTimeout)
            .connect(to: address) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(
                        wrappingChannelSynchronously: channel)
                }
            }

        // A service that accepts but never answers must not hang the CLI: close the channel
        // when the deadline passes, which ends the inbound stream below.
        let timedOut = NIOLoopBoundBox.makeBoxSendingValue(false, as: Bool.self, eventLoop: channel.channel.eventLoop)
        let deadline = channel.channel.eventLoop.scheduleTask(in: responseTimeout) {
            timedOut.value = true
            channel.channel.close(promise: nil)
        }
        defer { deadline.cancel() }

        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "Accept", value: "application/json")
        for (name, value) in extraHeaders { headers.add(name: name, value: value) }
        let bodyBytes = body.map { Array($0.utf8) }
        if let bodyBytes {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(bodyBytes.count))
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)

        let outcome: Result<Response?, any Error>
        do {
            outcome = .success(try await exchange(channel, head: head, body: bodyBytes))
        } catch {
            outcome = .failure(error)
        }
        let expired = try await channel.channel.eventLoop.submit { timedOut.value }.get()
        if expired { throw Failure.timedOut }
        guard let response = try outcome.get() else { throw Failure.incompleteResponse }
        return response
    }

    /// Writes the request and reads the response; `nil` if the connection ends before a full one.
    private func exchange(
        _ channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, head: HTTPRequestHead, body bodyBytes: [UInt8]?
    ) async throws -> Response? {
        try await channel.executeThenClose { inbound, outbound in
            // One batch, one flush: the service answers (and closes) as soon as the request is
            // complete, so writing the parts separately races that close and fails the last write.
            var parts: [HTTPClientRequestPart] = [.head(head)]
            if let bodyBytes { parts.append(.body(.byteBuffer(ByteBuffer(bytes: bodyBytes)))) }
            parts.append(.end(nil))
            do {
                try await outbound.write(contentsOf: parts)
            } catch {
                // The peer closed early; whatever it sent before closing is still worth reading.
            }

            var status: Int?
            var received: [UInt8] = []
            for try await part in inbound {
                switch part {
                case .head(let responseHead):
                    status = Int(responseHead.status.code)
                case .body(var buffer):
                    received += buffer.readBytes(length: buffer.readableBytes) ?? []
                case .end:
                    if let status { return Response(status: status, body: received) }
                    return nil
                }
            }
            return nil
        }
    }
}
