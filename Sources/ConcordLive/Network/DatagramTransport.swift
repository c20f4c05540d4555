import Concord

/// Where the live driver's datagrams go: a UDP socket (`UDPTransport`) on a real client, or an
/// in-memory double in tests. The engine above it is the same either way.
public protocol DatagramTransport: AnyObject, Sendable {
    /// The bound address, with its real port.
    var localAddress: RoomAddress { get }
    /// Fire and forget, from any thread; failures are counted, never thrown.
    func send(_ bytes: [UInt8], to address: RoomAddress)
    /// To every discovery target (subnet broadcast, configured peers).
    func broadcast(_ bytes: [UInt8])
    var datagramsSent: Int { get }
    var datagramsReceived: Int { get }
    /// Bytes of sent datagrams still held for sending, and the most that may be held: a
    /// sender of optional traffic (the subnet sweep) waits while the queue is a quarter full,
    /// so that it never takes the room's own datagrams' room.
    var sendQueueBytes: Int { get }
    var sendBufferBytes: Int { get }
    /// Idempotent.
    func close() async
}

/// Called for every datagram that arrives, with its arrival instant on `MonotonicClock`.
public typealias DatagramHandler = @Sendable (_ bytes: [UInt8], _ from: RoomAddress, _ arrival: Instant) -> Void

extension DatagramTransport {
    public var sendQueueBytes: Int { 0 }
    public var sendBufferBytes: Int { .max }
}

extension UDPTransport: DatagramTransport {
    public var datagramsSent: Int { statistics.datagramsSent }
    public var datagramsReceived: Int { statistics.datagramsReceived }
}
