/// Turns captured frames into voice packets: encode, then packetize with sequence number,
/// media timestamp, flags and optional RFC 2198-style redundancy.
///
/// The media timestamp advances by one frame per captured frame, sent or not; the sequence
/// number advances per packet *sent*, so receivers tell a DTX pause (timestamp jump, no
/// sequence gap) from loss (sequence gap).
///
/// The protection (in-band FEC, the redundancy depth, and the bitrate of the copies) may change
/// between any two frames: `setProtection`, which the client calls as its listeners' reports
/// ask (`ProtectionPolicy`).
public final class VoiceSender {
    public let senderID: PeerID
    public let encoder: OpusEncoder
    /// How many frames back each copy in a packet is, ascending: `[1, 2]` repeats the last two
    /// frames, `[1, 3]` spreads two copies so that a run of three lost packets is rebuilt
    /// (frame k travels in packets k + 1 and k + 3); empty, no redundancy.
    public private(set) var copyOffsets: [Int]
    /// Copies in each packet.
    public var redundantFrames: Int { copyOffsets.count }
    /// The bitrate of the redundant copies, from a second encoder that runs beside the primary
    /// one while copies are sent; nil: each copy repeats the primary payload. A copy stands in
    /// for a lost frame only, so it need not cost what the primary does: at 16 kbit/s a copy is
    /// half a 32 kbit/s primary.
    public private(set) var copyBitrate: Int?
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
    /// Encodes the copies when `copyBitrate` is set and copies are sent.
    private var copyEncoder: OpusEncoder?

    public init(
        senderID: PeerID, settings: OpusSettings, redundantFrames: Int = 0, copyBitrate: Int? = nil,
        initialSequenceNumber: UInt16 = 0, initialTimestamp: UInt32 = 0
    ) throws(CodecError) {
        guard (0...VoicePacket.maxRedundantBlocks).contains(redundantFrames) else {
            throw .invalidSetting(
                name: "redundantFrames", value: "\(redundantFrames)", allowed: "0...\(VoicePacket.maxRedundantBlocks)")
        }
        let offsets = Array(stride(from: 1, through: redundantFrames, by: 1))
        try Self.validate(copyOffsets: offsets, copyBitrate: copyBitrate)
        self.senderID = senderID
        self.encoder = try OpusEncoder(settings: settings)
        self.copyOffsets = offsets
        self.copyBitrate = copyBitrate
        self.sequenceNumber = initialSequenceNumber
        self.timestamp = initialTimestamp
        try makeCopyEncoder()
    }

    private static func validate(copyOffsets: [Int], copyBitrate: Int?) throws(CodecError) {
        guard copyOffsets.count <= VoicePacket.maxRedundantBlocks, copyOffsets == copyOffsets.sorted(),
            Set(copyOffsets).count == copyOffsets.count,
            copyOffsets.allSatisfy({ (1...VoicePacket.maxRedundantBlocks).contains($0) })
        else {
            throw .invalidSetting(
                name: "copyOffsets", value: "\(copyOffsets)",
                allowed: "at most \(VoicePacket.maxRedundantBlocks) distinct frames back, ascending, each 1...\(VoicePacket.maxRedundantBlocks)")
        }
        if let copyBitrate, !OpusSettings.bitrateRange.contains(copyBitrate) {
            throw .invalidSetting(name: "copyBitrate", value: "\(copyBitrate)", allowed: "6000...510000 b/s")
        }
    }

    /// Changes the protection from the next frame on. Copies already kept stay valid: a deeper
    /// redundancy fills up over the next frames, a shallower one drops the oldest; a new copy
    /// bitrate starts a new copy encoder, whose first frames are a little rough.
    public func setProtection(
        inbandFEC: Bool, expectedLossPercent: Int, copyOffsets: [Int], copyBitrate: Int?
    ) throws(CodecError) {
        try Self.validate(copyOffsets: copyOffsets, copyBitrate: copyBitrate)
        if inbandFEC != encoder.settings.inbandFEC || expectedLossPercent != encoder.settings.expectedLossPercent {
            try encoder.setLossProtection(inbandFEC: inbandFEC, expectedLossPercent: expectedLossPercent)
        }
        let restartCopies = copyBitrate != self.copyBitrate || self.copyOffsets.isEmpty != copyOffsets.isEmpty
        self.copyOffsets = copyOffsets
        self.copyBitrate = copyBitrate
        let kept = copyOffsets.last ?? 0
        if history.count > kept { history.removeFirst(history.count - kept) }
        if restartCopies {
            // Copies from the old encoder (or the primary) mixed with the new one's are fine:
            // each decodes on its own. Only the encoder's running state starts afresh.
            try makeCopyEncoder()
        }
    }

    /// The primary's bitrate, changed from the next frame on (the copies keep theirs).
    public var bitrate: Int { encoder.settings.bitrate }
    public func setBitrate(_ bitrate: Int) throws(CodecError) {
        guard bitrate != encoder.settings.bitrate else { return }
        try encoder.setBitrate(bitrate)
    }

    private func makeCopyEncoder() throws(CodecError) {
        guard let copyBitrate, !copyOffsets.isEmpty else {
            copyEncoder = nil
            return
        }
        var settings = encoder.settings
        settings.bitrate = copyBitrate
        settings.inbandFEC = false
        settings.expectedLossPercent = 0
        settings.dtx = false
        copyEncoder = try OpusEncoder(settings: settings)
    }

    public var frameSamples: Int { encoder.settings.frameSamples }

    /// The media timestamp the next captured frame will carry.
    public var nextTimestamp: UInt32 { timestamp }

    /// Encodes one captured frame; returns the packet to send, or nil when DTX suppresses it.
    public func packetize(_ frame: [Float]) throws(CodecError) -> VoicePacket? {
        let token = codecObserver?.codecWillRun()
        defer { if let token { codecObserver?.codecDidRun(token) } }
        let payload = try encoder.encode(frame)
        // The copy encoder hears every frame, silent or not, so its state stays continuous.
        let copy = try copyEncoder?.encode(frame)
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

        // The history holds the talk-spurt's last frames, newest last: offset o is o from the end.
        let redundancy = copyOffsets.reversed().compactMap { o -> VoicePacket.RedundantFrame? in
            guard o <= history.count else { return nil }
            let earlier = history[history.count - o]
            return VoicePacket.RedundantFrame(
                timestampOffset: UInt16(truncatingIfNeeded: frameTimestamp &- earlier.timestamp), payload: earlier.payload)
        }
        if let deepest = copyOffsets.last {
            if silent {
                history.removeAll(keepingCapacity: true)
            } else {
                history.append((frameTimestamp, copy ?? payload))
                if history.count > deepest { history.removeFirst() }
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
        try packetize(frame).map(serialize)
    }

    /// Serializes a packet this sender made, counting its bytes once (however many listeners
    /// it goes to, and whatever share of its copies each gets).
    public func serialize(_ packet: VoicePacket) -> [UInt8] {
        let bytes = packet.serialize()
        statistics.bytesSent += bytes.count
        return bytes
    }
}
