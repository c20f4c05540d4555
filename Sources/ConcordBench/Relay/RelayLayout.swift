import SimNet

/// Where each participant of a relayed scenario lives on loopback, and where the relay listens.
///
/// Participant i's client binds `clientAddress(i)` and advertises `relayedAddress(i)` — a socket
/// of the relay — as its address in the room. A peer that sends to `relayedAddress(i)` reaches
/// the relay, which forwards the datagram to `clientAddress(i)` after the scenario's path from
/// the sender to i, from the sender's own relayed address: every client sees every other only
/// through the relay, and every address it learns (from a datagram's source or from the room's
/// gossip) is a relayed one. Discovery broadcasts go to `broadcastAddress`, which the relay
/// fans out over the sender's path to each other participant, as SimNet does with a subnet's
/// broadcast.
///
/// Addresses are in 127.0.0.0/8, which Linux routes to `lo` whole: clients on 127.77.0.x,
/// the relay's per-participant sockets on 127.77.1.x, its broadcast socket on 127.77.2.1; every
/// socket uses the same port. Up to 254 participants.
public struct RelayLayout: Sendable, Equatable {
    public static let maximumParticipants = 254

    /// IPv4 addresses in host byte order.
    public struct Address: Sendable, Hashable, CustomStringConvertible {
        public var host: UInt32
        public var port: UInt16
        public var hostText: String { "\(host >> 24).\(host >> 16 & 0xFF).\(host >> 8 & 0xFF).\(host & 0xFF)" }
        public var description: String { "\(hostText):\(port)" }
    }

    public let count: Int
    public let port: UInt16

    /// - Precondition: checked by the caller: `1...maximumParticipants` (`RelayError.tooManyParticipants`).
    public init(participants count: Int, port: UInt16) throws(RelayError) {
        guard (1...Self.maximumParticipants).contains(count) else {
            throw .tooManyParticipants(count: count, maximum: Self.maximumParticipants)
        }
        self.count = count
        self.port = port
    }

    public func clientAddress(_ i: Int) -> Address { Address(host: 0x7F4D_0000 | UInt32(i + 1), port: port) }
    public func relayedAddress(_ i: Int) -> Address { Address(host: 0x7F4D_0100 | UInt32(i + 1), port: port) }
    public var broadcastAddress: Address { Address(host: 0x7F4D_0201, port: port) }

    /// The participant whose client has this address, if any.
    public func participant(atClientAddress address: Address) -> Int? {
        guard address.port == port, address.host & 0xFFFF_FF00 == 0x7F4D_0000 else { return nil }
        let i = Int(address.host & 0xFF) - 1
        return (0..<count).contains(i) ? i : nil
    }

    /// The `concord join` options that put participant i behind the relay: bind its client
    /// address, advertise its relayed address, discover by broadcast through the relay.
    public func joinArguments(_ i: Int) -> [String] {
        [
            "--bind", clientAddress(i).hostText, "--port", "\(port)", "--advertise", relayedAddress(i).hostText,
            "--broadcast", broadcastAddress.hostText,
        ]
    }
}
