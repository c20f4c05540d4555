import ConcordLive

/// What `concord ui`'s page shows while no room is joined, as JSON `{"lobby": {…}}`: this
/// machine's ZeroTier networks, the joins under way, the sound devices to choose from, and the
/// last thing that happened. A room, once joined, replaces it with the room's own snapshot.
struct LobbyState: Encodable, Equatable {
    struct Network: Encodable, Equatable {
        var id: String
        var name: String
        var status: String
        var type: String?
        var addresses: [String]
        /// The address a room on this network binds and advertises; absent until assigned.
        var ipv4: String?
    }

    /// A sound device offered in a menu. The page sends back its PortAudio index, not its name:
    /// two devices may share a name, and a name may be a number.
    struct Device: Encodable, Equatable {
        var index: Int
        var name: String
    }
    struct Progress: Encodable, Equatable {
        var network: String
        var text: String
    }

    var name: String
    var fingerprint: String
    /// Why the networks cannot be listed (no service, no token, …); absent when they can.
    var zeroTierProblem: String?
    var networks: [Network]
    var joiningNetworks: [Progress]
    /// The room being joined and how far it got, while it starts.
    var startingRoom: String?
    var startingProgress: String?
    /// What happened last (a network joined or left, a room left, why a join failed).
    var notice: String?
    /// Device choices; empty when a file stands in (`fixedInput`, `fixedOutput`).
    var inputs: [Device]
    var outputs: [Device]
    var fixedInput: String?
    var fixedOutput: String?

    init(
        name: String, fingerprint: String, zeroTier: Result<[ZeroTierNetwork], ZeroTierError>?, joining: [String: String],
        starting: (room: String, progress: String)?, notice: String?, devices: [AudioDeviceInfo], fixedInput: String?,
        fixedOutput: String?
    ) {
        self.name = name
        self.fingerprint = fingerprint
        switch zeroTier {
        case .success(let list)?:
            networks = list.map { n in
                Network(
                    id: "\(n.id)", name: n.name, status: "\(n.status)", type: n.type,
                    addresses: n.assignedAddresses.map(\.description), ipv4: n.ipv4Address?.description)
            }
            zeroTierProblem = nil
        case .failure(let error)?:
            networks = []
            zeroTierProblem = error.description
        case nil:
            networks = []
            zeroTierProblem = "asking the ZeroTier One service…"
        }
        joiningNetworks = joining.sorted { $0.key < $1.key }.map { Progress(network: $0.key, text: $0.value) }
        startingRoom = starting?.room
        startingProgress = starting?.progress
        self.notice = notice
        func choices(_ capable: (AudioDeviceInfo) -> Bool) -> [Device] {
            devices.filter(capable).map { Device(index: $0.index, name: $0.name) }
        }
        inputs = fixedInput == nil ? choices { $0.maxInputChannels > 0 } : []
        outputs = fixedOutput == nil ? choices { $0.maxOutputChannels > 0 } : []
        self.fixedInput = fixedInput
        self.fixedOutput = fixedOutput
    }
}
