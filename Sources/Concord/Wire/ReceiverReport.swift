/// Receiver report format, version 1 (packet type 5): what a listener tells a talker about the
/// talker's voice as it arrives, about once a second, in the spirit of RTCP's receiver report
/// (RFC 3550 §6.4.2) and its extended VoIP metrics (RFC 3611 §4.7). All integers big-endian.
///
/// ```
///  0       version (1)
///  1       packet type (5 = receiver report)
///  2       flags: 0x01 stream block present, 0x02 echo present, 0x80 sealed;
///                 other bits reserved (must be 0)
///  3       reserved (0)
///  4..7    reporter: the listener's voice id
///  8..11   addressee: the talker's voice id
///  -- clear header ends here (associated data when sealed) --
///  12..15  sent at: the reporter's clock when it sent this report, in 1/65 536 s (RTCP's
///          compact NTP unit; wraps every 18.2 hours)
///  16..19  echo: the `sent at` of the last report the reporter received from the addressee
///  20..23  echo delay: between receiving that report and sending this one, 1/65 536 s
///          (both 0 without the echo flag)
///  stream block (with its flag), about the addressee's voice as the reporter hears it:
///  24..27  extended highest sequence number received (cycles << 16 | sequence)
///  28..31  cumulative packets lost (expected − received, 0 when more arrived than expected)
///  32      fraction lost since the previous report, /256 (RFC 3550)
///  33      discarded fraction since the previous report, /256: arrived too late to play
///  34      burst density, /256 (RFC 3611: loss density inside bursts)
///  35      gap density, /256 (loss density between bursts)
///  36..37  mean burst duration, ms
///  38..39  mean gap duration, ms (saturates at 65 535)
///  40..43  interarrival jitter, 48 kHz samples (RFC 3550 §6.4.1)
///  44..45  mean playout delay since the previous report, ms (jitter buffer delay)
///  46..47  target delay, ms
///  48..49  concealed share of the voiced samples played since the previous report, /65 536
///  50..51  queueing delay, ms: the mean transit of the packets since the previous report less
///          the least transit of the last 30 s (`QueueingDelay`; one way, talker → reporter);
///          65 535 when no packet arrived since the previous report
/// ```
/// A report is exactly 24 bytes, or 52 with the stream block: anything else is malformed.
/// Sealed (under the pair session), the first 12 bytes stay in clear with the sealed flag set.
public struct ReceiverReport: Equatable, Sendable {
    public static let version: UInt8 = 1
    public static let headerLength = 12
    public static let lengthWithoutStream = 24
    public static let streamBlockLength = 28

    public struct Flags: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let stream = Flags(rawValue: 0x01)
        public static let echo = Flags(rawValue: 0x02)
        public static let sealed = Flags(rawValue: 0x80)
        static let defined: Flags = [.stream, .echo, .sealed]
    }

    /// The talker's last report, echoed so that it can measure the round trip (RFC 3550's LSR
    /// and DLSR): round trip = arrival − `sentAt` − `delay`, on the talker's own clock.
    public struct Echo: Equatable, Sendable {
        public var sentAt: UInt32
        /// In report clock units (1/65 536 s).
        public var delay: UInt32
        public init(sentAt: UInt32, delay: UInt32) {
            self.sentAt = sentAt
            self.delay = delay
        }
    }

    /// How the addressee's voice arrives at the reporter. Fractions are in the units the wire
    /// carries (/256, /65 536); the computed properties give them as shares of 1.
    public struct Stream: Equatable, Sendable {
        public var highestSequence: UInt32
        public var cumulativeLost: UInt32
        public var fractionLost: UInt8
        public var fractionDiscarded: UInt8
        public var burstDensity: UInt8
        public var gapDensity: UInt8
        public var burstDurationMilliseconds: UInt16
        public var gapDurationMilliseconds: UInt16
        public var interarrivalJitter: UInt32
        public var playoutDelayMilliseconds: UInt16
        public var targetDelayMilliseconds: UInt16
        public var concealedFraction: UInt16
        /// Ms; `unknownQueueingDelay` when nothing arrived (see `queueingMilliseconds`).
        public var queueingDelay: UInt16

        public init(
            highestSequence: UInt32 = 0, cumulativeLost: UInt32 = 0, fractionLost: UInt8 = 0, fractionDiscarded: UInt8 = 0,
            burstDensity: UInt8 = 0, gapDensity: UInt8 = 0, burstDurationMilliseconds: UInt16 = 0,
            gapDurationMilliseconds: UInt16 = 0, interarrivalJitter: UInt32 = 0, playoutDelayMilliseconds: UInt16 = 0,
            targetDelayMilliseconds: UInt16 = 0, concealedFraction: UInt16 = 0,
            queueingDelay: UInt16 = unknownQueueingDelay
        ) {
            self.highestSequence = highestSequence
            self.cumulativeLost = cumulativeLost
            self.fractionLost = fractionLost
            self.fractionDiscarded = fractionDiscarded
            self.burstDensity = burstDensity
            self.gapDensity = gapDensity
            self.burstDurationMilliseconds = burstDurationMilliseconds
            self.gapDurationMilliseconds = gapDurationMilliseconds
            self.interarrivalJitter = interarrivalJitter
            self.playoutDelayMilliseconds = playoutDelayMilliseconds
            self.targetDelayMilliseconds = targetDelayMilliseconds
            self.concealedFraction = concealedFraction
            self.queueingDelay = queueingDelay
        }

        public static let unknownQueueingDelay = UInt16.max
        /// The one-way queueing delay, ms; nil when no packet arrived since the previous report.
        public var queueingMilliseconds: Double? {
            queueingDelay == Self.unknownQueueingDelay ? nil : Double(queueingDelay)
        }
        /// A measured delay as the wire carries it (saturating below the "unknown" value).
        public static func queueingDelayField(_ milliseconds: Double?) -> UInt16 {
            guard let milliseconds else { return unknownQueueingDelay }
            return min(unknownQueueingDelay - 1, saturating16(milliseconds))
        }

        public var lossShare: Double { Double(fractionLost) / 256 }
        public var discardShare: Double { Double(fractionDiscarded) / 256 }
        public var concealedShare: Double { Double(concealedFraction) / 65_536 }
        public var jitterMilliseconds: Double { Double(interarrivalJitter) / 48 }

        /// A share of 1 in /256 units, rounded, saturating (the wire's fraction fields).
        public static func per256(_ share: Double) -> UInt8 {
            guard share.isFinite, share > 0 else { return 0 }
            return UInt8(min(255, (share * 256).rounded()))
        }

        /// A share of 1 in /65 536 units, rounded, saturating.
        public static func per65536(_ share: Double) -> UInt16 {
            guard share.isFinite, share > 0 else { return 0 }
            return UInt16(min(65_535, (share * 65_536).rounded()))
        }

        /// A non-negative figure as a UInt16, rounded, saturating.
        public static func saturating16(_ value: Double) -> UInt16 {
            guard value.isFinite, value > 0 else { return 0 }
            return UInt16(min(65_535, value.rounded()))
        }
    }

    public var reporter: UInt32
    public var addressee: UInt32
    public var sentAt: UInt32
    public var echo: Echo?
    public var stream: Stream?

    public init(reporter: UInt32, addressee: UInt32, sentAt: UInt32, echo: Echo? = nil, stream: Stream? = nil) {
        self.reporter = reporter
        self.addressee = addressee
        self.sentAt = sentAt
        self.echo = echo
        self.stream = stream
    }

    public var flags: Flags {
        var flags: Flags = []
        if stream != nil { flags.insert(.stream) }
        if echo != nil { flags.insert(.echo) }
        return flags
    }

    public func serialize() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.lengthWithoutStream + Self.streamBlockLength)
        out.append(Self.version)
        out.append(PacketType.receiverReport.rawValue)
        out.append(flags.rawValue)
        out.append(0)
        out.appendBigEndian(reporter)
        out.appendBigEndian(addressee)
        out.appendBigEndian(sentAt)
        out.appendBigEndian(echo?.sentAt ?? 0)
        out.appendBigEndian(echo?.delay ?? 0)
        if let s = stream {
            out.appendBigEndian(s.highestSequence)
            out.appendBigEndian(s.cumulativeLost)
            out.append(s.fractionLost)
            out.append(s.fractionDiscarded)
            out.append(s.burstDensity)
            out.append(s.gapDensity)
            out.appendBigEndian(s.burstDurationMilliseconds)
            out.appendBigEndian(s.gapDurationMilliseconds)
            out.appendBigEndian(s.interarrivalJitter)
            out.appendBigEndian(s.playoutDelayMilliseconds)
            out.appendBigEndian(s.targetDelayMilliseconds)
            out.appendBigEndian(s.concealedFraction)
            out.appendBigEndian(s.queueingDelay)
        }
        return out
    }

    /// Parses any byte string into a report or a `WireError`; never traps.
    public static func parse(_ bytes: [UInt8]) throws(WireError) -> ReceiverReport {
        var reader = ByteReader(bytes)
        let version = try reader.readUInt8("version")
        guard version == Self.version else { throw .unsupportedVersion(version) }
        let type = try reader.readUInt8("packet type")
        guard type == PacketType.receiverReport.rawValue else { throw .unexpectedPacketType(type) }
        let flags = Flags(rawValue: try reader.readUInt8("flags"))
        guard flags.isSubset(of: .defined) else { throw .reservedFlags(flags.subtracting(.defined).rawValue) }
        guard !flags.contains(.sealed) else { throw .sealed }
        guard try reader.readUInt8("reserved") == 0 else { throw .invalidField(field: "reserved", reason: "must be 0") }
        let expected = Self.lengthWithoutStream + (flags.contains(.stream) ? Self.streamBlockLength : 0)
        guard bytes.count <= expected else {
            throw .invalidField(field: "length", reason: "\(bytes.count) bytes where the flags give \(expected)")
        }
        let reporter = try reader.readUInt32("reporter")
        let addressee = try reader.readUInt32("addressee")
        let sentAt = try reader.readUInt32("sent at")
        let echoSentAt = try reader.readUInt32("echo")
        let echoDelay = try reader.readUInt32("echo delay")
        let echo: Echo?
        if flags.contains(.echo) {
            echo = Echo(sentAt: echoSentAt, delay: echoDelay)
        } else {
            guard echoSentAt == 0 && echoDelay == 0 else {
                throw .invalidField(field: "echo", reason: "must be 0 without the echo flag")
            }
            echo = nil
        }
        var stream: Stream?
        if flags.contains(.stream) {
            stream = Stream(
                highestSequence: try reader.readUInt32("highest sequence"),
                cumulativeLost: try reader.readUInt32("cumulative lost"),
                fractionLost: try reader.readUInt8("fraction lost"),
                fractionDiscarded: try reader.readUInt8("fraction discarded"),
                burstDensity: try reader.readUInt8("burst density"),
                gapDensity: try reader.readUInt8("gap density"),
                burstDurationMilliseconds: try reader.readUInt16("burst duration"),
                gapDurationMilliseconds: try reader.readUInt16("gap duration"),
                interarrivalJitter: try reader.readUInt32("interarrival jitter"),
                playoutDelayMilliseconds: try reader.readUInt16("playout delay"),
                targetDelayMilliseconds: try reader.readUInt16("target delay"),
                concealedFraction: try reader.readUInt16("concealed fraction"),
                queueingDelay: try reader.readUInt16("queueing delay"))
        }
        return ReceiverReport(reporter: reporter, addressee: addressee, sentAt: sentAt, echo: echo, stream: stream)
    }
}
