#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a ``UDPTransport`` could not be set up. Sending never throws (see ``UDPTransport/send(_:to:)``).
///
/// Every ``description`` is a whole message for a user: what failed, on which address, the
/// operating system's reason and, where there is one, the fix.
public enum UDPTransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `bindHost` is not a numeric IPv4 or IPv6 address.
    case invalidBindHost(String)
    /// A configuration value is out of range or does not fit the socket's address family.
    case invalidConfiguration(String)
    /// `socket()` or a socket option failed.
    case socketFailed(operation: String, errno: Int32, reason: String)
    /// `bind()` failed; `address` is the host and port asked for.
    case bindFailed(address: String, errno: Int32, reason: String)
    /// The bound socket could not be registered with the event loop.
    case channelFailed(address: String, reason: String)

    public var description: String {
        switch self {
        case .invalidBindHost(let host):
            return """
                cannot bind UDP to "\(host)": not a numeric IP address. The bind host must be 0.0.0.0 \
                (every IPv4 interface), :: (every IPv4 and IPv6 interface) or one address of this machine, \
                e.g. 127.0.0.1, ::1 or this machine's ZeroTier address (see `concord zerotier networks`); \
                host names and scoped link-local addresses (fe80::…%eth0) are not accepted
                """
        case .invalidConfiguration(let reason):
            return "invalid UDP transport configuration: \(reason)"
        case .socketFailed(let operation, let code, let reason):
            return "cannot set up the UDP socket: \(operation) failed: \(reason) (errno \(code))"
        case .bindFailed(let address, let code, let reason):
            let host = Self.host(of: address)
            let hint: String
            switch code {
            case EADDRINUSE:
                hint = "another program (or another concord) already uses this port; choose another port or stop it"
            case EADDRNOTAVAIL:
                hint = """
                    \(host) is not an address of this machine; if it is your ZeroTier address, the network must \
                    be joined and the address assigned first (check `concord zerotier networks`), or bind 0.0.0.0
                    """
            case EACCES:
                hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE; use a higher port"
            case EAFNOSUPPORT:
                hint = "this machine has no support for this address family (IPv6 disabled?)"
            default:
                hint = ""
            }
            return "cannot bind UDP \(address): \(reason)" + (hint.isEmpty ? "" : " (\(hint))")
        case .channelFailed(let address, let reason):
            return "cannot start receiving on UDP \(address): \(reason)"
        }
    }

    /// `"10.0.0.1"` from `"10.0.0.1:7400"`, `"::1"` from `"[::1]:7400"`.
    private static func host(of address: String) -> String {
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            return String(address[address.index(after: address.startIndex)..<close])
        }
        return String(address.prefix { $0 != ":" })
    }
}

/// The operating system's text for `code`, starting lower-case so it reads inside a sentence:
/// "address already in use".
func errnoDescription(_ code: Int32) -> String {
    // glibc's strerror returns static strings for every known code (a thread-local buffer only for
    // unknown ones), so it is safe here; it is only called on error paths.
    guard let text = strerror(code) else { return "errno \(code)" }
    let message = String(cString: text)
    guard let first = message.first else { return "errno \(code)" }
    return first.lowercased() + message.dropFirst()
}
