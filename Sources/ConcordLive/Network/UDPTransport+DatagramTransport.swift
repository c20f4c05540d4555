import Concord

extension UDPTransport: DatagramTransport {
    public var datagramsSent: Int { statistics.datagramsSent }
    public var datagramsReceived: Int { statistics.datagramsReceived }
}
