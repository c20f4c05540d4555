import Concord

extension OpusSettings {
    /// A live call's codec: what the user chose; with in-band FEC and no expected loss given, the
    /// encoder is told to expect 10 % loss, the level at which Opus starts spending bits on FEC
    /// at voice bitrates (below its expected-loss threshold it sends none at all).
    public static func live(
        bitrate: Int, frameMilliseconds: Int, fec: Bool, expectedLossPercent: Int? = nil, complexity: Int = 10, dtx: Bool = false
    ) -> OpusSettings {
        var codec = OpusSettings()
        codec.bitrate = bitrate
        codec.frameMilliseconds = frameMilliseconds
        codec.inbandFEC = fec
        codec.expectedLossPercent = fec ? expectedLossPercent ?? 10 : 0
        codec.complexity = complexity
        codec.dtx = dtx
        return codec
    }
}
