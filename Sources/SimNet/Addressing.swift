/// An (address, UDP port) pair.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var address: IPv4Address
    public var port: UInt16
    public init(_ address: IPv4Address, _ port: UInt16) { self.address = address; self.port = port }
    public init(address: IPv4Address, port: UInt16) { self.address = address; self.port = port }
    public var description: String { "\(address):\(port)" }
}

/// A UDP datagram as the receiver sees it. For broadcast and multicast, `destination` is the
/// broadcast or group address it was sent to.
public struct Datagram: Sendable, Equatable {
    public var source: Endpoint
    public var destination: Endpoint
    public var payload: [UInt8]
    public init(source: Endpoint, destination: Endpoint, payload: [UInt8]) {
        self.source = source; self.destination = destination; self.payload = payload
    }
}
