#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Logging
import NIOCore
import NIOPosix
import PacketCapture
import Synchronization

/// The live driver's datagram socket: one UDP socket, bound to a ZeroTier (or any local) address,
/// that hands every received datagram to the engine and sends the engine's datagrams.
///
/// **Receiving** runs on a SwiftNIO `DatagramChannel`: each datagram is stamped with
/// `MonotonicClock.now()` as the channel reads it and passed to `onDatagram` on the channel's event
/// loop. NIO reads into one pooled receive buffer, reused as long as nobody keeps it (we copy out
/// and let go). Allocations per datagram that remain: the `[UInt8]` handed to the engine (the
/// engine's entry points take arrays, and the bytes must outlive the pooled buffer); for an IPv6
/// sender the 16-byte array inside its `RoomAddress`; and, inside NIO's read path and out of our
/// reach, the sender's boxed `SocketAddress` (with its text form) and the `NIOAny` envelope.
///
/// **Sending** does not go through NIO's write path: `send` calls `sendto(2)` directly, from the
/// calling thread, on a duplicate of the channel's descriptor. The reason is measured, not taste:
/// NIO's datagram channel treats every `sendmsg` error other than `EMSGSIZE` and `EHOSTUNREACH`
/// as fatal and closes the channel, so one datagram to a broadcast address without
/// `SO_BROADCAST` (`EACCES`), to an address the bound interface cannot reach (`EINVAL`,
/// `ENETUNREACH` while a ZeroTier network is down) or rejected by a firewall (`EPERM`) would end
/// all sending *and receiving* for the rest of the call (measured: `UDPTransportTests.baselineNIOChannelClosesOnFirstSendError`). A direct
/// `sendto` turns each of those into one counted, logged failure, and as a bonus costs no
/// allocation at all (no `ByteBuffer`, no event-loop hop, no promise): the destination
/// `sockaddr` is built on the stack and the bytes are sent from the caller's array. The socket is
/// non-blocking, so a full send buffer is a counted drop rather than a stall — for live voice a
/// late packet is worthless anyway.
///
/// All state is behind one `Mutex` (send descriptor, counters), so the type is `Sendable` and
/// `send`, `broadcast`, `statistics` and `close` may be called from any thread.
public final class UDPTransport: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// A numeric address of this machine: `"0.0.0.0"` (all IPv4 interfaces), `"::"` (all IPv4
        /// and IPv6 interfaces, dual stack), `"127.0.0.2"`, a ZeroTier IPv4 or IPv6 address.
        ///
        /// On Linux a socket bound to a specific unicast address never receives broadcasts (only
        /// sockets bound to the wildcard or to the broadcast address itself do), so a node that relies
        /// on `broadcastAddress` for discovery should bind `0.0.0.0` (or `::`).
        public var bindHost: String
        /// 0 picks an ephemeral port (see ``UDPTransport/localAddress``).
        public var port: UInt16
        /// Where ``UDPTransport/broadcast(_:)`` sends besides `discoveryPeers`: e.g. the ZeroTier
        /// subnet's broadcast address on the room port (`nil`: none). Setting it turns on `SO_BROADCAST`.
        public var broadcastAddress: RoomAddress?
        /// Unicast addresses that also get every ``UDPTransport/broadcast(_:)`` (static discovery,
        /// e.g. on loopback where broadcast does not reach sockets bound to 127.0.0.x). Our own
        /// address is left out.
        public var discoveryPeers: [RoomAddress]
        /// `SO_REUSEADDR`, off by default and ignored for port 0. Measured on Linux: with it, a
        /// second socket may bind the same address and port while the first is open and *silently*
        /// takes over its unicast traffic (datagrams go to the socket bound last); and an ephemeral
        /// bind (port 0) may be handed a port another `SO_REUSEADDR` socket already holds (157 of
        /// 3000 binds on 127.0.0.1). UDP has no TIME_WAIT, so a restarted client rebinds its port
        /// without it. Turn it on only to let several sockets on one machine share a fixed port to
        /// hear the same broadcasts.
        public var reuseAddress: Bool
        /// `SO_RCVBUF` in bytes (`nil`: the system default, 208 KiB on Linux). Linux caps it at
        /// `net.core.rmem_max` and doubles it for bookkeeping; see ``UDPTransport/receiveBufferBytes``.
        public var receiveBufferSize: Int?
        /// `SO_SNDBUF` in bytes (`nil`: the system default).
        public var sendBufferSize: Int?
        /// Larger datagrams are cut by the kernel; the transport counts them as
        /// ``Statistics/truncatedDatagrams`` and drops them. The receive buffer is allocated once at
        /// this size + 1 and reused, so a large value costs memory once, not per datagram.
        public var maximumDatagramSize: Int

        public init(
            bindHost: String = "0.0.0.0",
            port: UInt16 = 0,
            broadcastAddress: RoomAddress? = nil,
            discoveryPeers: [RoomAddress] = [],
            reuseAddress: Bool = false,
            receiveBufferSize: Int? = 1 << 20,
            sendBufferSize: Int? = 1 << 20,
            maximumDatagramSize: Int = 65_535
        ) {
            self.bindHost = bindHost
            self.port = port
            self.broadcastAddress = broadcastAddress
            self.discoveryPeers = discoveryPeers
            self.reuseAddress = reuseAddress
            self.receiveBufferSize = receiveBufferSize
            self.sendBufferSize = sendBufferSize
            self.maximumDatagramSize = maximumDatagramSize
        }
    }

    public struct Statistics: Sendable, Equatable {
        /// Datagrams the kernel accepted (one per destination for a broadcast).
        public var datagramsSent = 0
        public var bytesSent = 0
        /// Sends that failed: `sendto` errors (unreachable, no route, full buffer, …), an IPv6
        /// destination on an IPv4 socket, or any send after ``UDPTransport/close()``.
        public var sendFailures = 0
        /// Datagrams handed to `onDatagram`.
        public var datagramsReceived = 0
        public var bytesReceived = 0
        /// Datagrams longer than `maximumDatagramSize`, dropped.
        public var truncatedDatagrams = 0
        /// Our own datagrams heard back (a broadcast on our own port loops back to a wildcard-bound
        /// socket), dropped.
        public var ownDatagramsDropped = 0
        /// Errors NIO reported while reading (e.g. `ENOMEM`); the socket stays open.
        public var receiveErrors = 0

        public init() {}
    }

    /// The bound address with the real port. After a wildcard bind the host is `0.0.0.0` or `::`:
    /// tell peers a concrete address (the ZeroTier address), not this.
    public let localAddress: RoomAddress
    /// Where ``broadcast(_:)`` sends: `broadcastAddress` (if any), then the discovery peers that are
    /// not this socket, without duplicates.
    public let broadcastTargets: [RoomAddress]
    /// The socket's receive buffer as the kernel reports it (`SO_RCVBUF`, after Linux's cap and doubling).
    public let receiveBufferBytes: Int
    /// The socket's send buffer as the kernel reports it (`SO_SNDBUF`).
    public let sendBufferBytes: Int

    private let channel: any Channel
    private let core: TransportCore
    private let logger: Logger

    /// The event loop `onDatagram` runs on.
    public var eventLoop: any EventLoop { channel.eventLoop }

    public var statistics: Statistics { core.state.withLock { $0.statistics } }

    /// Bytes of sent datagrams the kernel still holds for this socket (see `SIOCOUTQ`).
    public var sendQueueBytes: Int { core.sendQueueBytes }

    private init(
        channel: any Channel, core: TransportCore, broadcastTargets: [RoomAddress], receiveBufferBytes: Int,
        sendBufferBytes: Int, logger: Logger
    ) {
        self.channel = channel
        self.core = core
        self.localAddress = core.localAddress
        self.broadcastTargets = broadcastTargets
        self.receiveBufferBytes = receiveBufferBytes
        self.sendBufferBytes = sendBufferBytes
        self.logger = logger
    }

    deinit {
        // Without close() the NIO channel stays registered until its event loop group shuts down;
        // at least do not leak the send descriptor.
        core.closeSendDescriptor()
    }

    /// Creates and binds the socket (`SO_REUSEADDR` if configured for a fixed port, `SO_BROADCAST` when
    /// `broadcastAddress` is set, `SO_RCVBUF`/`SO_SNDBUF`; an IPv6 bind host makes an IPv6 socket,
    /// `::` a dual-stack one), registers it as a NIO `DatagramChannel` on `group`, and from then on
    /// calls `onDatagram` on the channel's event loop for each datagram: its payload, its source
    /// (IPv4-mapped sources of a dual-stack socket as IPv4) and its arrival instant
    /// (`MonotonicClock.now()` when the channel read it). With `capture`, every datagram sent and
    /// every one handed to `onDatagram` is recorded there, stamped with the wall clock.
    public static func bind(
        _ configuration: Configuration,
        group: any EventLoopGroup,
        logger: Logger,
        capture: PacketCaptureFile? = nil,
        onDatagram: @escaping @Sendable (_ bytes: [UInt8], _ from: RoomAddress, _ arrival: Instant) -> Void
    ) async throws(UDPTransportError) -> UDPTransport {
        let host = try parseBindHost(configuration.bindHost)
        let requested = RoomAddress(host: host, port: configuration.port)
        let addressText = display(configuration.bindHost, port: configuration.port)
        let family: CInt
        switch host {
        case .ipv4: family = AF_INET
        case .ipv6: family = AF_INET6
        }
        try validate(configuration, family: family)

        let fd = makeDatagramSocket(family: family)
        guard fd >= 0 else {
            let code = errno
            let call = "socket(\(family == AF_INET ? "AF_INET" : "AF_INET6"), SOCK_DGRAM)"
            throw .socketFailed(operation: call, errno: code, reason: errnoDescription(code))
        }
        var handedToNIO = false
        defer { if !handedToNIO { closeDescriptor(fd) } }

        var options: [(name: String, level: CInt, option: CInt, value: CInt)] = []
        if configuration.reuseAddress && configuration.port != 0 {
            options.append(("SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR, 1))
        }
        if configuration.broadcastAddress != nil {
            options.append(("SO_BROADCAST", SOL_SOCKET, SO_BROADCAST, 1))
        }
        if let size = configuration.receiveBufferSize {
            options.append(("SO_RCVBUF", SOL_SOCKET, SO_RCVBUF, CInt(size)))
        }
        if let size = configuration.sendBufferSize {
            options.append(("SO_SNDBUF", SOL_SOCKET, SO_SNDBUF, CInt(size)))
        }
        if family == AF_INET6 {
            // Dual stack for "::" whatever net.ipv6.bindv6only says; no effect on a specific address.
            options.append(("IPV6_V6ONLY", CInt(IPPROTO_IPV6), IPV6_V6ONLY, 0))
        }
        for (name, level, option, value) in options {
            var value = value
            guard setsockopt(fd, level, option, &value, socklen_t(MemoryLayout<CInt>.size)) == 0 else {
                let code = errno
                throw .socketFailed(operation: "setsockopt(\(name))", errno: code, reason: errnoDescription(code))
            }
        }

        let bound = withSockaddr(requested, socketFamily: family) { bindSocket(fd, $0, $1) } ?? -1
        guard bound == 0 else {
            let code = errno
            throw .bindFailed(address: addressText, errno: code, reason: errnoDescription(code))
        }
        guard let port = boundPort(fd) else {
            let code = errno
            throw .socketFailed(operation: "getsockname", errno: code, reason: errnoDescription(code))
        }
        let localAddress = RoomAddress(host: host, port: port)
        let receiveBufferBytes = Int(intOption(fd, SO_RCVBUF))
        let sendBufferBytes = Int(intOption(fd, SO_SNDBUF))

        // Our own descriptor for sending: stays valid (and refers to the same socket) whatever NIO
        // does with its descriptor, until close() closes it under the state lock.
        let sendFD = fcntl(fd, F_DUPFD_CLOEXEC, 0)
        guard sendFD >= 0 else {
            let code = errno
            throw .socketFailed(operation: "fcntl(F_DUPFD_CLOEXEC)", errno: code, reason: errnoDescription(code))
        }

        var logger = logger
        logger[metadataKey: "udp"] = "\(localAddress)"
        let core = TransportCore(
            localAddress: localAddress, ownHosts: ownHosts(of: localAddress, logger: logger), family: family,
            sendDescriptor: sendFD, maximumDatagramSize: configuration.maximumDatagramSize,
            capture: capture.map {
                SocketCapture(file: $0, localAddress: localAddress, broadcastHost: configuration.broadcastAddress?.host)
            }, logger: logger)

        // The broadcast address is never "us" (even 127.255.255.255 on our own port, which loops back
        // to a wildcard-bound socket: that copy is dropped on arrival); a discovery peer may be.
        var targets: [RoomAddress] = configuration.broadcastAddress.map { [$0] } ?? []
        for peer in configuration.discoveryPeers where !core.isOwn(peer) && !targets.contains(peer) {
            targets.append(peer)
        }

        handedToNIO = true
        let channel: any Channel
        do {
            channel = try await DatagramBootstrap(group: group)
                .channelOption(
                    .recvAllocator,
                    value: FixedSizeRecvByteBufferAllocator(capacity: configuration.maximumDatagramSize + 1)
                )
                // The address each datagram was sent to, for the capture of a wildcard-bound socket.
                .channelOption(.receivePacketInfo, value: capture != nil)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            DatagramReceiveHandler(core: core, onDatagram: onDatagram))
                    }
                }
                .withBoundSocket(fd)
                .get()
        } catch {
            core.closeSendDescriptor()
            throw .channelFailed(address: addressText, reason: "\(error)")
        }

        logger.debug(
            "UDP transport bound",
            metadata: [
                "broadcastTargets": "\(targets)", "receiveBuffer": "\(receiveBufferBytes)",
                "sendBuffer": "\(sendBufferBytes)",
            ])
        return UDPTransport(
            channel: channel, core: core, broadcastTargets: targets, receiveBufferBytes: receiveBufferBytes,
            sendBufferBytes: sendBufferBytes, logger: logger)
    }

    /// Sends one datagram, now, from the calling thread (any thread; no event-loop hop, no
    /// allocation). Never throws: a failure is counted in ``Statistics/sendFailures`` and logged at
    /// debug level. An IPv4 destination on a dual-stack socket is sent as IPv4-mapped IPv6.
    public func send(_ bytes: [UInt8], to address: RoomAddress) {
        let failure = core.send(bytes, to: address)
        if let failure {
            logger.debug(
                "UDP send failed", metadata: ["to": "\(address)", "bytes": "\(bytes.count)", "reason": "\(failure)"])
        }
    }

    /// Sends `bytes` to every ``broadcastTargets`` entry (`broadcastAddress` and the discovery
    /// peers other than ourselves); each destination counts as one datagram.
    public func broadcast(_ bytes: [UInt8]) {
        for target in broadcastTargets {
            send(bytes, to: target)
        }
    }

    /// Stops sending (later sends count as failures) and closes the channel. Idempotent.
    public func close() async {
        let wasOpen = core.closeSendDescriptor()
        do {
            try await channel.close()
        } catch ChannelError.alreadyClosed {
        } catch {
            if wasOpen { logger.debug("closing the UDP channel failed", metadata: ["error": "\(error)"]) }
        }
    }

    // MARK: Helpers

    /// The bind host as an address: numeric IPv4 or IPv6 (brackets allowed), nothing else.
    static func parseBindHost(_ text: String) throws(UDPTransportError) -> RoomAddress.Host {
        var inner = Substring(text)
        if inner.hasPrefix("[") && inner.hasSuffix("]") { inner = inner.dropFirst().dropLast() }
        var v4 = in_addr()
        if inet_pton(AF_INET, String(inner), &v4) == 1 {
            return .ipv4(UInt32(bigEndian: v4.s_addr))
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, String(inner), &v6) == 1 {
            return .ipv6(withUnsafeBytes(of: &v6) { Array($0) })
        }
        throw .invalidBindHost(text)
    }

    private static func display(_ host: String, port: UInt16) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    private static func validate(_ configuration: Configuration, family: CInt) throws(UDPTransportError) {
        guard (1...65_535).contains(configuration.maximumDatagramSize) else {
            throw .invalidConfiguration("maximumDatagramSize \(configuration.maximumDatagramSize) is not in 1...65535")
        }
        let sizes = [
            ("receiveBufferSize", configuration.receiveBufferSize), ("sendBufferSize", configuration.sendBufferSize),
        ]
        for (name, size) in sizes {
            if let size, !(1...Int(Int32.max)).contains(size) {
                throw .invalidConfiguration("\(name) \(size) is not a positive 32-bit byte count")
            }
        }
        let destinations =
            (configuration.broadcastAddress.map { [("broadcastAddress", $0)] } ?? [])
            + configuration.discoveryPeers.map { ("discovery peer", $0) }
        for (role, address) in destinations {
            if address.isUnspecified || address.port == 0 {
                throw .invalidConfiguration("\(role) \(address) is not a destination (unspecified address or port 0)")
            }
            if family == AF_INET, withSockaddr(address, socketFamily: family, { _, _ in true }) == nil {
                throw .invalidConfiguration(
                    "\(role) \(address) is IPv6 but bindHost \(configuration.bindHost) is IPv4; bind \"::\" for both"
                )
            }
        }
    }

    /// The addresses that mean "this socket" on our port: the bound host, and for a wildcard bind
    /// every interface address (loopback addresses are checked by prefix in `isOwn`).
    private static func ownHosts(of local: RoomAddress, logger: Logger) -> Set<RoomAddress.Host> {
        var hosts: Set<RoomAddress.Host> = [local.host]
        guard local.isUnspecified else { return hosts }
        do {
            for device in try System.enumerateDevices() {
                if let address = device.address, let room = RoomAddress(address) { hosts.insert(room.host) }
            }
        } catch {
            logger.debug(
                "cannot list interface addresses; the own-datagram filter knows only loopback",
                metadata: ["error": "\(error)"])
        }
        return hosts
    }
}

/// What the event loop's handler and the transport share. Immutable but for the locked state.
final class TransportCore: Sendable {
    struct State {
        /// `nil` once closed.
        var sendDescriptor: CInt?
        var statistics = UDPTransport.Statistics()
    }

    enum SendFailure: CustomStringConvertible {
        case closed
        case familyMismatch
        case errno(Int32)

        var description: String {
            switch self {
            case .closed: return "transport closed"
            case .familyMismatch: return "IPv6 destination on an IPv4 socket (bind \"::\" to reach both)"
            case .errno(let code): return "\(errnoDescription(code)) (errno \(code))"
            }
        }
    }

    let state: Mutex<State>
    let localAddress: RoomAddress
    let ownHosts: Set<RoomAddress.Host>
    let family: CInt
    let maximumDatagramSize: Int
    let capture: SocketCapture?
    let logger: Logger

    init(
        localAddress: RoomAddress, ownHosts: Set<RoomAddress.Host>, family: CInt, sendDescriptor: CInt,
        maximumDatagramSize: Int, capture: SocketCapture?, logger: Logger
    ) {
        self.state = Mutex(State(sendDescriptor: sendDescriptor))
        self.localAddress = localAddress
        self.ownHosts = ownHosts
        self.family = family
        self.maximumDatagramSize = maximumDatagramSize
        self.capture = capture
        self.logger = logger
    }

    /// Whether a datagram from `address` can only have come from this socket.
    func isOwn(_ address: RoomAddress) -> Bool {
        guard address.port == localAddress.port else { return false }
        if ownHosts.contains(address.host) { return true }
        return localAddress.isUnspecified && address.isLoopback
    }

    /// Sends, and records what the kernel accepted in the capture (outside the lock: the capture
    /// may ask the kernel for a route). `nil` on success.
    func send(_ bytes: [UInt8], to address: RoomAddress) -> SendFailure? {
        let failure = sendLocked(bytes, to: address)
        if failure == nil { capture?.sent(bytes, to: address) }
        return failure
    }

    /// Sends under the lock, so close() cannot close the descriptor mid-call (or hand its number
    /// to another open). `nil` on success.
    private func sendLocked(_ bytes: [UInt8], to address: RoomAddress) -> SendFailure? {
        let family = self.family
        return state.withLock { state -> SendFailure? in
            guard let fd = state.sendDescriptor else {
                state.statistics.sendFailures += 1
                return .closed
            }
            let sent: Int? = withSockaddr(address, socketFamily: family) { destination, length in
                bytes.withUnsafeBytes { payload in
                    var result: Int
                    repeat {
                        result = sendto(fd, payload.baseAddress, payload.count, CInt(MSG_DONTWAIT), destination, length)
                    } while result < 0 && errno == EINTR
                    return result
                }
            }
            guard let sent else {
                state.statistics.sendFailures += 1
                return .familyMismatch
            }
            guard sent >= 0 else {
                let code = errno
                state.statistics.sendFailures += 1
                return .errno(code)
            }
            state.statistics.datagramsSent += 1
            state.statistics.bytesSent += sent
            return nil
        }
    }

    /// Closes the send descriptor once; `true` if this call closed it.
    @discardableResult
    func closeSendDescriptor() -> Bool {
        state.withLock { state in
            guard let fd = state.sendDescriptor else { return false }
            state.sendDescriptor = nil
            closeDescriptor(fd)
            return true
        }
    }

    var isClosed: Bool { state.withLock { $0.sendDescriptor == nil } }

    /// Bytes the kernel still holds for this socket's sends (`SIOCOUTQ`): on Linux a datagram
    /// to a neighbour whose link-layer address is being resolved stays charged to the socket
    /// until the resolution succeeds or fails (about 3 s for an address nobody has).
    var sendQueueBytes: Int {
        state.withLock { state in
            guard let fd = state.sendDescriptor else { return 0 }
            var queued: CInt = 0
            return ioctl(fd, UInt(TIOCOUTQ), &queued) == 0 ? Int(queued) : 0
        }
    }
}

/// The channel's only handler: stamps, filters, copies out and delivers each datagram.
final class DatagramReceiveHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let core: TransportCore
    private let onDatagram: @Sendable ([UInt8], RoomAddress, Instant) -> Void

    init(core: TransportCore, onDatagram: @escaping @Sendable ([UInt8], RoomAddress, Instant) -> Void) {
        self.core = core
        self.onDatagram = onDatagram
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let arrival = MonotonicClock.now()
        let envelope = Self.unwrapInboundIn(data)
        guard let from = RoomAddress(envelope.remoteAddress) else { return }
        let length = envelope.data.readableBytes
        if length > core.maximumDatagramSize {
            core.state.withLock { $0.statistics.truncatedDatagrams += 1 }
            core.logger.debug("dropped a datagram longer than maximumDatagramSize", metadata: ["from": "\(from)"])
            return
        }
        if core.isOwn(from) {
            core.state.withLock { $0.statistics.ownDatagramsDropped += 1 }
            return
        }
        // The one allocation per datagram: the engine takes [UInt8], and the pooled buffer is reused
        // by the next read.
        let bytes = Array(envelope.data.readableBytesView)
        core.state.withLock {
            $0.statistics.datagramsReceived += 1
            $0.statistics.bytesReceived += length
        }
        core.capture?.received(bytes, from: from, packetInfo: envelope.metadata?.packetInfo)
        onDatagram(bytes, from, arrival)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // NIO closes the channel itself on a fatal read error; the recoverable ones (ECONNREFUSED,
        // ENOMEM) arrive here and must not end the call.
        core.state.withLock { $0.statistics.receiveErrors += 1 }
        core.logger.debug("UDP receive error", metadata: ["error": "\(error)"])
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !core.isClosed {
            core.logger.error("UDP socket stopped receiving: the channel closed without close()")
        }
        context.fireChannelInactive()
    }
}

// MARK: - System calls (free functions: inside UDPTransport `close`/`bind` would mean the methods)

private func closeDescriptor(_ fd: CInt) {
    _ = close(fd)
}

private func bindSocket(_ fd: CInt, _ address: UnsafePointer<sockaddr>, _ length: socklen_t) -> CInt {
    bind(fd, address, length)
}

private func makeDatagramSocket(family: CInt) -> CInt {
    #if canImport(Glibc)
    return socket(family, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_CLOEXEC.rawValue), 0)
    #else
    let fd = socket(family, SOCK_DGRAM, 0)
    if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return fd
    #endif
}

private func boundPort(_ fd: CInt) -> UInt16? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let rc = withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    guard rc == 0 else { return nil }
    switch CInt(storage.ss_family) {
    case AF_INET:
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) }
        }
    case AF_INET6:
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) }
        }
    default:
        return nil
    }
}

private func intOption(_ fd: CInt, _ name: CInt) -> CInt {
    var value: CInt = 0
    var length = socklen_t(MemoryLayout<CInt>.size)
    _ = getsockopt(fd, SOL_SOCKET, name, &value, &length)
    return value
}
