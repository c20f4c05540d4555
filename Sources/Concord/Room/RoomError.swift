/// Why a room call was refused (programmer or user input, not network input).
public enum RoomError: Error, Equatable, Sendable, CustomStringConvertible {
    /// An identifier of `bytes` UTF-8 bytes, outside the lengths allowed for `field`.
    case invalidIdentifier(IdentifierField, bytes: Int)
    case alreadyJoined
    case notInRoom
    case textTooLong(bytes: Int)
    /// Too many messages wait for acknowledgements (`RoomSettings.outboxLimit`).
    case outboxFull

    /// The identifiers a node is given at `RoomNode.join`.
    public enum IdentifierField: Sendable, Equatable, CustomStringConvertible {
        case roomID
        case clientID
        case displayName

        /// The UTF-8 lengths allowed: every identifier fits `RoomMessage.maxIdentifierBytes`;
        /// only a display name may be empty.
        public var allowedBytes: ClosedRange<Int> {
            (self == .displayName ? 0 : 1)...RoomMessage.maxIdentifierBytes
        }

        public var description: String {
            switch self {
            case .roomID: return "room id"
            case .clientID: return "client id"
            case .displayName: return "display name"
            }
        }
    }

    public var description: String {
        switch self {
        case let .invalidIdentifier(field, n):
            return "invalid \(field): \(n) UTF-8 bytes; allowed \(field.allowedBytes.lowerBound)...\(field.allowedBytes.upperBound)"
        case .alreadyJoined: return "this node has already joined a room"
        case .notInRoom: return "not a member of a room"
        case let .textTooLong(n): return "text is \(n) bytes; at most \(RoomMessage.maxTextBytes)"
        case .outboxFull: return "too many unacknowledged messages"
        }
    }
}
