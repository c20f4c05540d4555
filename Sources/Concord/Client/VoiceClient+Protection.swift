/// Adaptive loss protection: with a `ProtectionPolicy`, every receiver report about this
/// client's voice goes to the policy, and the sender follows what it decides — nothing at no
/// loss, in-band FEC at low loss, copies from a low-bitrate encoder above it, to the listeners
/// whose paths need them (`encode` gives each destination its own datagram).
extension VoiceClient {
    /// One change of the protection, for drivers that show them (the benchmark's timeline).
    public struct ProtectionChange: Sendable, Equatable {
        public var from: ProtectionPolicy.Setting
        public var to: ProtectionPolicy.Setting
        public var at: Instant
    }

    /// Sets the sender to `setting`: FEC in the encoded frame, and the copies the listener that
    /// gets most needs (the others get fewer, `copies(for:)`).
    func apply(_ setting: ProtectionPolicy.Setting, copyBitrate: Int) throws(CodecError) {
        let deepest = setting.deepestCopies
        try participant.sender.setProtection(
            inbandFEC: setting.fecPercent != nil, expectedLossPercent: setting.fecPercent ?? 0,
            copyOffsets: ProtectionPolicy.copyOffsets(deepest), copyBitrate: deepest > 0 ? copyBitrate : nil)
    }

    /// The copies `peer` gets: all the sender makes with fixed protection; the policy's share
    /// with adaptive protection.
    func copies(for peer: PeerID) -> Int {
        protectionPolicy.map { $0.copies(for: peer) } ?? participant.sender.redundantFrames
    }

    /// Feeds one listener's report to the policy, and follows it when it changes its mind.
    func adapt(to stream: ReceiverReport.Stream, from listener: PeerID, now: Instant) {
        guard var policy = protectionPolicy else { return }
        let before = policy.setting
        let decided = policy.take(stream, from: listener, at: now)
        protectionPolicy = policy
        guard let decided else { return }
        do {
            try apply(decided, copyBitrate: policy.copyBitrate)
        } catch {
            // Only a setting out of Opus's ranges fails, which the policy never asks for.
            logger.error("could not change the loss protection", metadata: ["to": "\(decided)", "error": "\(error)"])
            return
        }
        logger.debug("loss protection changed", metadata: ["from": "\(before)", "to": "\(decided)"])
        onProtectionChange?(ProtectionChange(from: before, to: decided, at: now))
    }
}
