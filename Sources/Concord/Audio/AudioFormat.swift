/// The engine's one audio format: 48 kHz mono Float32 in [-1, 1].
///
/// Everything inside the engine (codec, jitter buffer, mixer) speaks this format; conversion
/// from whatever a file or a device provides happens once, at the edge.
public enum AudioFormat {
    /// Samples per second.
    public static let sampleRate = 48_000

    /// Samples in `milliseconds` of audio at `sampleRate`.
    @inlinable
    public static func samples(milliseconds: Int) -> Int { milliseconds * sampleRate / 1000 }
}
