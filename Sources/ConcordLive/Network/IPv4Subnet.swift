/// An IPv4 address with its prefix length (a ZeroTier-assigned `10.147.17.5/24`), and what the
/// live client derives from it: the subnet's broadcast address, and the sweep of its hosts.
public struct IPv4Subnet: Sendable, Equatable {
    /// Host byte order.
    public var address: UInt32
    /// 0...32.
    public var prefixLength: Int

    public init(address: UInt32, prefixLength: Int) {
        self.address = address
        self.prefixLength = min(max(prefixLength, 0), 32)
    }

    /// The subnet's directed broadcast address (for /31 and /32, the address itself's).
    public var broadcastAddress: UInt32 {
        let mask: UInt32 = prefixLength >= 32 ? .max : ~(UInt32.max >> UInt32(prefixLength))
        return address | ~mask
    }

    /// The network settings of a client on this subnet at `port`: bound to the wildcard (Linux
    /// delivers broadcasts only to sockets bound to it), advertising this address, broadcasting
    /// to the subnet, and sweeping it with unicast copies for networks that deliver broadcasts
    /// late (ZeroTier queues them until its peers are known).
    public func apply(to network: inout UDPTransport.Configuration, port: UInt16) -> (advertisedHost: String, sweep: SubnetSweep.Configuration) {
        network.broadcastAddress = .ipv4(broadcastAddress, port: port)
        return ("\(IPv4Address(rawValue: address))", SubnetSweep.Configuration(address: address, prefixLength: prefixLength, port: port))
    }
}
