import Concord
import ConcordTesting
import Foundation
import PacketCapture
import Testing

/// The capture file's format, read back byte by byte: the pcap header, each record's lengths and
/// timestamp, the cooked header's direction, the IPv4 header's lengths and checksum, the UDP
/// header's ports, length and checksum.
@Suite struct PacketCaptureFileTests {
    static func scratch(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("concord-pcap-\(UUID().uuidString)-\(name)").path
    }

    static let alice = RoomAddress.ipv4(0x0A93_1102, port: 9_993)  // 10.147.17.2
    static let bob = RoomAddress.ipv4(0x0A93_1103, port: 9_993)
    static let subnetBroadcast = RoomAddress.ipv4(0x0A93_11FF, port: 9_993)

    @Test func headerAndRecordsReadBack() throws {
        let path = Self.scratch("basic.pcap")
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        let payload = (0..<101).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        file.record(payload, from: Self.alice, to: Self.bob, direction: .sent, interface: 1, nanosecondsSinceEpoch: 1_500_000_000)
        file.record(payload, from: Self.alice, to: Self.bob, direction: .received, interface: 2, nanosecondsSinceEpoch: 1_503_250_000)
        file.record([1, 2, 3], from: Self.bob, to: Self.subnetBroadcast, direction: .receivedBroadcast, interface: 1, nanosecondsSinceEpoch: 2_000_000_000)
        file.record([], from: Self.bob, to: Self.alice, direction: .sent, interface: 2, nanosecondsSinceEpoch: 3_999_999_999)
        try file.close()
        #expect(file.recordCount == 4)
        #expect(file.cutDatagrams == 0)

        let capture = try CaptureFileReader(path: path)
        #expect(capture.header == .init(magic: 0xA1B2_3C4D, versionMajor: 2, versionMinor: 4, snapshotLength: 65_595, linkType: 276))
        #expect(capture.datagrams.count == 4)
        let d = capture.datagrams
        #expect(d.map(\.nanosecondsSinceEpoch) == [1_500_000_000, 1_503_250_000, 2_000_000_000, 3_999_999_999])
        #expect(d.map(\.packetType) == [4, 0, 1, 4])
        #expect(d.map(\.interface) == [1, 2, 1, 2])
        #expect(d.map(\.payload.count) == [101, 101, 3, 0])
        #expect(d[0].payload == payload)
        for datagram in d {
            // Cooked header 20, IPv4 20, UDP 8.
            #expect(datagram.capturedLength == 48 + datagram.payload.count)
            #expect(datagram.originalLength == datagram.capturedLength)
            #expect(datagram.ipTotalLength == 28 + datagram.payload.count)
            #expect(datagram.udpLength == 8 + datagram.payload.count)
            #expect(datagram.ipHeaderChecksumValid == true)
            #expect(Self.udpChecksumVerifies(datagram))
        }
        #expect(d[2].destination == Self.subnetBroadcast)
        #expect(d[3].source == Self.bob && d[3].destination == Self.alice)
        // The same datagram has the same IPv4 id at both ends; another one (almost surely) not.
        #expect(d[0].ipIdentification == d[1].ipIdentification)
        #expect(d[0].ipIdentification != d[2].ipIdentification)
    }

    /// A known IPv4 header: the checksum is the one RFC 1071's sum gives for these exact bytes
    /// (computed by hand: 0x4500 + 0x0020 + … folded and inverted).
    @Test func ipv4HeaderBytesAreExact() throws {
        let path = Self.scratch("exact.pcap")
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        file.record([0xAB, 0xCD, 0xEF, 0x01], from: Self.alice, to: Self.bob, direction: .sent, interface: 1, nanosecondsSinceEpoch: 0)
        try file.close()
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let ip = Array(bytes[(24 + 16 + 20)..<(24 + 16 + 40)])
        let id = UInt16(ip[4]) << 8 | UInt16(ip[5])
        // 0x4500 + 0x0020 + id + 0 + 0x4011 + 0 + 0x0A93 + 0x1102 + 0x0A93 + 0x1103, folded, inverted.
        var sum = 0x4500 + 0x0020 + Int(id) + 0x4011 + 0x0A93 + 0x1102 + 0x0A93 + 0x1103
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        let expected = UInt16(~sum & 0xFFFF)
        #expect(Array(ip[0..<4]) == [0x45, 0x00, 0x00, 0x20])
        #expect(Array(ip[6..<10]) == [0x00, 0x00, 64, 17])
        #expect(UInt16(ip[10]) << 8 | UInt16(ip[11]) == expected)
        #expect(Array(ip[12..<20]) == [10, 147, 17, 2, 10, 147, 17, 3])
    }

    @Test func ipv6AndMixedFamiliesAreIPv6() throws {
        let path = Self.scratch("v6.pcap")
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        let v6 = RoomAddress(host: .ipv6([0xFD, 0] + [UInt8](repeating: 0, count: 13) + [1]), port: 7_400)
        file.record([9, 9, 9], from: v6, to: Self.alice, direction: .sent, interface: 0, nanosecondsSinceEpoch: 5)
        try file.close()
        let capture = try CaptureFileReader(path: path)
        let d = try #require(capture.datagrams.first)
        #expect(d.ipTotalLength == nil)
        #expect(d.source == v6)
        // 10.147.17.2 as ::ffff:10.147.17.2.
        #expect(d.destination.host == .ipv6([UInt8](repeating: 0, count: 10) + [0xFF, 0xFF, 10, 147, 17, 2]))
        #expect(d.capturedLength == 20 + 40 + 8 + 3)
        #expect(d.udpLength == 11)
        #expect(Self.udpChecksumVerifies(d))
    }

    /// Any size is recorded: up to the largest IPv4 UDP payload whole, beyond it cut to that
    /// with the original length kept; never a trap, never a record over the snapshot length.
    @Test(arguments: [0, 1, 1_400, 65_507, 65_508, 70_000, 200_000])
    func anyDatagramSizeIsRecorded(size: Int) throws {
        let path = Self.scratch("size-\(size).pcap")
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        file.record([UInt8](repeating: 0x5A, count: size), from: Self.alice, to: Self.bob, direction: .sent, interface: 1, nanosecondsSinceEpoch: 1)
        try file.close()
        let capture = try CaptureFileReader(path: path)
        let d = try #require(capture.datagrams.first)
        let kept = min(size, 65_507)
        #expect(d.payload.count == kept)
        #expect(d.capturedLength == 48 + kept)
        #expect(d.originalLength == 48 + size)
        #expect(d.ipTotalLength == 28 + kept)
        #expect(d.ipHeaderChecksumValid == true)
        #expect(file.cutDatagrams == (size > 65_507 ? 1 : 0))
        #expect(UInt32(d.capturedLength) <= capture.header.snapshotLength)
    }

    /// A `RoomAddress.ipv6` built with the wrong number of bytes (a caller's mistake) is written
    /// as 16 bytes, cut or padded with zeros, not trapped on.
    @Test(arguments: [0, 3, 16, 20])
    func ipv6HostsOfAnyByteCountAreSixteenBytes(count: Int) throws {
        let path = Self.scratch("v6-\(count).pcap")
        defer { unlink(path) }
        let file = try PacketCaptureFile(path: path)
        let host = RoomAddress(host: .ipv6((0..<count).map { UInt8($0 + 1) }), port: 1)
        file.record([1], from: host, to: host, direction: .sent, interface: 0, nanosecondsSinceEpoch: 0)
        try file.close()
        let d = try #require(try CaptureFileReader(path: path).datagrams.first)
        let expected = Array(((0..<count).map { UInt8($0 + 1) } + [UInt8](repeating: 0, count: 16)).prefix(16))
        #expect(d.source.host == .ipv6(expected))
        #expect(Self.udpChecksumVerifies(d))
    }

    @Test func anUnwritablePathIsAPlainError() {
        #expect(throws: PacketCaptureError(path: "/nonexistent-dir/x.pcap", reason: "No such file or directory")) {
            try PacketCaptureFile(path: "/nonexistent-dir/x.pcap")
        }
    }

    /// RFC 768: the ones' complement sum over the pseudo-header, the UDP header and the payload
    /// is all ones.
    static func udpChecksumVerifies(_ d: CaptureFileReader.Datagram) -> Bool {
        var words: [UInt8] = []
        func bytes(_ host: RoomAddress.Host) -> [UInt8] {
            switch host {
            case .ipv4(let v): return [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
            case .ipv6(let b): return b
            }
        }
        words += bytes(d.source.host) + bytes(d.destination.host)
        let length = d.udpLength
        if case .ipv4 = d.source.host {
            words += [0, 17, UInt8(length >> 8), UInt8(length & 0xFF)]
        } else {
            words += [0, 0, UInt8(length >> 8), UInt8(length & 0xFF), 0, 0, 0, 17]
        }
        let checksum = d.udpChecksum
        words += [UInt8(d.source.port >> 8), UInt8(d.source.port & 0xFF), UInt8(d.destination.port >> 8), UInt8(d.destination.port & 0xFF)]
        words += [UInt8(length >> 8), UInt8(length & 0xFF), UInt8(checksum >> 8), UInt8(checksum & 0xFF)]
        words += d.payload
        if words.count % 2 == 1 { words.append(0) }
        var sum = 0
        for i in stride(from: 0, to: words.count, by: 2) { sum += Int(words[i]) << 8 | Int(words[i + 1]) }
        while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
        return sum == 0xFFFF && checksum != 0
    }
}
