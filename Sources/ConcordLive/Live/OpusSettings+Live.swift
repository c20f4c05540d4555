import Concord

extension OpusSettings {
    /// A live call's codec: the bitrate and frame the user chose; with in-band FEC, the encoder
    /// is told to expect 10 % loss, the level at which Opus starts spending bits on FEC at
    /// voice bitrates (below its expected-loss threshold it sends none at all).
    public static func live(bitrate: Int, frameMilliseconds: Int, fec: Bool) -> OpusSettings {
        var codec = OpusSettings()
        codec.bitrate = bitrate
        codec.frameMilliseconds = frameMilliseconds
        codec.inbandFEC = fec
        codec.expectedLossPercent = fec ? 10 : 0
        return codec
    }
}
