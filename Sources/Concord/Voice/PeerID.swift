/// A participant's id on the wire (the voice packet's sender id). Drivers map it to an address.
public typealias PeerID = UInt32

/// Bytes the engine wants sent to one peer; the driver (SimNet or UDP) delivers them.
public struct OutgoingDatagram: Sendable, Equatable {
    public var destination: PeerID
    public var bytes: [UInt8]

    public init(destination: PeerID, bytes: [UInt8]) {
        self.destination = destination
        self.bytes = bytes
    }
}
