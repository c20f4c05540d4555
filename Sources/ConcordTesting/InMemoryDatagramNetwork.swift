import Concord
import Synchronization

/// A lossless in-process network of `DatagramTransport`s: delivery is a direct call into the
/// receiver's handler on the sender's thread. The double that lets a driver's tests run without
/// sockets (and the same tests run over real UDP).
///
/// Arrivals are stamped by `clock`, which must be the clock the driver reads (the live client's
/// is ConcordLive's `MonotonicClock.now`): this library does not link a driver, so the caller
/// passes it.
public final class InMemoryDatagramNetwork: Sendable {
    public final class Endpoint: DatagramTransport {
        public let localAddress: RoomAddress
        private let network: InMemoryDatagramNetwork
        private let counts = Mutex((sent: 0, received: 0))

        init(_ address: RoomAddress, network: InMemoryDatagramNetwork) {
            self.localAddress = address
            self.network = network
        }

        public func send(_ bytes: [UInt8], to address: RoomAddress) {
            counts.withLock { $0.sent += 1 }
            network.deliver(bytes, from: localAddress, to: address)
        }

        /// To every other bound endpoint.
        public func broadcast(_ bytes: [UInt8]) {
            for address in network.addresses where address != localAddress { send(bytes, to: address) }
        }

        public var datagramsSent: Int { counts.withLock { $0.sent } }
        public var datagramsReceived: Int { counts.withLock { $0.received } }
        fileprivate func noteReceived() { counts.withLock { $0.received += 1 } }

        public func close() async { network.unbind(localAddress) }
    }

    private let clock: @Sendable () -> Instant
    private let bound = Mutex<[RoomAddress: (Endpoint, DatagramHandler)]>([:])

    /// - Parameter clock: stamps each arrival; the driver's own clock.
    public init(clock: @escaping @Sendable () -> Instant) {
        self.clock = clock
    }

    /// An endpoint at `address` whose arrivals go to `handler`.
    public func bind(_ address: RoomAddress, handler: @escaping DatagramHandler) -> Endpoint {
        let endpoint = Endpoint(address, network: self)
        bound.withLock { $0[address] = (endpoint, handler) }
        return endpoint
    }

    public var addresses: [RoomAddress] { bound.withLock { Array($0.keys) } }

    fileprivate func deliver(_ bytes: [UInt8], from: RoomAddress, to: RoomAddress) {
        guard let (endpoint, handler) = bound.withLock({ $0[to] }) else { return }
        endpoint.noteReceived()
        handler(bytes, from, clock())
    }

    fileprivate func unbind(_ address: RoomAddress) { _ = bound.withLock { $0.removeValue(forKey: address) } }
}
