import Concord
import SimNet

/// The engine's `DatagramTransport` over one SimNet host's port: the simulation's network seam,
/// as `UDPTransport` is the live client's.
///
/// `@unchecked Sendable`: SimNet runs every event on the thread that runs the simulator, and so
/// does everything that sends; nothing here is touched from two threads.
final class SimNetTransport: DatagramTransport, @unchecked Sendable {
    let host: SimNet.Host
    let port: UInt16
    let localAddress: RoomAddress
    private let network: Network
    private(set) var datagramsSent = 0
    private(set) var datagramsReceived = 0

    /// Binds `port` on `host`; `handler` is called with each datagram at its arrival time.
    init(host: SimNet.Host, port: UInt16, network: Network, handler: @escaping ([UInt8], RoomAddress, Instant) -> Void) {
        self.host = host
        self.port = port
        self.network = network
        localAddress = .ipv4(host.address.rawValue, port: port)
        host.bind(port: port) { [unowned self] datagram, time in
            datagramsReceived += 1
            handler(
                datagram.payload, .ipv4(datagram.source.address.rawValue, port: datagram.source.port),
                Instant(nanoseconds: time.nanoseconds))
        }
    }

    /// To an IPv4 address a host of the network holds; anything else is dropped before the
    /// network (no host, so no fate to draw).
    func send(_ bytes: [UInt8], to address: RoomAddress) {
        guard case .ipv4(let raw) = address.host, network.host(at: IPv4Address(rawValue: raw)) != nil else { return }
        datagramsSent += 1
        host.send(from: port, to: Endpoint(IPv4Address(rawValue: raw), address.port), payload: bytes)
    }

    /// To the subnet's broadcast address on the same port.
    func broadcast(_ bytes: [UInt8]) {
        datagramsSent += 1
        host.send(from: port, to: Endpoint(host.broadcastAddress, port), payload: bytes)
    }

    /// A crash: nothing arrives any more.
    func close() async { unbind() }

    func unbind() { host.unbind(port: port) }
}
