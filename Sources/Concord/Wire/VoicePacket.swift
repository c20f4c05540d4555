/// Voice packet format, version 1. All integers big-endian.
///
/// ```
///  0       version (1)
///  1       packet type (1 = voice)
///  2       flags: 0x01 FEC present, 0x02 DTX (last packet before silence),
///                 0x04 start of talk-spurt, 0x80 sealed; other bits reserved (must be 0)
///  3       bits 0–3: C = number of redundant copies (0...8);
///          bits 4–7: B = number of bundled frames (0...5)
///  4..7    sender id
///  8..9    sequence number: +1 per packet *sent* (wraps), so a gap means loss, not DTX
///  10..13  media timestamp of the primary frame, in 48 kHz samples (wraps)
///  14..    C + B block headers, copies first: timestamp offset back from the primary
///          (UInt16 samples, > 0), block length (UInt16)
///  ...     C redundant Opus frames, then B bundled frames, each group oldest first, then the
///          primary Opus frame (rest of packet)
/// ```
/// Redundant blocks follow RFC 2198 (RED): earlier frames repeated in a later packet. Bundled
/// blocks are this packet's own earlier frames, sent for the first time: a packet of 40 ms
/// carries one and its primary, a packet of 60 ms two. Longer packets pay the 70 bytes of
/// IP, UDP, header and seal less often (`RateBudget`); each frame stays a 20 ms Opus frame, so
/// the receiver's decoder and buffer keep their frame. A version-1 receiver that predates
/// bundling rejects such a packet as an invalid block count (B = 0 is the old format).
///
/// Sealed (`PacketSealer`, under a pair session), the 14-byte header stays in clear as associated
/// data with the sealed flag set, and everything after it is replaced by ciphertext and tag;
/// `parse` refuses a sealed packet and `Header.parse` still reads its header.
public struct VoicePacket: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let headerLength = 14
    public static let maxRedundantBlocks = 8
    /// Frames before the primary in one packet: 120 ms in all, Opus's longest packet.
    public static let maxBundledFrames = 5

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The primary frame carries Opus in-band FEC for the previous frame.
        public static let fec = Flags(rawValue: 0x01)
        /// The sender goes silent after this packet (Opus DTX): the gap that follows is not loss.
        public static let dtx = Flags(rawValue: 0x02)
        /// First packet after silence (RTP's marker bit): the receiver may re-align playout here.
        public static let talkspurtStart = Flags(rawValue: 0x04)
        /// The bytes after the header are ciphertext.
        public static let sealed = Flags(rawValue: 0x80)
        static let defined: Flags = [.fec, .dtx, .talkspurtStart, .sealed]
    }

    /// The fixed part of every voice packet; all of it is authenticated when sealed.
    public struct Header: Equatable, Sendable {
        public var flags: Flags
        public var redundantBlockCount: Int
        public var bundledFrameCount: Int
        public var senderID: UInt32
        public var sequenceNumber: UInt16
        public var timestamp: UInt32

        public init(
            flags: Flags, redundantBlockCount: Int, bundledFrameCount: Int = 0, senderID: UInt32,
            sequenceNumber: UInt16, timestamp: UInt32
        ) {
            self.flags = flags
            self.redundantBlockCount = redundantBlockCount
            self.bundledFrameCount = bundledFrameCount
            self.senderID = senderID
            self.sequenceNumber = sequenceNumber
            self.timestamp = timestamp
        }

        public static func parse(_ bytes: [UInt8]) throws(WireError) -> Header {
            var reader = ByteReader(bytes)
            return try parse(&reader)
        }

        static func parse(_ reader: inout ByteReader) throws(WireError) -> Header {
            let version = try reader.readUInt8("version")
            guard version == VoicePacket.version else { throw .unsupportedVersion(version) }
            let type = try reader.readUInt8("packet type")
            guard type == PacketType.voice.rawValue else { throw .unexpectedPacketType(type) }
            let flags = Flags(rawValue: try reader.readUInt8("flags"))
            guard flags.isSubset(of: .defined) else { throw .reservedFlags(flags.subtracting(.defined).rawValue) }
            let counts = try reader.readUInt8("block counts")
            let count = Int(counts & 0x0F)
            guard count <= VoicePacket.maxRedundantBlocks else {
                throw .invalidField(
                    field: "redundant block count", reason: "\(count) exceeds \(VoicePacket.maxRedundantBlocks)")
            }
            let bundled = Int(counts >> 4)
            guard bundled <= VoicePacket.maxBundledFrames else {
                throw .invalidField(
                    field: "bundled frame count", reason: "\(bundled) exceeds \(VoicePacket.maxBundledFrames)")
            }
            return Header(
                flags: flags, redundantBlockCount: count, bundledFrameCount: bundled,
                senderID: try reader.readUInt32("sender id"),
                sequenceNumber: try reader.readUInt16("sequence number"),
                timestamp: try reader.readUInt32("timestamp"))
        }

        func serialize(into out: inout [UInt8]) {
            out.append(VoicePacket.version)
            out.append(PacketType.voice.rawValue)
            out.append(flags.rawValue)
            out.append(UInt8(bundledFrameCount << 4 | redundantBlockCount))
            out.appendBigEndian(senderID)
            out.appendBigEndian(sequenceNumber)
            out.appendBigEndian(timestamp)
        }
    }

    /// An earlier frame: repeated for loss recovery (`redundancy`), or one of this packet's own
    /// (`bundledFrames`).
    public struct RedundantFrame: Equatable, Sendable {
        /// How many samples before the primary frame's timestamp this frame starts (> 0).
        public var timestampOffset: UInt16
        public var payload: [UInt8]
        public init(timestampOffset: UInt16, payload: [UInt8]) {
            self.timestampOffset = timestampOffset
            self.payload = payload
        }
    }

    public var senderID: UInt32
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var flags: Flags
    /// Copies of frames sent before, oldest first.
    public var redundancy: [RedundantFrame]
    /// This packet's frames before the primary, oldest first.
    public var bundledFrames: [RedundantFrame]
    /// The primary Opus frame: the packet's newest.
    public var payload: [UInt8]

    public init(
        senderID: UInt32, sequenceNumber: UInt16, timestamp: UInt32, flags: Flags = [],
        redundancy: [RedundantFrame] = [], bundledFrames: [RedundantFrame] = [], payload: [UInt8]
    ) {
        self.senderID = senderID
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.flags = flags
        self.redundancy = redundancy
        self.bundledFrames = bundledFrames
        self.payload = payload
    }

    public var header: Header {
        Header(
            flags: flags, redundantBlockCount: redundancy.count, bundledFrameCount: bundledFrames.count,
            senderID: senderID, sequenceNumber: sequenceNumber, timestamp: timestamp)
    }

    /// The packet's own frames, primary included: a packet's duration in frames.
    public var frameCount: Int { bundledFrames.count + 1 }

    /// The packet's bytes. Precondition (programmer error, not input): at most
    /// `maxRedundantBlocks` copies and `maxBundledFrames` bundled frames, each shorter than
    /// 64 KiB with a non-zero offset.
    public func serialize() -> [UInt8] {
        precondition(redundancy.count <= Self.maxRedundantBlocks, "too many redundant blocks")
        precondition(bundledFrames.count <= Self.maxBundledFrames, "too many bundled frames")
        var out: [UInt8] = []
        let blocks = redundancy + bundledFrames
        out.reserveCapacity(Self.headerLength + 4 * blocks.count + payload.count + blocks.reduce(0) { $0 + $1.payload.count })
        header.serialize(into: &out)
        for block in blocks {
            precondition(block.timestampOffset > 0 && block.payload.count <= Int(UInt16.max), "invalid block")
            out.appendBigEndian(block.timestampOffset)
            out.appendBigEndian(UInt16(block.payload.count))
        }
        for block in blocks { out.append(contentsOf: block.payload) }
        out.append(contentsOf: payload)
        return out
    }

    /// Parses any byte string into a packet or a `WireError`; never traps.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> VoicePacket {
        var reader = ByteReader(bytes)
        let header = try Header.parse(&reader)
        guard !header.flags.contains(.sealed) else { throw .sealed }
        let blockCount = header.redundantBlockCount + header.bundledFrameCount
        var blocks: [(offset: UInt16, length: Int)] = []
        blocks.reserveCapacity(blockCount)
        for _ in 0..<blockCount {
            let offset = try reader.readUInt16("redundant block offset")
            guard offset > 0 else {
                throw .invalidField(field: "redundant block offset", reason: "must be > 0")
            }
            blocks.append((offset, Int(try reader.readUInt16("redundant block length"))))
        }
        var frames: [RedundantFrame] = []
        frames.reserveCapacity(blocks.count)
        for block in blocks {
            frames.append(
                RedundantFrame(
                    timestampOffset: block.offset, payload: try reader.readBytes(block.length, "redundant block")))
        }
        let payload = reader.readRest()
        guard !payload.isEmpty else {
            throw .invalidField(field: "primary payload", reason: "empty")
        }
        return VoicePacket(
            senderID: header.senderID, sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
            flags: header.flags, redundancy: Array(frames[..<header.redundantBlockCount]),
            bundledFrames: Array(frames[header.redundantBlockCount...]), payload: payload)
    }
}
