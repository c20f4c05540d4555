/// Folds interleaved multichannel audio to mono.
///
/// The engine speaks mono (one voice per participant), so a stereo or surround file is reduced
/// to the mean of its channels. The mean, not the sum: it cannot overflow [-1, 1] and it keeps a
/// centred voice (the same signal on every channel) at its original level. Opposite-phase
/// content cancels, which is the honest mono rendering of such a file.
public enum Downmix {
    /// Writes the per-frame mean of `interleaved` (`channels` samples per frame) into `mono`.
    ///
    /// Writes `min(interleaved.count / channels, mono.count)` frames and returns that number;
    /// with one channel this is a copy, with `channels <= 0` nothing is written.
    @discardableResult
    public static func mean(
        interleaved: UnsafeBufferPointer<Float>, channels: Int,
        into mono: UnsafeMutableBufferPointer<Float>
    ) -> Int {
        guard channels > 0 else { return 0 }
        let frames = min(interleaved.count / channels, mono.count)
        if channels == 1 {
            for i in 0..<frames { mono[i] = interleaved[i] }
            return frames
        }
        let scale = 1 / Float(channels)
        for frame in 0..<frames {
            var sum: Float = 0
            let base = frame * channels
            for channel in 0..<channels { sum += interleaved[base + channel] }
            mono[frame] = sum * scale
        }
        return frames
    }

    /// The per-frame mean of `interleaved` audio with `channels` channels.
    ///
    /// A trailing partial frame (fewer than `channels` samples) is ignored; `channels <= 0`
    /// gives no frames.
    public static func mean(interleaved: [Float], channels: Int) -> [Float] {
        guard channels > 0 else { return [] }
        let frames = interleaved.count / channels
        return [Float](unsafeUninitializedCapacity: frames) { mono, count in
            count = interleaved.withUnsafeBufferPointer { source in
                mean(interleaved: source, channels: channels, into: mono)
            }
        }
    }
}
