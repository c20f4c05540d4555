import Concord

/// Unicast copies of the room's discovery broadcasts, sent to every address of the network's
/// IPv4 subnet at a bounded rate.
///
/// Why broadcast alone is not enough on ZeroTier (measured on a real ZeroTier One 1.14.1
/// network): for about a minute after a node joins a network, the broadcasts of members that
/// joined earlier reach it queued, up to ~25 s late, while its own broadcasts and every unicast
/// datagram arrive at once. Three clients that joined a fresh network together each created a
/// one-person room and sat alone for 55–60 s. A unicast copy of each discover (and announce) to
/// every address of the subnet reaches the others at once, so people meet in the first seconds.
///
/// The alternatives, and why not: ZeroTier's `GET /peer` lists node ids and physical paths, not
/// addresses on the network; multicast groups are delivered by the same queued mechanism as
/// broadcast; introductions through a known member need one member to be known first (the room
/// protocol's gossip does that part once anyone is found).
///
/// **Cost.** One payload is copied to each address at most once per sweep (so a receiver never
/// sees the same sealed datagram twice and counts it as a replay). While discovering, a /24 is
/// swept in about a second (`ratePerSecondWhileDiscovering`, 256 datagrams/s, ~35 kB/s for a
/// second); as a member, announces are swept 8× slower. A subnet larger than `maximumHosts`
/// addresses is swept over the `maximumHosts` addresses nearest to ours (a /20 by default);
/// ZeroTier's address pools are usually a /24.
///
/// Pure: the driver calls ``noteBroadcast(_:)`` for each broadcast it sends and asks
/// ``due(now:discovering:)`` at each tick for the copies to send now.
public struct SubnetSweep: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Our address on the network (host byte order) and its prefix length.
        public var address: UInt32
        public var prefixLength: Int
        /// The room's UDP port on every peer.
        public var port: UInt16
        public var ratePerSecondWhileDiscovering: Double
        public var ratePerSecondAsMember: Double
        public var maximumHosts: Int

        public init(
            address: UInt32, prefixLength: Int, port: UInt16, ratePerSecondWhileDiscovering: Double = 256,
            ratePerSecondAsMember: Double = 32, maximumHosts: Int = 4094
        ) {
            self.address = address
            self.prefixLength = prefixLength
            self.port = port
            self.ratePerSecondWhileDiscovering = ratePerSecondWhileDiscovering
            self.ratePerSecondAsMember = ratePerSecondAsMember
            self.maximumHosts = maximumHosts
        }
    }

    public let configuration: Configuration
    /// The addresses swept, in order: those after ours, then those before (wrapping).
    public let hosts: [UInt32]
    private var cursor = 0
    private var payload: [UInt8]?
    private var remaining = 0
    private var credit = 0.0
    private var lastDue: Instant?

    /// Datagram copies sent so far.
    public private(set) var copiesSent = 0

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        hosts = Self.hosts(around: configuration.address, prefixLength: configuration.prefixLength, limit: configuration.maximumHosts)
    }

    /// The host addresses of the subnet (neither the network nor the broadcast address, nor
    /// ours), starting after ours and wrapping; for a subnet larger than `limit`, the `limit`
    /// addresses around ours. Empty for /31 and /32, which have no one else to find.
    static func hosts(around address: UInt32, prefixLength: Int, limit: Int) -> [UInt32] {
        guard (0...30).contains(prefixLength), limit > 0 else { return [] }
        let size = UInt64(1) << UInt64(32 - prefixLength)
        let network = UInt64(address) & ~(size - 1)
        var first = network + 1
        var last = network + size - 2
        let own = UInt64(address)
        if last - first + 1 > UInt64(limit) {
            // A window of `limit` addresses centred on ours, slid back inside the subnet.
            let half = UInt64(limit / 2)
            first = max(first, own > half ? own - half : 0)
            last = first + UInt64(limit) - 1
            if last > network + size - 2 {
                last = network + size - 2
                first = last - UInt64(limit) + 1
            }
        }
        var result: [UInt32] = []
        result.reserveCapacity(Int(last - first + 1))
        if own >= first && own <= last {
            for a in (own + 1)...max(own + 1, last) where a <= last { result.append(UInt32(a)) }
            for a in first..<own { result.append(UInt32(a)) }
        } else {
            for a in first...last { result.append(UInt32(a)) }
        }
        return result
    }

    /// A broadcast was sent: sweep its payload over the whole subnet (replacing the previous
    /// payload, whose sweep ends where it is).
    public mutating func noteBroadcast(_ bytes: [UInt8]) {
        guard !hosts.isEmpty else { return }
        payload = bytes
        remaining = hosts.count
    }

    /// The copies to send now: the current payload and the next addresses within the rate's
    /// credit (credit accrues at most a tenth of a second ahead, so a stalled driver does not
    /// burst).
    public mutating func due(now: Instant, discovering: Bool) -> (payload: [UInt8], addresses: [RoomAddress])? {
        let rate = discovering ? configuration.ratePerSecondWhileDiscovering : configuration.ratePerSecondAsMember
        let elapsed = lastDue.map { max(0, now.seconds - $0.seconds) } ?? 0
        lastDue = now
        credit = min(credit + elapsed * rate, max(1, rate / 10))
        guard let payload, remaining > 0, credit >= 1 else { return nil }
        let count = min(Int(credit), remaining)
        credit -= Double(count)
        remaining -= count
        var addresses: [RoomAddress] = []
        addresses.reserveCapacity(count)
        for _ in 0..<count {
            addresses.append(.ipv4(hosts[cursor], port: configuration.port))
            cursor = (cursor + 1) % hosts.count
        }
        copiesSent += count
        if remaining == 0 { self.payload = nil }
        return (payload, addresses)
    }
}
