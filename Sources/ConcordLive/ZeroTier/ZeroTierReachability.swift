/// Whether this node reaches the ZeroTier roots, with "still coming online" told apart from
/// "cannot reach the roots".
///
/// The service's `online` is false in two very different cases: for a few seconds after the
/// service starts (about 5 s on a real 1.14.1, until a root first answers; its networks can be
/// `OK` with an address meanwhile), and for as long as the roots cannot be reached (no internet,
/// outgoing UDP blocked). One `GET /status` cannot tell them apart, and the service does not say
/// how long it has been running, so the rule uses how long *this client* has watched the node
/// stay offline, plus the roots' paths from `GET /peer`:
///
/// 1. `online` true → ``online``.
/// 2. Offline, but some root (role PLANET or MOON) has a live path → ``comingOnline(offlineFor:)``:
///    a root answers, so the flag is about to follow.
/// 3. Offline for less than ``startupGrace`` of watching → ``comingOnline(offlineFor:)``.
/// 4. Offline for ``startupGrace`` or longer, no root with a live path → ``cannotReachRoots(offlineFor:roots:)``.
public enum ZeroTierNodeReachability: Equatable, Sendable {
    case online
    /// Offline, but not for long enough to blame the network (or a root already answers).
    case comingOnline(offlineFor: Duration)
    /// Offline for at least ``startupGrace`` with no root reachable. `roots` is `nil` when the
    /// service did not list its peers.
    case cannotReachRoots(offlineFor: Duration, roots: ZeroTierRootPaths?)

    /// Twice the ~5 s a real service took to come online after a restart: longer than that is not
    /// start-up any more.
    public static let startupGrace = Duration.seconds(10)

    /// The rule above, as a pure function of what was observed.
    public static func assess(
        online: Bool, offlineFor: Duration, roots: ZeroTierRootPaths?, grace: Duration = startupGrace
    ) -> ZeroTierNodeReachability {
        if online { return .online }
        if let roots, roots.withLivePath > 0 { return .comingOnline(offlineFor: offlineFor) }
        if offlineFor < grace { return .comingOnline(offlineFor: offlineFor) }
        return .cannotReachRoots(offlineFor: offlineFor, roots: roots)
    }

    public var isOnline: Bool { self == .online }

    /// What to tell the user after "online    no" or "node N is offline": why, and what to do.
    public func explanation(udpPort: Int = 9993) -> String {
        switch self {
        case .online:
            return "online"
        case .comingOnline(let offlineFor):
            return "still coming online (offline for \(offlineFor.roughSecondsText) so far; the service reaches the ZeroTier "
                + "roots a few seconds after it starts): run again in a few seconds"
        case .cannotReachRoots(let offlineFor, let roots):
            let answering = roots.map { "; \($0.withLivePath) of \($0.roots) roots answering" } ?? ""
            return "cannot reach the ZeroTier roots (offline for \(offlineFor.roughSecondsText)\(answering)): check this "
                + "machine's internet access and that outgoing UDP port \(udpPort) is not blocked"
        }
    }
}

/// How many of the roots the service knows have a live path (`GET /peer`, role PLANET or MOON).
public struct ZeroTierRootPaths: Equatable, Sendable {
    public var roots: Int
    public var withLivePath: Int

    public init(roots: Int, withLivePath: Int) {
        self.roots = roots
        self.withLivePath = withLivePath
    }

    public init(peers: [ZeroTierPeer]) {
        let roots = peers.filter(\.isRoot)
        self.init(roots: roots.count, withLivePath: roots.filter(\.hasLivePath).count)
    }
}

/// One entry of `GET /peer` (`_peerToJson`): a node this one talks to, with its paths.
public struct ZeroTierPeer: Decodable, Equatable, Sendable {
    public var address: String
    /// `"LEAF"`, `"MOON"` or `"PLANET"` (a root).
    public var role: String?
    /// Milliseconds; -1 when unknown.
    public var latency: Int?
    public var version: String?
    public var paths: [Path]

    public struct Path: Decodable, Equatable, Sendable {
        /// `"203.0.113.10/9993"`: the peer's physical address and port.
        public var address: String
        public var active: Bool?
        public var expired: Bool?
        public var preferred: Bool?
        /// Milliseconds since 1970 (0: never).
        public var lastReceive: Int64?
    }

    enum CodingKeys: String, CodingKey { case address, role, latency, version, paths }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        address = try c.decode(String.self, forKey: .address)
        role = try c.decodeIfPresent(String.self, forKey: .role)
        latency = try c.decodeIfPresent(Int.self, forKey: .latency)
        version = try c.decodeIfPresent(String.self, forKey: .version)
        paths = try c.decodeIfPresent([Path].self, forKey: .paths) ?? []
    }

    public var isRoot: Bool { role == "PLANET" || role == "MOON" }

    /// A path not expired (older services write only `expired`, newer ones also `active`).
    public var hasLivePath: Bool {
        paths.contains { $0.active ?? !($0.expired ?? true) }
    }
}

extension Duration {
    /// A measured wait for a person: `"0.4 s"`, `"2 s"`, `"10 s"` (tenths below 10 s, whole
    /// seconds above), not the millisecond noise of a poll loop (`"10.004 s"`).
    var roughSecondsText: String {
        let (seconds, attoseconds) = components
        let milliseconds = max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
        if milliseconds >= 10_000 { return "\((milliseconds + 500) / 1000) s" }
        let tenths = (milliseconds + 50) / 100
        return tenths % 10 == 0 ? "\(tenths / 10) s" : "\(tenths / 10).\(tenths % 10) s"
    }
}
