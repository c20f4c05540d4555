import Concord
import PacketCapture
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
    private let capture: Capture?
    private(set) var datagramsSent = 0
    private(set) var datagramsReceived = 0
    /// Bytes of receiver reports sent (as on the wire, before IP/UDP headers).
    private(set) var reportBytesSent = 0
    /// Where receiver reports' send and arrival times go, with this host's index.
    var reportTransits: (log: ReportTransitLog, index: Int)?

    /// Where this host's datagrams are captured: the file, and the host's interface number in it.
    struct Capture {
        var file: PacketCaptureFile
        var interface: UInt32
    }

    /// Binds `port` on `host`; `handler` is called with each datagram at its arrival time. With
    /// `capture`, every datagram sent is recorded at its send time and every one received at its
    /// arrival time.
    init(
        host: SimNet.Host, port: UInt16, network: Network, capture: Capture? = nil,
        handler: @escaping ([UInt8], RoomAddress, Instant) -> Void
    ) {
        self.host = host
        self.port = port
        self.network = network
        self.capture = capture
        localAddress = .ipv4(host.address.rawValue, port: port)
        host.bind(port: port) { [unowned self] datagram, time in
            datagramsReceived += 1
            if let reportTransits, PacketType(of: datagram.payload) == .receiverReport {
                reportTransits.log.arrived(datagram.payload, at: reportTransits.index, now: Instant(nanoseconds: time.nanoseconds))
            }
            if let capture {
                let destination = RoomAddress.ipv4(datagram.destination.address.rawValue, port: datagram.destination.port)
                capture.file.record(
                    datagram.payload, from: .ipv4(datagram.source.address.rawValue, port: datagram.source.port),
                    to: destination, direction: destination.host == localAddress.host ? .received : .receivedBroadcast,
                    interface: capture.interface, nanosecondsSinceEpoch: time.nanoseconds)
            }
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
        if PacketType(of: bytes) == .receiverReport {
            reportBytesSent += bytes.count
            reportTransits?.log.sent(bytes, by: reportTransits!.index, at: Instant(nanoseconds: network.now.nanoseconds))
        }
        captureSent(bytes, to: address)
        host.send(from: port, to: Endpoint(IPv4Address(rawValue: raw), address.port), payload: bytes)
    }

    /// To the subnet's broadcast address on the same port.
    func broadcast(_ bytes: [UInt8]) {
        datagramsSent += 1
        captureSent(bytes, to: .ipv4(host.broadcastAddress.rawValue, port: port))
        host.send(from: port, to: Endpoint(host.broadcastAddress, port), payload: bytes)
    }

    private func captureSent(_ bytes: [UInt8], to destination: RoomAddress) {
        capture?.file.record(
            bytes, from: localAddress, to: destination, direction: .sent, interface: capture?.interface ?? 0,
            nanosecondsSinceEpoch: network.now.nanoseconds)
    }

    /// A crash: nothing arrives any more.
    func close() async { unbind() }

    func unbind() { host.unbind(port: port) }
}
