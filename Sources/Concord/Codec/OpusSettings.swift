/// How an Opus encoder is configured. Defaults suit a voice room: 32 kb/s VBR, 20 ms frames.
public struct OpusSettings: Sendable, Equatable, Hashable, Codable {
    /// Which Opus application mode to run.
    public enum Application: String, Sendable, Codable, CaseIterable {
        /// `OPUS_APPLICATION_VOIP`: speech-tuned, 6.5 ms lookahead.
        case voip
        /// `OPUS_APPLICATION_RESTRICTED_LOWDELAY`: CELT only, 2.5 ms lookahead, no SILK FEC or DTX.
        case restrictedLowDelay
    }

    /// Frame durations Concord accepts. Opus also has 2.5 and 5 ms, but in-band FEC needs SILK
    /// frames of at least 10 ms, and whole-millisecond frames keep the wire format simple.
    public static let allowedFrameMilliseconds = [10, 20, 40, 60]
    public static let bitrateRange = 6_000...510_000
    public static let complexityRange = 0...10
    public static let lossPercentRange = 0...100

    public var application: Application = .voip
    /// Target bitrate in bits per second.
    public var bitrate: Int = 32_000
    public var complexity: Int = 10
    public var frameMilliseconds: Int = 20
    /// Variable bitrate (the Opus default); `false` gives hard CBR.
    public var variableBitrate: Bool = true
    /// In-band FEC (LBRR): each packet carries a low-rate copy of the previous frame.
    public var inbandFEC: Bool = false
    /// The loss rate the encoder expects; Opus only emits FEC when this is above zero.
    public var expectedLossPercent: Int = 0
    /// Discontinuous transmission: near-silent frames become 1-byte packets that are not sent.
    public var dtx: Bool = false

    public init() {}

    public init(
        application: Application = .voip, bitrate: Int = 32_000, complexity: Int = 10,
        frameMilliseconds: Int = 20, variableBitrate: Bool = true, inbandFEC: Bool = false,
        expectedLossPercent: Int = 0, dtx: Bool = false
    ) {
        self.application = application
        self.bitrate = bitrate
        self.complexity = complexity
        self.frameMilliseconds = frameMilliseconds
        self.variableBitrate = variableBitrate
        self.inbandFEC = inbandFEC
        self.expectedLossPercent = expectedLossPercent
        self.dtx = dtx
    }

    /// Samples in one frame at 48 kHz.
    public var frameSamples: Int { AudioFormat.samples(milliseconds: frameMilliseconds) }

    /// Throws a `CodecError.invalidSetting` naming the allowed range for the first bad field.
    public func validate() throws(CodecError) {
        if !Self.allowedFrameMilliseconds.contains(frameMilliseconds) {
            throw .invalidSetting(
                name: "frameMilliseconds", value: "\(frameMilliseconds)",
                allowed: Self.allowedFrameMilliseconds.map(String.init).joined(separator: ", ") + " ms")
        }
        if !Self.bitrateRange.contains(bitrate) {
            throw .invalidSetting(name: "bitrate", value: "\(bitrate)", allowed: "6000...510000 b/s")
        }
        if !Self.complexityRange.contains(complexity) {
            throw .invalidSetting(name: "complexity", value: "\(complexity)", allowed: "0...10")
        }
        if !Self.lossPercentRange.contains(expectedLossPercent) {
            throw .invalidSetting(
                name: "expectedLossPercent", value: "\(expectedLossPercent)", allowed: "0...100 %")
        }
    }
}
