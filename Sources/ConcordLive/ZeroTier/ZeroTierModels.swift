// The JSON objects of the ZeroTier One local service API, as `service/OneService.cpp` writes them
// (`GET /status` and `_networkToJson` for `GET /network[/{nwid}]`).
//
// Decoding is tolerant on purpose: service versions add fields (SSO, DNS, bonding) and older ones
// lack some, so only what Concord cannot work without is required (a status's `address` and
// `online`; a network's `id` and `status`); everything else is optional or defaults to empty.
// Unknown fields are ignored; an unknown network status string is kept, not rejected.

/// `GET /status`: this node and the service.
public struct ZeroTierStatus: Decodable, Equatable, Sendable {
    /// This node's 10-hex-digit ZeroTier address.
    public var address: String
    public var publicIdentity: String?
    /// Whether the node can reach the ZeroTier roots (it has working UDP or TCP-relay paths).
    public var online: Bool
    /// True when UDP is blocked and traffic goes through ZeroTier's TCP relay: expect high latency.
    public var tcpFallbackActive: Bool?
    /// `"major.minor.revision"`, e.g. `"1.14.2"`.
    public var version: String?
    public var versionMajor: Int?
    public var versionMinor: Int?
    public var versionRev: Int?
    public var versionBuild: Int?
    /// The service's wall clock, milliseconds since 1970.
    public var clock: Int64?
    public var config: Config?
    public var planetWorldId: UInt64?
    public var planetWorldTimestamp: Int64?

    /// `config`: the service's local.conf with its effective settings.
    public struct Config: Decodable, Equatable, Sendable {
        public var settings: Settings?
    }

    /// `config.settings`.
    public struct Settings: Decodable, Equatable, Sendable {
        /// The UDP port ZeroTier itself uses (not Concord's voice port).
        public var primaryPort: Int?
        public var secondaryPort: Int?
        public var tertiaryPort: Int?
        public var portMappingEnabled: Bool?
        public var allowTcpFallbackRelay: Bool?
        public var forceTcpRelay: Bool?
        public var softwareUpdate: String?
        public var listeningOn: [String]?
        public var surfaceAddresses: [String]?
    }

    public init(address: String, online: Bool, version: String? = nil) {
        self.address = address
        self.online = online
        self.version = version
    }

    /// The version as text, from `version` or else the separate numbers.
    public var versionText: String {
        if let version { return version }
        if let versionMajor, let versionMinor, let versionRev {
            return "\(versionMajor).\(versionMinor).\(versionRev)"
        }
        return "unknown"
    }
}

/// A network's `status` string. `OK` is the only one in which traffic flows; the rest explain why not.
public enum ZeroTierNetworkStatus: Hashable, Sendable, CustomStringConvertible {
    case requestingConfiguration
    case ok
    case accessDenied
    case notFound
    case portError
    case clientTooOld
    case authenticationRequired
    /// A status this client does not know (a newer service), kept verbatim.
    case other(String)

    public init(rawValue: String) {
        switch rawValue {
        case "REQUESTING_CONFIGURATION": self = .requestingConfiguration
        case "OK": self = .ok
        case "ACCESS_DENIED": self = .accessDenied
        case "NOT_FOUND": self = .notFound
        case "PORT_ERROR": self = .portError
        case "CLIENT_TOO_OLD": self = .clientTooOld
        case "AUTHENTICATION_REQUIRED": self = .authenticationRequired
        default: self = .other(rawValue)
        }
    }

    /// The service's spelling.
    public var rawValue: String {
        switch self {
        case .requestingConfiguration: "REQUESTING_CONFIGURATION"
        case .ok: "OK"
        case .accessDenied: "ACCESS_DENIED"
        case .notFound: "NOT_FOUND"
        case .portError: "PORT_ERROR"
        case .clientTooOld: "CLIENT_TOO_OLD"
        case .authenticationRequired: "AUTHENTICATION_REQUIRED"
        case .other(let text): text
        }
    }

    public var description: String { rawValue }
}

/// One joined network (`_networkToJson`).
public struct ZeroTierNetwork: Decodable, Equatable, Sendable {
    public var id: NetworkID
    /// The device's MAC on this network, `"aa:bb:cc:dd:ee:ff"`.
    public var mac: String?
    /// The name the network's admin gave it; empty until configuration arrives.
    public var name: String
    public var status: ZeroTierNetworkStatus
    /// `"PRIVATE"` or `"PUBLIC"` (empty before configuration).
    public var type: String?
    public var mtu: Int?
    public var dhcp: Bool?
    public var bridge: Bool?
    /// Whether Ethernet broadcast (and so Concord's room discovery by broadcast) is allowed.
    public var broadcastEnabled: Bool?
    /// The OS error from creating the virtual port (tap), when `status` is `PORT_ERROR`.
    public var portError: Int?
    public var netconfRevision: Int?
    /// The virtual interface's name, e.g. `"ztabcdef12"`.
    public var portDeviceName: String?
    public var allowManaged: Bool?
    public var allowGlobal: Bool?
    public var allowDefault: Bool?
    public var allowDNS: Bool?
    public var assignedAddresses: [AssignedAddress]
    public var routes: [Route]
    public var multicastSubscriptions: [MulticastSubscription]
    public var dns: DNS?
    /// Present for SSO networks: where the user must log in (`AUTHENTICATION_REQUIRED`).
    public var authenticationURL: String?
    public var authenticationExpiryTime: Int64?
    public var ssoEnabled: Bool?

    /// `routes[]`: a managed route; `via` is `null` for a route onto the network itself.
    public struct Route: Decodable, Equatable, Sendable {
        public var target: String
        public var via: String?
        public var flags: Int?
        public var metric: Int?
    }

    /// `multicastSubscriptions[]`.
    public struct MulticastSubscription: Decodable, Equatable, Sendable {
        public var mac: String
        public var adi: UInt32?
    }

    /// `dns`: pushed DNS settings.
    public struct DNS: Decodable, Equatable, Sendable {
        public var domain: String?
        public var servers: [String]?
    }

    public init(id: NetworkID, name: String = "", status: ZeroTierNetworkStatus, assignedAddresses: [AssignedAddress] = []) {
        self.id = id
        self.name = name
        self.status = status
        self.assignedAddresses = assignedAddresses
        self.routes = []
        self.multicastSubscriptions = []
    }

    enum CodingKeys: String, CodingKey {
        case id, nwid, mac, name, status, type, mtu, dhcp, bridge, broadcastEnabled, portError
        case netconfRevision, portDeviceName, allowManaged, allowGlobal, allowDefault, allowDNS
        case assignedAddresses, routes, multicastSubscriptions, dns
        case authenticationURL, authenticationExpiryTime, ssoEnabled
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // The service writes both `id` and `nwid` (same value); accept either.
        if let id = try c.decodeIfPresent(NetworkID.self, forKey: .id) {
            self.id = id
        } else {
            self.id = try c.decode(NetworkID.self, forKey: .nwid)
        }
        status = ZeroTierNetworkStatus(rawValue: try c.decode(String.self, forKey: .status))
        mac = try c.decodeIfPresent(String.self, forKey: .mac)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? ""
        type = try c.decodeIfPresent(String.self, forKey: .type)
        mtu = try c.decodeIfPresent(Int.self, forKey: .mtu)
        dhcp = try c.decodeIfPresent(Bool.self, forKey: .dhcp)
        bridge = try c.decodeIfPresent(Bool.self, forKey: .bridge)
        broadcastEnabled = try c.decodeIfPresent(Bool.self, forKey: .broadcastEnabled)
        portError = try c.decodeIfPresent(Int.self, forKey: .portError)
        netconfRevision = try c.decodeIfPresent(Int.self, forKey: .netconfRevision)
        portDeviceName = try c.decodeIfPresent(String.self, forKey: .portDeviceName)
        allowManaged = try c.decodeIfPresent(Bool.self, forKey: .allowManaged)
        allowGlobal = try c.decodeIfPresent(Bool.self, forKey: .allowGlobal)
        allowDefault = try c.decodeIfPresent(Bool.self, forKey: .allowDefault)
        allowDNS = try c.decodeIfPresent(Bool.self, forKey: .allowDNS)
        let addressTexts = try c.decodeIfPresent([String].self, forKey: .assignedAddresses) ?? []
        assignedAddresses = try addressTexts.map { text in
            guard let address = AssignedAddress(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .assignedAddresses, in: c,
                    debugDescription: "assignedAddresses holds \"\(text)\", which is not ip/bits")
            }
            return address
        }
        routes = try c.decodeIfPresent([Route].self, forKey: .routes) ?? []
        multicastSubscriptions = try c.decodeIfPresent([MulticastSubscription].self, forKey: .multicastSubscriptions) ?? []
        dns = try c.decodeIfPresent(DNS.self, forKey: .dns)
        authenticationURL = try c.decodeIfPresent(String.self, forKey: .authenticationURL)
        authenticationExpiryTime = try c.decodeIfPresent(Int64.self, forKey: .authenticationExpiryTime)
        ssoEnabled = try c.decodeIfPresent(Bool.self, forKey: .ssoEnabled)
    }

    /// The first assigned IPv4 address: the one Concord binds its voice socket to.
    public var ipv4Address: AssignedAddress? {
        assignedAddresses.first { $0.ipv4 != nil }
    }

    /// Ready for Concord: configuration arrived and an IPv4 address is assigned.
    public var isReady: Bool {
        status == .ok && ipv4Address != nil
    }
}

/// The join options the service accepts in `POST /network/{nwid}`'s body. `nil` leaves the
/// service's setting as it is (its defaults: managed addresses on, global/default routes and DNS off).
public struct ZeroTierJoinSettings: Equatable, Sendable {
    /// Let the network's controller assign IP addresses (Concord needs this on to get an IPv4).
    public var allowManaged: Bool?
    /// Let managed addresses and routes overlap public IP space.
    public var allowGlobal: Bool?
    /// Let the network override the system's default route (full tunnel).
    public var allowDefault: Bool?
    /// Let the network push DNS settings.
    public var allowDNS: Bool?

    public init(allowManaged: Bool? = nil, allowGlobal: Bool? = nil, allowDefault: Bool? = nil, allowDNS: Bool? = nil) {
        self.allowManaged = allowManaged
        self.allowGlobal = allowGlobal
        self.allowDefault = allowDefault
        self.allowDNS = allowDNS
    }

    /// The JSON body: only the flags that are set.
    var jsonBody: String {
        let fields: [(String, Bool?)] = [
            ("allowManaged", allowManaged), ("allowGlobal", allowGlobal),
            ("allowDefault", allowDefault), ("allowDNS", allowDNS),
        ]
        let set = fields.compactMap { name, value in value.map { "\"\(name)\":\($0)" } }
        return "{" + set.joined(separator: ",") + "}"
    }
}
