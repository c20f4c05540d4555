/// A datagram a layer of the engine wants on the wire; the driver's `DatagramTransport` sends it.
/// The security layer speaks only in these; the room adds its events (`RoomEffect`).
public enum OutboundDatagram: Sendable, Equatable {
    /// To one address (UDP unicast).
    case send(bytes: [UInt8], to: RoomAddress)
    /// To every discovery target: the subnet's broadcast address on the room port (and any
    /// configured peers).
    case broadcast(bytes: [UInt8])
}

extension DatagramTransport {
    /// Puts datagrams on the wire, in order.
    public func send(_ datagrams: [OutboundDatagram]) {
        for datagram in datagrams {
            switch datagram {
            case let .send(bytes, to): send(bytes, to: to)
            case let .broadcast(bytes): broadcast(bytes)
            }
        }
    }
}
