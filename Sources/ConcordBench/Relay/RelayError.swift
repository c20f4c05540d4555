/// Why a relay could not start; each says what to change.
public enum RelayError: Error, Equatable, CustomStringConvertible {
    case tooManyParticipants(count: Int, maximum: Int)
    /// `socket`, `bind` or a socket option failed, with the system's reason.
    case socket(address: String, operation: String, reason: String)
    case wakePipe(reason: String)

    public var description: String {
        switch self {
        case let .tooManyParticipants(count, maximum):
            "the relay takes 1 to \(maximum) participants; the scenario has \(count)"
        case let .socket(address, operation, reason):
            "relay: cannot \(operation) \(address): \(reason)"
                + (reason.contains("in use") ? " (another relay or client on this port? choose another with --port)" : "")
        case let .wakePipe(reason):
            "relay: cannot make its wake-up pipe: \(reason)"
        }
    }
}
