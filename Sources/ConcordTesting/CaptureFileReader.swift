import Concord
import Foundation

/// Reads back the libpcap files `concord-bench run --pcap` and `concord join --pcap` write
/// (link type `LINKTYPE_LINUX_SLL2`, IPv4 or IPv6, UDP), checking every length and the IPv4
/// header checksum on the way, so a test can compare what crossed the network with a report.
public struct CaptureFileReader {
    public struct FileHeader: Equatable, Sendable {
        public var magic: UInt32
        public var versionMajor: UInt16
        public var versionMinor: UInt16
        public var snapshotLength: UInt32
        public var linkType: UInt32

        public init(magic: UInt32, versionMajor: UInt16, versionMinor: UInt16, snapshotLength: UInt32, linkType: UInt32) {
            self.magic = magic
            self.versionMajor = versionMajor
            self.versionMinor = versionMinor
            self.snapshotLength = snapshotLength
            self.linkType = linkType
        }
    }

    /// One record, decoded down to the UDP payload.
    public struct Datagram: Sendable {
        public var nanosecondsSinceEpoch: Int64
        public var capturedLength: Int
        public var originalLength: Int
        /// `sll.pkttype`: 0 received, 1 received broadcast, 4 sent.
        public var packetType: UInt8
        public var interface: UInt32
        public var source: RoomAddress
        public var destination: RoomAddress
        /// IPv4 only: the header's total length, identification and whether its checksum verifies.
        public var ipTotalLength: Int?
        public var ipIdentification: UInt16?
        public var ipHeaderChecksumValid: Bool?
        public var udpLength: Int
        public var udpChecksum: UInt16
        public var payload: [UInt8]

        public var isSent: Bool { packetType == 4 }
    }

    public struct Malformed: Error, CustomStringConvertible {
        public var description: String
    }

    public let header: FileHeader
    public let datagrams: [Datagram]

    public init(path: String) throws {
        try self.init(bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    public init(bytes: [UInt8]) throws {
        var reader = Reader(bytes: bytes)
        header = FileHeader(
            magic: try reader.little32(), versionMajor: try reader.little16(), versionMinor: try reader.little16(),
            snapshotLength: try { _ = try reader.take(8); return try reader.little32() }(), linkType: try reader.little32())
        guard header.magic == 0xA1B2_3C4D else { throw Malformed(description: "magic \(String(header.magic, radix: 16))") }
        var datagrams: [Datagram] = []
        while reader.remaining > 0 {
            let seconds = try reader.little32()
            let nanoseconds = try reader.little32()
            let captured = Int(try reader.little32())
            let original = Int(try reader.little32())
            guard captured <= header.snapshotLength, captured <= original else {
                throw Malformed(description: "record \(datagrams.count): captured \(captured), original \(original)")
            }
            var datagram = try Self.decode(try reader.take(captured), record: datagrams.count)
            datagram.nanosecondsSinceEpoch = Int64(seconds) * 1_000_000_000 + Int64(nanoseconds)
            datagram.capturedLength = captured
            datagram.originalLength = original
            datagrams.append(datagram)
        }
        self.datagrams = datagrams
    }

    private static func decode(_ bytes: [UInt8], record: Int) throws -> Datagram {
        func fail(_ what: String) -> Malformed { Malformed(description: "record \(record): \(what)") }
        var r = Reader(bytes: bytes)
        let protocolType = try r.big16()
        _ = try r.take(2)
        let interface = try r.big32()
        _ = try r.take(2)
        let packetType = try r.take(1)[0]
        _ = try r.take(9)
        let source: RoomAddress.Host, destination: RoomAddress.Host
        var total: Int?, identification: UInt16?, checksumValid: Bool?
        switch protocolType {
        case 0x0800:
            let ip = try r.take(20)
            guard ip[0] == 0x45, ip[9] == 17 else { throw fail("not IPv4/UDP without options") }
            total = Int(ip[2]) << 8 | Int(ip[3])
            identification = UInt16(ip[4]) << 8 | UInt16(ip[5])
            var sum = 0
            for i in stride(from: 0, to: 20, by: 2) { sum += Int(ip[i]) << 8 | Int(ip[i + 1]) }
            while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
            checksumValid = sum == 0xFFFF
            source = .ipv4(ip[12..<16].reduce(0) { $0 << 8 | UInt32($1) })
            destination = .ipv4(ip[16..<20].reduce(0) { $0 << 8 | UInt32($1) })
        case 0x86DD:
            let ip = try r.take(40)
            guard ip[0] >> 4 == 6, ip[6] == 17 else { throw fail("not IPv6/UDP") }
            source = .ipv6(Array(ip[8..<24]))
            destination = .ipv6(Array(ip[24..<40]))
        default:
            throw fail("protocol type \(String(protocolType, radix: 16))")
        }
        let sourcePort = try r.big16()
        let destinationPort = try r.big16()
        let udpLength = Int(try r.big16())
        let udpChecksum = try r.big16()
        return Datagram(
            nanosecondsSinceEpoch: 0, capturedLength: 0, originalLength: 0, packetType: packetType, interface: interface,
            source: RoomAddress(host: source, port: sourcePort), destination: RoomAddress(host: destination, port: destinationPort),
            ipTotalLength: total, ipIdentification: identification, ipHeaderChecksumValid: checksumValid,
            udpLength: udpLength, udpChecksum: udpChecksum, payload: try r.take(r.remaining))
    }

    private struct Reader {
        let bytes: [UInt8]
        var offset = 0
        var remaining: Int { bytes.count - offset }

        mutating func take(_ n: Int) throws -> [UInt8] {
            guard n >= 0, n <= remaining else { throw Malformed(description: "truncated at byte \(offset)") }
            defer { offset += n }
            return Array(bytes[offset..<(offset + n)])
        }

        mutating func little16() throws -> UInt16 { let b = try take(2); return UInt16(b[0]) | UInt16(b[1]) << 8 }
        mutating func little32() throws -> UInt32 { let b = try take(4); return b.reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        mutating func big16() throws -> UInt16 { let b = try take(2); return UInt16(b[0]) << 8 | UInt16(b[1]) }
        mutating func big32() throws -> UInt32 { try take(4).reduce(0) { $0 << 8 | UInt32($1) } }
    }
}
