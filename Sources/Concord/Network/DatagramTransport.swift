/// The seam between the engine and a network: where a driver's datagrams go. A UDP socket on a
/// real client (ConcordLive's `UDPTransport`), an in-memory network in tests (ConcordTesting's
/// `InMemoryDatagramNetwork`). The engine itself does no I/O: a driver reads what arrives,
/// stamps it, hands it to a `VoiceClient` and puts the client's effects on the transport.
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

/// Called for every datagram that arrives, with its arrival instant on the driver's clock.
public typealias DatagramHandler = @Sendable (_ bytes: [UInt8], _ from: RoomAddress, _ arrival: Instant) -> Void

extension DatagramTransport {
    public var sendQueueBytes: Int { 0 }
    public var sendBufferBytes: Int { .max }

    /// Puts a client's datagrams on the wire, in order; returns its events.
    public func perform(_ effects: [RoomEffect]) -> [RoomEvent] {
        var events: [RoomEvent] = []
        for effect in effects {
            switch effect {
            case let .send(bytes, to): send(bytes, to: to)
            case let .broadcast(bytes): broadcast(bytes)
            case let .event(event): events.append(event)
            }
        }
        return events
    }
}
