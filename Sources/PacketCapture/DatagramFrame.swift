import Concord

/// One UDP datagram as the bytes of a capture record: a Linux "cooked" v2 header
/// (`LINKTYPE_LINUX_SLL2`: direction and interface), an IPv4 or IPv6 header, a UDP header and
/// the payload.
///
/// The IP and UDP headers are made up from what the socket knew (addresses, ports, payload):
/// lengths and checksums are computed, TTL / hop limit 64, no options, never fragmented. The IPv4
/// identification is a hash of addresses, ports and payload, so one datagram has the same id at
/// the sender's and at the receiver's interface (`ip.id` matches the two copies in Wireshark).
enum DatagramFrame {
    static let cookedHeaderLength = 20
    static let ipv4HeaderLength = 20
    static let ipv6HeaderLength = 40
    static let udpHeaderLength = 8
    /// The largest UDP payload an IPv4 datagram holds (its total length is 16 bits).
    static let maxIPv4Payload = 65_535 - ipv4HeaderLength - udpHeaderLength
    /// The largest UDP payload an IPv6 datagram holds without a jumbogram.
    static let maxIPv6Payload = 65_535 - udpHeaderLength
    /// The longest record: the cooked header and a full IPv4 or IPv6 packet.
    static let maxLength = cookedHeaderLength + ipv6HeaderLength + udpHeaderLength + maxIPv6Payload

    /// `ARPHRD_NONE`: an interface without link-layer addresses (a tunnel, as ZeroTier's tap is
    /// to the room: only IP matters).
    private static let hardwareType: UInt16 = 0xFFFE

    /// Appends the record's bytes to `out`; returns the datagram's length on the wire (cooked
    /// header included), which exceeds what was appended when the payload had to be cut to
    /// the largest an IP datagram can carry.
    static func append(
        _ payload: UnsafeRawBufferPointer, from source: RoomAddress, to destination: RoomAddress,
        direction: CaptureDirection, interface: UInt32, to out: inout [UInt8]
    ) -> Int {
        let hosts = Hosts(source.host, destination.host)
        let isIPv4: Bool
        if case .ipv4 = hosts { isIPv4 = true } else { isIPv4 = false }
        let kept = UnsafeRawBufferPointer(rebasing: payload.prefix(isIPv4 ? maxIPv4Payload : maxIPv6Payload))
        let udpLength = UInt16(udpHeaderLength + kept.count)

        // Cooked v2 header.
        out.appendBigEndian(isIPv4 ? UInt16(0x0800) : 0x86DD)
        out.appendBigEndian(UInt16(0))
        out.appendBigEndian(interface)
        out.appendBigEndian(hardwareType)
        out.append(direction.rawValue)
        out.append(0)
        out.append(contentsOf: repeatElement(0, count: 8))

        var pseudo = InternetChecksum()
        switch hosts {
        case let .ipv4(s, d):
            var header: [UInt8] = []
            header.reserveCapacity(ipv4HeaderLength)
            header.append(0x45)
            header.append(0)
            header.appendBigEndian(UInt16(ipv4HeaderLength) + udpLength)
            header.appendBigEndian(identification(source, destination, kept))
            header.appendBigEndian(UInt16(0))
            header.append(64)
            header.append(17)
            header.appendBigEndian(UInt16(0))
            header.appendBigEndian(s)
            header.appendBigEndian(d)
            var checksum = InternetChecksum()
            checksum.add(header)
            let value = checksum.value
            header[10] = UInt8(value >> 8)
            header[11] = UInt8(value & 0xFF)
            out.append(contentsOf: header)
            pseudo.add(s)
            pseudo.add(d)
            pseudo.add(UInt16(17))
            pseudo.add(udpLength)
        case let .ipv6(s, d):
            out.append(contentsOf: [0x60, 0, 0, 0])
            out.appendBigEndian(udpLength)
            out.append(17)
            out.append(64)
            out.append(contentsOf: s)
            out.append(contentsOf: d)
            pseudo.add(s)
            pseudo.add(d)
            pseudo.add(UInt32(udpLength))
            pseudo.add(UInt32(17))
        }

        pseudo.add(source.port)
        pseudo.add(destination.port)
        pseudo.add(udpLength)
        pseudo.add(kept)
        // 0 means "no checksum" in UDP: a computed 0 is sent as 0xFFFF (RFC 768).
        let checksum = pseudo.value == 0 ? 0xFFFF : pseudo.value
        out.appendBigEndian(source.port)
        out.appendBigEndian(destination.port)
        out.appendBigEndian(udpLength)
        out.appendBigEndian(checksum)
        out.append(contentsOf: kept)
        let headers = cookedHeaderLength + (isIPv4 ? ipv4HeaderLength : ipv6HeaderLength) + udpHeaderLength
        return headers + payload.count
    }

    /// Both hosts in one family: IPv4 when both are, else IPv6 with IPv4 as IPv4-mapped
    /// (`::ffff:a.b.c.d`, what a dual-stack socket sends) and exactly 16 bytes each.
    private enum Hosts {
        case ipv4(UInt32, UInt32)
        case ipv6([UInt8], [UInt8])

        init(_ a: RoomAddress.Host, _ b: RoomAddress.Host) {
            if case .ipv4(let s) = a, case .ipv4(let d) = b {
                self = .ipv4(s, d)
            } else {
                self = .ipv6(Self.bytes(a), Self.bytes(b))
            }
        }

        private static func bytes(_ host: RoomAddress.Host) -> [UInt8] {
            switch host {
            case .ipv4(let v):
                var bytes = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]
                bytes.appendBigEndian(v)
                return bytes
            case .ipv6(let bytes):
                return Array((bytes + [UInt8](repeating: 0, count: 16)).prefix(16))
            }
        }
    }

    /// 32-bit FNV-1a over addresses, ports and payload, folded to 16 bits.
    private static func identification(_ source: RoomAddress, _ destination: RoomAddress, _ payload: UnsafeRawBufferPointer) -> UInt16 {
        var hash: UInt32 = 0x811C_9DC5
        func mix(_ byte: UInt8) { hash = (hash ^ UInt32(byte)) &* 0x0100_0193 }
        for address in [source, destination] {
            if case .ipv4(let v) = address.host {
                for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: v >> UInt32(shift))) }
            }
            mix(UInt8(address.port >> 8))
            mix(UInt8(address.port & 0xFF))
        }
        for byte in payload { mix(byte) }
        return UInt16(truncatingIfNeeded: hash >> 16) ^ UInt16(truncatingIfNeeded: hash)
    }
}
