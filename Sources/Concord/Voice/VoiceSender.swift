/// Turns captured frames into voice packets: encode, then packetize with sequence number,
/// media timestamp, flags and optional RFC 2198-style redundancy.
///
/// The media timestamp advances by one frame per captured frame, sent or not; the sequence
/// number advances per packet *sent*, so receivers tell a DTX pause (timestamp jump, no
/// sequence gap) from loss (sequence gap).
public final class VoiceSender {
    public let senderID: PeerID
    public let encoder: OpusEncoder
    /// Earlier frames repeated in each packet (0 = no redundancy).
    public let redundantFrames: Int
    /// Told around each encode (CPU accounting in the benchmark).
    public weak var codecObserver: CodecObserver?

    public struct Statistics: Sendable, Equatable, Codable {
        public var framesEncoded = 0
        public var packetsSent = 0
        /// Frames Opus judged silent and which were not sent (DTX).
        public var framesSuppressed = 0
        /// Voice packet bytes (header + payload), before any transport overhead.
        public var bytesSent = 0
        public var payloadBytesSent = 0
    }
    public private(set) var statistics = Statistics()

    private var sequenceNumber: UInt16
    private var timestamp: UInt32
    private var previousFrameSent = false
    private var history: [(timestamp: UInt32, payload: [UInt8])] = []

    public init(
        senderID: PeerID, settings: OpusSettings, redundantFrames: Int = 0, initialSequenceNumber: UInt16 = 0,
        initialTimestamp: UInt32 = 0
    ) throws(CodecError) {
        guard (0...VoicePacket.maxRedundantBlocks).contains(redundantFrames) else {
            throw .invalidSetting(
                name: "redundantFrames", value: "\(redundantFrames)", allowed: "0...\(VoicePacket.maxRedundantBlocks)")
        }
        self.senderID = senderID
        self.encoder = try OpusEncoder(settings: settings)
        self.redundantFrames = redundantFrames
        self.sequenceNumber = initialSequenceNumber
        self.timestamp = initialTimestamp
    }

    public var frameSamples: Int { encoder.settings.frameSamples }

    /// The media timestamp the next captured frame will carry.
    public var nextTimestamp: UInt32 { timestamp }

    /// Encodes one captured frame; returns the packet to send, or nil when DTX suppresses it.
    public func packetize(_ frame: [Float]) throws(CodecError) -> VoicePacket? {
        let token = codecObserver?.codecWillRun()
        defer { if let token { codecObserver?.codecDidRun(token) } }
        let payload = try encoder.encode(frame)
        statistics.framesEncoded += 1
        let frameTimestamp = timestamp
        timestamp &+= UInt32(frameSamples)

        // Under DTX, a frame is silent when Opus made it a 1–2 byte packet or a comfort-noise
        // update. The first silent frame after speech is sent with the DTX flag (so the
        // receiver knows the gap that follows is silence); a comfort-noise update is sent with
        // the flag too, so losing the next marker does not look like loss; the rest are not sent.
        let silent = encoder.settings.dtx && (OpusEncoder.isDTXPacket(payload) || encoder.isInDTX)
        if silent && !previousFrameSent && OpusEncoder.isDTXPacket(payload) {
            statistics.framesSuppressed += 1
            history.removeAll(keepingCapacity: true)
            return nil
        }
        var flags: VoicePacket.Flags = []
        if !previousFrameSent { flags.insert(.talkspurtStart) }
        if silent { flags.insert(.dtx) }
        if encoder.settings.inbandFEC && encoder.settings.expectedLossPercent > 0 && !silent { flags.insert(.fec) }
        previousFrameSent = !silent

        let redundancy = history.map {
            VoicePacket.RedundantFrame(timestampOffset: UInt16(truncatingIfNeeded: frameTimestamp &- $0.timestamp), payload: $0.payload)
        }
        if redundantFrames > 0 {
            if silent {
                history.removeAll(keepingCapacity: true)
            } else {
                history.append((frameTimestamp, payload))
                if history.count > redundantFrames { history.removeFirst() }
            }
        }
        let packet = VoicePacket(
            senderID: senderID, sequenceNumber: sequenceNumber, timestamp: frameTimestamp, flags: flags,
            redundancy: redundancy, payload: payload)
        sequenceNumber &+= 1
        statistics.packetsSent += 1
        statistics.payloadBytesSent += payload.count
        return packet
    }

    /// Lets one frame of media time pass without sending (muted, or nobody to send to): the
    /// next packet starts a talk-spurt, and receivers see a pause rather than loss.
    public func skipFrame() {
        timestamp &+= UInt32(frameSamples)
        previousFrameSent = false
        history.removeAll(keepingCapacity: true)
    }

    /// Encodes and serializes one frame; nil when DTX suppresses it.
    public func send(_ frame: [Float]) throws(CodecError) -> [UInt8]? {
        guard let packet = try packetize(frame) else { return nil }
        let bytes = packet.serialize()
        statistics.bytesSent += bytes.count
        return bytes
    }
}
