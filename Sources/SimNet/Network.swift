/// A host on the simulated network. Create with `Network.addHost(address:)`.
/// The host refers back to its network without owning it: keep the `Network` alive.
public final class Host {
    public let address: IPv4Address
    public let prefixLength: Int
    let index: Int32
    unowned let network: Network
    var ports: [UInt16: (Datagram, SimTime) -> Void] = [:]
    /// Path index by destination host index (-1: not created yet).
    var outPaths: ContiguousArray<Int32> = []
    var groups: Set<IPv4Address> = []

    init(address: IPv4Address, prefixLength: Int, index: Int32, network: Network) {
        self.address = address
        self.prefixLength = prefixLength
        self.index = index
        self.network = network
    }

    /// The directed broadcast address of this host's subnet (e.g. 10.0.0.255 for a /24).
    public var broadcastAddress: IPv4Address {
        IPv4Address(rawValue: address.rawValue | ~IPv4Address.netmask(prefixLength: prefixLength))
    }

    /// Delivers datagrams arriving for `port` to `handler(datagram, now)`; replaces any previous one.
    public func bind(port: UInt16, handler: @escaping (Datagram, SimTime) -> Void) {
        ports[port] = handler
    }

    public func unbind(port: UInt16) { ports[port] = nil }

    public func isBound(port: UInt16) -> Bool { ports[port] != nil }

    /// Sends from this host's `port` (it need not be bound).
    public func send(from port: UInt16, to destination: Endpoint, payload: [UInt8]) {
        network.send(from: Endpoint(address, port), to: destination, payload: payload)
    }

    /// Joins a multicast group (224.0.0.0/4): datagrams sent to it reach this host's bound port.
    public func join(group: IPv4Address) { network.join(self, group: group) }
    public func leave(group: IPv4Address) { network.leave(self, group: group) }
    public var joinedGroups: Set<IPv4Address> { groups }
}

/// Hosts, paths and datagrams on top of a `Simulator`.
///
/// Every ordered pair of hosts (source → destination) has its own path with its own conditions,
/// counters and random generator, seeded from (seed, source address, destination address).
/// A host sending to itself goes through its (h → h) path like any other.
public final class Network {
    public let simulator: Simulator
    public let seed: UInt64

    /// Conditions of every path that has not been given its own with `setConditions`.
    /// Changing it takes effect immediately, also mid-run.
    public var defaultConditions: PathConditions {
        didSet {
            for i in paths.indices where !paths[i].hasOwnConditions { paths[i].apply(defaultConditions) }
        }
    }

    /// Sends to addresses no host has (or from an unknown source address).
    public private(set) var unroutable = 0

    var hosts: [Host] = []
    var hostByAddress: [IPv4Address: Int32] = [:]
    var paths: ContiguousArray<Path> = []
    var groupMembers: [IPv4Address: [Int32]] = [:]

    struct InFlight {
        var datagram: Datagram
        var path: Int32
        var recordRow: Int32
        var sendIndex: Int
    }
    var inflight: ContiguousArray<InFlight> = []
    var freeInflight: [UInt32] = []

    public init(simulator: Simulator, seed: UInt64, defaultConditions: PathConditions = .ideal) {
        self.simulator = simulator
        self.seed = seed
        self.defaultConditions = defaultConditions
        simulator.packetSink = self
    }

    public var now: SimTime { simulator.now }

    // MARK: Hosts

    /// Adds a host with `address` on a subnet of `prefixLength` bits (broadcasts reach the subnet).
    @discardableResult
    public func addHost(address: IPv4Address, prefixLength: Int = 24) -> Host {
        precondition(hostByAddress[address] == nil, "duplicate host address \(address)")
        precondition(!address.isMulticast && address != .broadcast, "not a unicast address: \(address)")
        let host = Host(address: address, prefixLength: prefixLength, index: Int32(hosts.count), network: self)
        hosts.append(host)
        hostByAddress[address] = host.index
        return host
    }

    public func host(at address: IPv4Address) -> Host? {
        hostByAddress[address].map { hosts[Int($0)] }
    }

    public var allHosts: [Host] { hosts }

    func join(_ host: Host, group: IPv4Address) {
        precondition(group.isMulticast, "\(group) is not a multicast address")
        guard host.groups.insert(group).inserted else { return }
        var members = groupMembers[group, default: []]
        members.append(host.index)
        members.sort()
        groupMembers[group] = members
    }

    func leave(_ host: Host, group: IPv4Address) {
        guard host.groups.remove(group) != nil else { return }
        groupMembers[group]?.removeAll { $0 == host.index }
    }

    // MARK: Paths

    func pathIndex(_ s: Int32, _ d: Int32) -> Int32 {
        let src = hosts[Int(s)]
        if src.outPaths.count <= Int(d) {
            src.outPaths.append(contentsOf: repeatElement(-1, count: hosts.count - src.outPaths.count))
        }
        let existing = src.outPaths[Int(d)]
        if existing >= 0 { return existing }
        let seed = pathSeed(global: self.seed, source: src.address.rawValue,
                            destination: hosts[Int(d)].address.rawValue)
        let path = Path(source: s, destination: d, conditions: defaultConditions, seed: seed)
        let index = Int32(paths.count)
        paths.append(path)
        src.outPaths[Int(d)] = index
        return index
    }

    func index(_ from: Host, _ to: Host) -> Int {
        precondition(from.network === self && to.network === self, "host of another network")
        return Int(pathIndex(from.index, to.index))
    }

    func path(_ from: Host, _ to: Host) -> Path { paths[index(from, to)] }

    /// Sets the conditions of the path from → to (one direction); takes effect for the next datagram.
    public func setConditions(_ conditions: PathConditions, from: Host, to: Host) {
        let i = index(from, to)
        paths[i].hasOwnConditions = true
        paths[i].apply(conditions)
    }

    /// Sets the same conditions in both directions between `a` and `b`.
    public func setConditions(_ conditions: PathConditions, between a: Host, and b: Host) {
        setConditions(conditions, from: a, to: b)
        setConditions(conditions, from: b, to: a)
    }

    /// Returns the path from → to to the network's default conditions.
    public func clearConditions(from: Host, to: Host) {
        let i = index(from, to)
        paths[i].hasOwnConditions = false
        paths[i].apply(defaultConditions)
    }

    public func conditions(from: Host, to: Host) -> PathConditions { path(from, to).conditions }

    public func counters(from: Host, to: Host) -> PathCounters { path(from, to).counters }

    /// The sum of every path's counters.
    public var totalCounters: PathCounters { paths.reduce(PathCounters()) { $0 + $1.counters } }

    // MARK: Partitions

    /// Cuts the link from → to (one direction): datagrams sent, or arriving, while it is cut are dropped.
    public func cut(from: Host, to: Host) { paths[index(from, to)].isCut = true }
    public func heal(from: Host, to: Host) { paths[index(from, to)].isCut = false }
    /// Cuts both directions between `a` and `b`.
    public func cut(between a: Host, and b: Host) { cut(from: a, to: b); cut(from: b, to: a) }
    public func heal(between a: Host, and b: Host) { heal(from: a, to: b); heal(from: b, to: a) }

    public func isCut(from: Host, to: Host) -> Bool { path(from, to).isCut }

    /// Cuts every link between a host of `a` and a host of `b`, both directions.
    /// Links within each side, and with hosts in neither, are untouched.
    public func partition(_ a: [Host], _ b: [Host]) {
        for x in a { for y in b where x !== y { cut(between: x, and: y) } }
    }

    /// Heals every cut link.
    public func heal() {
        for i in paths.indices { paths[i].isCut = false }
    }

    /// Schedules `partition(a, b)` at virtual time `time`.
    @discardableResult
    public func partition(_ a: [Host], _ b: [Host], at time: SimTime) -> EventID {
        simulator.schedule(at: time) { [unowned self] in self.partition(a, b) }
    }

    /// Schedules `heal()` at virtual time `time`.
    @discardableResult
    public func heal(at time: SimTime) -> EventID {
        simulator.schedule(at: time) { [unowned self] in self.heal() }
    }

    /// Schedules `setConditions(_:from:to:)` at virtual time `time`.
    @discardableResult
    public func setConditions(_ conditions: PathConditions, from: Host, to: Host, at time: SimTime) -> EventID {
        simulator.schedule(at: time) { [unowned self] in self.setConditions(conditions, from: from, to: to) }
    }

    // MARK: Recording

    /// Starts recording the path from → to in the trace format (clears an earlier recording).
    /// Row k is the k-th datagram sent from now on: its send time and its arrival (empty if lost).
    public func startRecording(from: Host, to: Host) {
        paths[index(from, to)].recording = []
    }

    /// Stops recording and returns what was recorded (nil if the path was not recording).
    @discardableResult
    public func stopRecording(from: Host, to: Host) -> Trace? {
        let i = index(from, to)
        defer { paths[i].recording = nil }
        return paths[i].recording.map { Trace(rows: $0) }
    }

    /// What the path recorded so far (datagrams still in flight show their scheduled arrival).
    public func recordedTrace(from: Host, to: Host) -> Trace? {
        path(from, to).recording.map { Trace(rows: $0) }
    }

    // MARK: Sending

    /// Sends a datagram. Unicast to a host, to a subnet's broadcast address (or 255.255.255.255
    /// for the sender's subnet), or to a multicast group (every member but the sender).
    public func send(from source: Endpoint, to destination: Endpoint, payload: [UInt8]) {
        guard let s = hostByAddress[source.address] else { unroutable += 1; return }
        let datagram = Datagram(source: source, destination: destination, payload: payload)
        let dst = destination.address
        if let d = hostByAddress[dst] {
            transmit(datagram, pathIndex: pathIndex(s, d))
        } else if dst.isMulticast {
            guard let members = groupMembers[dst] else { return }
            for d in members where d != s { transmit(datagram, pathIndex: pathIndex(s, d)) }
        } else {
            let target = dst == .broadcast ? hosts[Int(s)].broadcastAddress : dst
            var any = false
            for host in hosts where host.broadcastAddress == target {
                any = true
                if host.index != s { transmit(datagram, pathIndex: pathIndex(s, host.index)) }
            }
            if !any { unroutable += 1 }
        }
    }

    func transmit(_ datagram: Datagram, pathIndex: Int32) {
        let now = simulator.now.nanoseconds
        let fate = paths[Int(pathIndex)].admit(size: datagram.payload.count, now: now)
        guard fate.copies > 0 else { return }
        schedule(datagram, corruptBit: fate.corruptBit0, at: fate.arrival0, pathIndex: pathIndex,
                 recordRow: fate.recordRow, sendIndex: fate.sendIndex)
        if fate.copies == 2 {
            schedule(datagram, corruptBit: fate.corruptBit1, at: fate.arrival1, pathIndex: pathIndex,
                     recordRow: -1, sendIndex: fate.sendIndex)
        }
    }

    @inline(__always)
    private func schedule(_ datagram: Datagram, corruptBit: Int, at arrival: Int64, pathIndex: Int32,
                          recordRow: Int32, sendIndex: Int) {
        var d = datagram
        if corruptBit >= 0 { d.payload[corruptBit >> 3] ^= UInt8(1 << (corruptBit & 7)) }
        let item = InFlight(datagram: d, path: pathIndex, recordRow: recordRow, sendIndex: sendIndex)
        let slot: UInt32
        if let free = freeInflight.popLast() {
            slot = free
            inflight[Int(free)] = item
        } else {
            slot = UInt32(inflight.count)
            inflight.append(item)
        }
        simulator.schedulePacket(at: arrival, slot: slot)
    }
}

extension Network: PacketEventSink {
    func handlePacketEvent(slot: UInt32) {
        let item = inflight[Int(slot)]
        inflight[Int(slot)].datagram.payload = []  // release the payload now
        freeInflight.append(slot)
        let pi = Int(item.path)
        guard paths[pi].arrive(sendIndex: item.sendIndex, recordRow: item.recordRow) else { return }
        let host = hosts[Int(paths[pi].destination)]
        guard let handler = host.ports[item.datagram.destination.port] else {
            paths[pi].counters.droppedNoListener += 1
            return
        }
        paths[pi].counters.delivered += 1
        paths[pi].counters.bytesDelivered += item.datagram.payload.count
        handler(item.datagram, simulator.now)
    }
}
