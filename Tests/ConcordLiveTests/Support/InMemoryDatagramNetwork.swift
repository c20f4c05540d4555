import Concord
import ConcordLive
import Synchronization

/// A lossless in-process network for `DatagramTransport`s: delivery is a direct call into the
/// receiver's handler on the sender's thread, stamped on `MonotonicClock`. The double that lets
/// the live driver's tests run without sockets (and the same tests run over real UDP).
final class InMemoryDatagramNetwork: Sendable {
    final class Endpoint: DatagramTransport {
        let localAddress: RoomAddress
        private let network: InMemoryDatagramNetwork
        private let counts = Mutex((sent: 0, received: 0))

        init(_ address: RoomAddress, network: InMemoryDatagramNetwork) {
            self.localAddress = address
            self.network = network
        }

        func send(_ bytes: [UInt8], to address: RoomAddress) {
            counts.withLock { $0.sent += 1 }
            network.deliver(bytes, from: localAddress, to: address)
        }

        func broadcast(_ bytes: [UInt8]) {
            for address in network.addresses where address != localAddress { send(bytes, to: address) }
        }

        var datagramsSent: Int { counts.withLock { $0.sent } }
        var datagramsReceived: Int { counts.withLock { $0.received } }
        func noteReceived() { counts.withLock { $0.received += 1 } }

        func close() async { network.unbind(localAddress) }
    }

    private let bound = Mutex<[RoomAddress: (Endpoint, DatagramHandler)]>([:])

    func bind(_ address: RoomAddress, handler: @escaping DatagramHandler) -> Endpoint {
        let endpoint = Endpoint(address, network: self)
        bound.withLock { $0[address] = (endpoint, handler) }
        return endpoint
    }

    var addresses: [RoomAddress] { bound.withLock { Array($0.keys) } }

    fileprivate func deliver(_ bytes: [UInt8], from: RoomAddress, to: RoomAddress) {
        guard let (endpoint, handler) = bound.withLock({ $0[to] }) else { return }
        endpoint.noteReceived()
        handler(bytes, from, MonotonicClock.now())
    }

    fileprivate func unbind(_ address: RoomAddress) { _ = bound.withLock { $0.removeValue(forKey: address) } }
}
