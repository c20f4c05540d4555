/// Turns captured frames into voice packets: encode, then packetize with sequence number,
/// media timestamp, flags and optional RFC 2198-style redundancy.
///
/// The media timestamp advances by one frame per captured frame, sent or not; the sequence
/// number advances per packet *sent*, so receivers tell a DTX pause (timestamp jump, no
/// sequence gap) from loss (sequence gap).
///
/// The protection (in-band FEC, the redundancy depth, and the bitrate of the copies) may change
/// between any two frames: `setProtection`, which the client calls as its listeners' reports
/// ask (`ProtectionPolicy`); so may the bitrate and the packet's duration (`setBitrate`,
/// `setFramesPerPacket`, as the listeners' bandwidth estimates allow, `RateBudget`).
///
/// A packet of several frames (`framesPerPacket` > 1) holds back each talk-spurt's frames
/// until it is full, then sends them together, the newest as the primary; a silent frame (the
/// DTX marker) goes at once, with what is held before it.
public final class VoiceSender {
    public let senderID: PeerID
    public let encoder: OpusEncoder
    /// How many packets back each copy is, ascending: `[1, 2]` repeats the last two packets'
    /// frames, `[1, 3]` spreads two copies so that a run of three lost packets is rebuilt
    /// (packet k's frames travel again in packets k + 1 and k + 3); empty, no redundancy. With
    /// one frame per packet, a packet back is a frame back. Copies that would take a packet
    /// past `VoicePacket.maxRedundantBlocks` frames are left out, deepest first.
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

    /// The frames each packet carries (1...`VoicePacket.maxBundledFrames` + 1), from the next
    /// packet on.
    public private(set) var framesPerPacket = 1

    private struct Frame {
        var timestamp: UInt32
        var payload: [UInt8]
        /// What a later packet repeats: the copy encoder's frame, or the primary.
        var copy: [UInt8]
    }

    private var sequenceNumber: UInt16
    private var timestamp: UInt32
    /// The previous frame was sent or is held to be sent: the talk-spurt goes on.
    private var previousFrameSent = false
    /// This talk-spurt's frames waiting for their packet, oldest first.
    private var held: [Frame] = []
    private var heldStartsTalkspurt = false
    /// The frames of the talk-spurt's last packets, newest packet last (as deep as the copies go).
    private var history: [[Frame]] = []
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
                allowed: "at most \(VoicePacket.maxRedundantBlocks) distinct packets back, ascending, each 1...\(VoicePacket.maxRedundantBlocks)")
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
        trimHistory()
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

    /// Sends `frames` frames in each packet from the next one on; frames already held go out in
    /// the next packet whatever its new size.
    public func setFramesPerPacket(_ frames: Int) throws(CodecError) {
        guard (1...VoicePacket.maxBundledFrames + 1).contains(frames) else {
            throw .invalidSetting(
                name: "framesPerPacket", value: "\(frames)", allowed: "1...\(VoicePacket.maxBundledFrames + 1)")
        }
        framesPerPacket = frames
    }

    private func trimHistory() {
        let kept = copyOffsets.last ?? 0
        if history.count > kept { history.removeFirst(history.count - kept) }
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

    /// Encodes one captured frame; returns the packet to send, or nil when DTX suppresses the
    /// frame or it is held for a packet of several frames.
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
        let startsTalkspurt = held.isEmpty ? !previousFrameSent : heldStartsTalkspurt
        let this = Frame(timestamp: frameTimestamp, payload: payload, copy: copy ?? payload)
        if !silent, held.count + 1 < framesPerPacket {
            if held.isEmpty { heldStartsTalkspurt = startsTalkspurt }
            held.append(this)
            previousFrameSent = true
            return nil
        }
        var flags: VoicePacket.Flags = []
        if startsTalkspurt { flags.insert(.talkspurtStart) }
        if silent { flags.insert(.dtx) }
        // The packet's first frame carries FEC for the frame before it, the one a loss needs.
        if encoder.settings.inbandFEC && encoder.settings.expectedLossPercent > 0 && (!held.isEmpty || !silent) {
            flags.insert(.fec)
        }
        previousFrameSent = !silent
        let bundled = held.map { VoicePacket.RedundantFrame(timestampOffset: offset(frameTimestamp, $0), payload: $0.payload) }
        statistics.payloadBytesSent += held.reduce(payload.count) { $0 + $1.payload.count }

        // Deepest copy first, each packet's frames oldest first; the nearest copies are kept
        // when they do not all fit.
        var copied: [[Frame]] = []
        var blocks = 0
        for o in copyOffsets where o <= history.count {
            let frames = history[history.count - o]
            guard blocks + frames.count <= VoicePacket.maxRedundantBlocks else { break }
            copied.insert(frames, at: 0)
            blocks += frames.count
        }
        let redundancy = copied.joined().map {
            VoicePacket.RedundantFrame(timestampOffset: offset(frameTimestamp, $0), payload: $0.copy)
        }
        if !copyOffsets.isEmpty {
            if silent {
                history.removeAll(keepingCapacity: true)
            } else {
                history.append(held + [this])
                trimHistory()
            }
        }
        held.removeAll(keepingCapacity: true)
        let packet = VoicePacket(
            senderID: senderID, sequenceNumber: sequenceNumber, timestamp: frameTimestamp, flags: flags,
            redundancy: redundancy, bundledFrames: bundled, payload: payload)
        sequenceNumber &+= 1
        statistics.packetsSent += 1
        return packet
    }

    private func offset(_ primary: UInt32, _ earlier: Frame) -> UInt16 {
        UInt16(truncatingIfNeeded: primary &- earlier.timestamp)
    }

    /// Lets one frame of media time pass without sending (muted, or nobody to send to): the
    /// next packet starts a talk-spurt, and receivers see a pause rather than loss. Frames held
    /// for a longer packet are dropped with it (at most 100 ms as the microphone closes).
    public func skipFrame() {
        timestamp &+= UInt32(frameSamples)
        previousFrameSent = false
        held.removeAll(keepingCapacity: true)
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
