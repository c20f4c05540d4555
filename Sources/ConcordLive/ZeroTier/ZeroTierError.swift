/// Where the auth token may live: the service's own file and this user's copy.
///
/// Errors carry both so their messages can give a fix with the real paths in it.
public struct ZeroTierTokenLocations: Equatable, Sendable {
    /// `authtoken.secret` in the service home (root-only on Linux).
    public var service: String
    /// The per-user copy (`~/.zeroTierOneAuthToken` on Linux); `nil` when there is no home directory.
    public var user: String?

    /// The directory that must exist before the copy can be written (macOS keeps the copy in
    /// `~/Library/Application Support/ZeroTier/One`); `nil` when it is the home itself.
    public var userDirectory: String?

    public init(service: String, user: String?, userDirectory: String? = nil) {
        self.service = service
        self.user = user
        self.userDirectory = userDirectory
    }
}

/// Why a file could not be read, as far as a fix depends on it.
public enum FileReadFailure: Error, Equatable, Sendable {
    case notFound
    case permissionDenied
    case other(String)
}

/// Everything that can go wrong between Concord and the local ZeroTier One service.
///
/// Every case's ``description`` is the whole message a user sees: what happened, in their terms,
/// and the command or setting that fixes it. The CLI prints it as is, so the messages are the
/// contract (the tests check them; `docs/ZeroTier.md` lists them).
public enum ZeroTierError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A network id on the command line is not 16 hex digits.
    case invalidNetworkID(input: String, reason: String)
    /// Connection refused: nothing listens on the service's port.
    case serviceNotRunning(endpoint: String, portSource: String)
    /// The port accepted the connection but no answer came in time.
    case serviceNotResponding(endpoint: String, after: Duration)
    /// Any other connection failure.
    case connectionFailed(endpoint: String, reason: String)
    /// HTTP 401: the token does not match the running service's. `tokenPath` is where the rejected
    /// token came from: the service's own file or the user's copy.
    case unauthorized(endpoint: String, tokenPath: String, locations: ZeroTierTokenLocations)
    /// Neither token file exists.
    case tokenMissing(ZeroTierTokenLocations)
    /// A token file exists but cannot be read (typically: permission denied, not running as root).
    /// `path` is the user's copy when that one is unreadable (it is the file meant for the user),
    /// else the service's file.
    case tokenUnreadable(path: String, failure: FileReadFailure, locations: ZeroTierTokenLocations)
    /// A token file is empty.
    case tokenEmpty(path: String, locations: ZeroTierTokenLocations)
    /// `zerotier-one.port` holds something other than a port number.
    case malformedPortFile(path: String, contents: String)
    /// The answer was not the JSON the service documents.
    case malformedResponse(request: String, endpoint: String, reason: String)
    /// An HTTP status the API does not document for that request.
    case unexpectedHTTPStatus(request: String, status: Int, body: String)
    /// This node is not a member: `GET /network/{nwid}` answered 404 (or `DELETE` answered `{}`).
    case notJoined(NetworkID)
    /// Network status still `ACCESS_DENIED` when the join's wait ended, `after` this long.
    case accessDenied(NetworkID, node: String?, after: Duration)
    /// Network status `NOT_FOUND`.
    case networkNotFound(NetworkID)
    /// Network status `PORT_ERROR`.
    case portError(NetworkID, code: Int?)
    /// Network status `CLIENT_TOO_OLD`.
    case clientTooOld(NetworkID, version: String?)
    /// Network status `AUTHENTICATION_REQUIRED` (SSO networks).
    case authenticationRequired(NetworkID, url: String?)
    /// Still `REQUESTING_CONFIGURATION` when the join's timeout ran out.
    case configurationTimedOut(NetworkID, after: Duration)
    /// `OK` but without an IPv4 address when the join's timeout ran out.
    case addressTimedOut(NetworkID, after: Duration, assigned: [AssignedAddress], node: String?)
    /// A network status this client does not know.
    case unknownNetworkStatus(NetworkID, status: String)

    public var description: String {
        switch self {
        case .invalidNetworkID(let input, let reason):
            return "'\(input)' is not a ZeroTier network id: \(reason). A network id is 16 hexadecimal digits "
                + "(0-9 and a-f), for example 8056c2e21c000001; copy it from the network's page in ZeroTier Central "
                + "or ask the network's administrator for it."

        case .serviceNotRunning(let endpoint, let portSource):
            return "The ZeroTier One service is not running: nothing is listening on \(endpoint) (\(portSource)). "
                + "Start it with `sudo systemctl start zerotier-one` (Linux) or "
                + "`sudo launchctl load /Library/LaunchDaemons/com.zerotier.one.plist` (macOS). "
                + "If ZeroTier One is not installed, install it first (the zerotier-one package on Linux, "
                + "the ZeroTier One installer on macOS); if it runs from another home directory, set ZEROTIER_HOME to it."

        case .serviceNotResponding(let endpoint, let after):
            return "The ZeroTier One service at \(endpoint) accepted the connection but did not answer within "
                + "\(after.secondsText). It may still be starting, or be hung: try again, or restart it with "
                + "`sudo systemctl restart zerotier-one`."

        case .connectionFailed(let endpoint, let reason):
            return "Could not talk to the ZeroTier One service at \(endpoint): \(reason). "
                + "Check that the service is running (`sudo systemctl status zerotier-one`)."

        case .unauthorized(let endpoint, let tokenPath, let locations):
            if let user = locations.user, tokenPath == user {
                return "The ZeroTier One service at \(endpoint) rejected the auth token from your copy \(user) "
                    + "(HTTP 401 Unauthorized): it no longer matches the service's own token in \(locations.service), "
                    + "which changes when ZeroTier One is reinstalled or its home is reset. Refresh your copy: "
                    + Self.copyTokenCommand(locations)
            }
            if tokenPath == locations.service {
                // The file is the one the service home holds, so naming it twice ("rejected X: does not
                // match X") explains nothing: the service answering is not the one that wrote it.
                return "The ZeroTier One service at \(endpoint) rejected the auth token from \(tokenPath) "
                    + "(HTTP 401 Unauthorized), although that file is in the service home this client looked in. "
                    + "So the service answering on \(endpoint) runs from another home directory, or the file changed "
                    + "after the service started. If ZEROTIER_HOME is set, set it to the running service's home "
                    + "directory; otherwise restart the service (`sudo systemctl restart zerotier-one`) so that it "
                    + "reads its token again."
            }
            return "The ZeroTier One service at \(endpoint) rejected the auth token from \(tokenPath) "
                + "(HTTP 401 Unauthorized): it does not match the service's token in \(locations.service)."

        case .tokenMissing(let locations):
            let searched = [locations.service] + (locations.user.map { [$0] } ?? [])
            return "No ZeroTier auth token found (looked for \(searched.joined(separator: " and "))). "
                + "The service writes \(locations.service) the first time it starts: is ZeroTier One installed "
                + "and started (`sudo systemctl start zerotier-one`)? If it uses another home directory, "
                + "set ZEROTIER_HOME to it."

        case .tokenUnreadable(let path, let failure, let locations):
            let reason: String
            switch failure {
            case .permissionDenied: reason = "permission denied"
            case .notFound: reason = "it does not exist"
            case .other(let text): reason = text
            }
            if let user = locations.user, path == user {
                // The copy exists (else it would not be unreadable) and the service's file was no help
                // either: the copy is what to fix, by replacing it with one this user owns.
                return "Cannot read your ZeroTier auth token copy \(user): \(reason) (and the service's own "
                    + "\(locations.service) could not be read either). Replace your copy with one you own, "
                    + "readable by you alone: \(Self.copyTokenCommand(locations))"
            }
            guard failure == .permissionDenied else {
                return "Cannot read the ZeroTier auth token \(path): \(reason)."
            }
            var message = "Cannot read the ZeroTier auth token \(path): permission denied "
                + "(the service keeps it readable by root only). Either run this command with sudo"
            if let user = locations.user {
                message += ", or give your user its own copy \(user), readable by you alone: "
                    + Self.copyTokenCommand(locations)
            } else {
                message += "."
            }
            return message

        case .tokenEmpty(let path, let locations):
            var message = "The ZeroTier auth token file \(path) is empty."
            if let user = locations.user, path == user {
                message += " Copy the service's token into it: \(Self.copyTokenCommand(locations))"
            } else {
                message += " Restart the service so that it writes a new one: `sudo systemctl restart zerotier-one`."
            }
            return message

        case .malformedPortFile(let path, let contents):
            return "The ZeroTier port file \(path) holds \"\(contents.prefix(40))\", not a port number (1-65535). "
                + "The service rewrites it when it starts: restart it (`sudo systemctl restart zerotier-one`), "
                + "or delete the file to use the default port 9993."

        case .malformedResponse(let request, let endpoint, let reason):
            return "The answer to \(request) from \(endpoint) is not the JSON the ZeroTier One service sends "
                + "(\(reason)). Is something else listening on that port? If it is ZeroTier One, check its "
                + "version with `zerotier-cli info`; this client expects 1.x."

        case .unexpectedHTTPStatus(let request, let status, let body):
            let detail = body.isEmpty || body == "{}" ? "" : ": \(body.prefix(200))"
            return "The ZeroTier One service answered \(request) with HTTP \(status)\(detail). "
                + "Check the service's health with `zerotier-cli info` and try again."

        case .notJoined(let id):
            return "This node is not a member of network \(id). Join it with `concord zerotier join \(id)`."

        case .accessDenied(let id, let node, let after):
            let who = node.map { "node \($0)" } ?? "this node"
            return "Network \(id) still denied access after \(after.secondsText) of waiting (ACCESS_DENIED): it is a "
                + "private network and \(who) is not authorized on it. Ask the network's administrator to authorize "
                + "\(who) (ZeroTier Central: the network's Members list, tick Auth); the network turns OK by itself a "
                + "few seconds later. Then join again, or wait longer with --timeout."

        case .networkNotFound(let id):
            return "Network \(id) does not exist (NOT_FOUND): its controller \(id.controllerAddress) has no such "
                + "network. Check the id for typos (copy it from ZeroTier Central), then leave this one with "
                + "`concord zerotier leave \(id)`."

        case .portError(let id, let code):
            let detail = code.map { ", error \($0)" } ?? ""
            return "ZeroTier could not create the virtual network interface for network \(id) "
                + "(PORT_ERROR\(detail)). The service must run as root with /dev/net/tun available "
                + "(in a container: --cap-add=NET_ADMIN --device /dev/net/tun); fix that, then restart it with "
                + "`sudo systemctl restart zerotier-one`."

        case .clientTooOld(let id, let version):
            let current = version.map { " (this one is \($0))" } ?? ""
            return "Network \(id) requires a newer ZeroTier One\(current) (CLIENT_TOO_OLD). "
                + "Upgrade ZeroTier One, then join again."

        case .authenticationRequired(let id, let url):
            if let url, !url.isEmpty {
                return "Network \(id) requires single sign-on (AUTHENTICATION_REQUIRED). Open \(url) in a browser "
                    + "and log in, then join again."
            }
            return "Network \(id) requires single sign-on (AUTHENTICATION_REQUIRED). Log in through the ZeroTier "
                + "One app (or `zerotier-cli get \(id) authenticationURL` for the login address), then join again."

        case .configurationTimedOut(let id, let after):
            return "Timed out after \(after.secondsText) waiting for network \(id)'s configuration (still "
                + "REQUESTING_CONFIGURATION): its controller \(id.controllerAddress) has not answered. Check the id, "
                + "that this node is online (`concord zerotier status`), and that the network's controller is up; "
                + "or wait longer with --timeout."

        case .addressTimedOut(let id, let after, let assigned, let node):
            let have = assigned.isEmpty ? "none" : assigned.map(\.description).joined(separator: ", ")
            let who = node.map { "node \($0)" } ?? "this node"
            return "Joined network \(id), but no IPv4 address was assigned within \(after.secondsText) "
                + "(assigned: \(have)). Concord needs an IPv4 address on the network: ask its administrator to "
                + "turn on IPv4 auto-assign or give \(who) an IP address, and keep managed addresses allowed "
                + "(allowManaged)."

        case .unknownNetworkStatus(let id, let status):
            return "Network \(id) reports status \"\(status)\", which this version of Concord does not know; "
                + "check it with `zerotier-cli listnetworks`."
        }
    }

    /// The shell command that gives the user a private copy of the service's token, as a file the
    /// user owns with mode 600. Run by the user, so every part must work from the user's shell:
    /// `$(id -un)` expands there (to the user, not root); `install` runs as root, reads the
    /// root-only file and creates the copy owned by the user, replacing a stale or root-owned
    /// one (which `sudo cat … > copy` cannot: its redirect is opened by the user's shell).
    static func copyTokenCommand(_ locations: ZeroTierTokenLocations) -> String {
        guard let user = locations.user else { return "" }
        let makeDirectory = locations.userDirectory.map { "mkdir -p \"\($0)\" && " } ?? ""
        return "`\(makeDirectory)sudo install -m 600 -o \"$(id -un)\" \"\(locations.service)\" \"\(user)\"`."
    }
}

extension Duration {
    /// `"30 s"`, `"1.5 s"`, `"0.25 s"`: how long, for messages.
    var secondsText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000) s" }
        var text = String(Double(milliseconds) / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        return text + " s"
    }
}
