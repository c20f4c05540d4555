/// What a `RoomNode` asks its driver to do. Entry points return these in order; the driver
/// sends the datagrams and handles the events. Nothing is sent behind the driver's back.
public enum RoomEffect: Sendable, Equatable {
    /// Send `bytes` to one address (UDP unicast).
    case send(bytes: [UInt8], to: RoomAddress)
    /// Send `bytes` to the subnet broadcast address (or multicast group) on the room port.
    case broadcast(bytes: [UInt8])
    case event(RoomEvent)

    public init(_ datagram: OutboundDatagram) {
        switch datagram {
        case let .send(bytes, to): self = .send(bytes: bytes, to: to)
        case let .broadcast(bytes): self = .broadcast(bytes: bytes)
        }
    }
}

/// Why a member left the view.
public enum LeaveReason: Sendable, Equatable {
    /// It said goodbye.
    case left
    /// Nobody heard from it for `RoomSettings.deadAfter`, or someone told us so.
    case failed
    /// Its tombstone was forgotten while it was in the view (should not happen; kept total).
    case forgotten
}

/// A text message as delivered to the application.
public struct TextMessage: Sendable, Equatable {
    public var origin: String
    /// The origin's life (its incarnation when it joined): a restarted client starts a new stream.
    public var stream: UInt32
    /// Per (origin, stream): 1, 2, 3, … in send order.
    public var sequence: UInt32
    /// When the origin sent it, on the *origin's* clock (comparable across nodes only in a
    /// simulation, or to within clock skew live).
    public var sentAt: Instant
    /// When this node delivered it, on this node's clock.
    public var receivedAt: Instant
    public var text: String
    /// Delivered from a history transfer (the message predates this node's membership) rather
    /// than live; history obeys exactly-once but not per-sender order against live messages.
    public var fromHistory: Bool

    public init(
        origin: String, stream: UInt32, sequence: UInt32, sentAt: Instant, receivedAt: Instant,
        text: String, fromHistory: Bool
    ) {
        self.origin = origin
        self.stream = stream
        self.sequence = sequence
        self.sentAt = sentAt
        self.receivedAt = receivedAt
        self.text = text
        self.fromHistory = fromHistory
    }
}

/// Things that happened in the room, for the application and for the bench's metrics.
public enum RoomEvent: Sendable, Equatable {
    /// Nobody answered the discovery: this node created the room.
    case roomCreated(roomID: String)
    /// This node found the room and is now a member.
    case roomJoined(roomID: String)
    case peerJoined(RoomPeer)
    case peerLeft(clientID: String, reason: LeaveReason)
    /// A member changed state (alive ↔ suspect), incarnation or address.
    case peerUpdated(RoomPeer)
    /// The view (sorted client ids of alive and suspect members, this node included) changed.
    /// The bench measures convergence as the time until every live node's last view is equal.
    case viewChanged(view: [String], digest: UInt64)
    case messageReceived(TextMessage)
    /// `leave` completed; the node is inert from now on.
    case leftRoom(roomID: String)
}

/// A member as `RoomNode.peers()` lists it (the original `get_peers` row).
public struct RoomPeer: Sendable, Equatable {
    public var clientID: String
    public var displayName: String
    public var address: RoomAddress
    public var incarnation: UInt32
    /// When this node first saw the member in its view (this node's clock).
    public var joinedAt: Instant
    /// The latest evidence of life: a datagram from it, or a report from a member that heard it.
    public var lastHeard: Instant
    public var status: MemberStatus
}
