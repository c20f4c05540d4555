/// Adaptive loss protection: with a `ProtectionPolicy`, every receiver report about this
/// client's voice goes to the policy, and the sender follows what it decides — nothing at no
/// loss, in-band FEC at low loss, copies from a low-bitrate encoder above it, to the listeners
/// whose paths need them (`encode` gives each destination its own datagram). Each listener's
/// reports also feed a `BandwidthEstimator`; what the policy asks for is fitted into the
/// estimates (`RateBudget`) before the sender takes it.
extension VoiceClient {
    /// One change of the protection, for drivers that show them (the benchmark's timeline).
    public struct ProtectionChange: Sendable, Equatable {
        public var from: ProtectionPolicy.Setting
        public var to: ProtectionPolicy.Setting
        public var at: Instant
    }

    /// Sets the sender to `setting`: FEC in the encoded frame, the copies the listener that
    /// gets most needs (the others get fewer, `copies(for:)`), and the primary's bitrate.
    func apply(_ setting: ProtectionPolicy.Setting, copyBitrate: Int) throws(CodecError) {
        let deepest = setting.deepestCopies
        let bitrate = setting.bitrate ?? configuredBitrate
        try participant.sender.setBitrate(bitrate)
        let frameMilliseconds = participant.sender.encoder.settings.frameMilliseconds
        try participant.sender.setFramesPerPacket((setting.packetMilliseconds ?? frameMilliseconds) / frameMilliseconds)
        try participant.sender.setProtection(
            inbandFEC: setting.fecPercent != nil, expectedLossPercent: setting.fecPercent ?? 0,
            copyOffsets: ProtectionPolicy.copyOffsets(deepest), copyBitrate: deepest > 0 ? min(copyBitrate, bitrate) : nil)
    }

    /// The copies `peer` gets: all the sender makes with fixed protection; the setting's share
    /// with adaptive protection.
    func copies(for peer: PeerID) -> Int {
        guard protectionPolicy != nil else { return participant.sender.redundantFrames }
        return sendSetting?.copies[peer] ?? 0
    }

    /// Voice frames a second (DTX aside).
    var framesPerSecond: Double { Double(AudioFormat.sampleRate) / Double(participant.sender.frameSamples) }
    /// Voice packets a second (DTX aside), as many frames to a packet as the sender now sends.
    var packetsPerSecond: Double { framesPerSecond / Double(participant.sender.framesPerPacket) }

    /// One listener's report, as its path's bandwidth estimator takes it.
    func estimateBandwidth(
        to listener: PeerID, stream: ReceiverReport.Stream, sentAt: UInt32, sent: SentSinceReport, now: Instant
    ) {
        guard let policy = protectionPolicy else { return }
        let wanted = RateBudget.wireBitsPerSecond(
            primary: configuredBitrate, copies: policy.copies(for: listener), copyBitrate: policy.copyBitrate,
            framesPerSecond: framesPerSecond, sealed: transport != nil)
        let sample = BandwidthEstimator.Sample(
            queueingMilliseconds: stream.queueingMilliseconds, sentAt: sentAt, highestSequence: stream.highestSequence,
            cumulativeLost: stream.cumulativeLost, lossShare: stream.lossShare, jitterMilliseconds: stream.jitterMilliseconds, meanWireBytes: sent.meanBytes,
            packetsSent: sent.packets, sentSeconds: sent.seconds, packetsWhenTalking: Int((packetsPerSecond * sent.seconds).rounded()),
            wantedBitsPerSecond: wanted)
        bandwidthEstimates[listener, default: BandwidthEstimator()].take(sample, at: now)
    }

    /// Feeds one listener's report to the policy, fits what it asks for into the bandwidth
    /// estimates, and has the sender follow when that changes.
    func adapt(to stream: ReceiverReport.Stream, from listener: PeerID, now: Instant) {
        guard var policy = protectionPolicy else { return }
        let before = sendSetting ?? policy.setting
        _ = policy.take(stream, from: listener, at: now)
        protectionPolicy = policy
        let decided = RateBudget.fit(
            policy.setting, estimates: bandwidthEstimates.compactMapValues(\.bitsPerSecond), primary: configuredBitrate,
            copyBitrate: policy.copyBitrate, frameMilliseconds: participant.sender.encoder.settings.frameMilliseconds,
            sealed: transport != nil, currentFramesPerPacket: participant.sender.framesPerPacket)
        guard decided != before else {
            sendSetting = decided
            return
        }
        do {
            try apply(decided, copyBitrate: policy.copyBitrate)
        } catch {
            // Only a setting out of Opus's ranges fails, which the policy never asks for.
            logger.error("could not change the loss protection", metadata: ["to": "\(decided)", "error": "\(error)"])
            return
        }
        sendSetting = decided
        logger.debug("loss protection changed", metadata: ["from": "\(before)", "to": "\(decided)"])
        onProtectionChange?(ProtectionChange(from: before, to: decided, at: now))
    }
}
