/// What a sound file's header says, without reading its audio.
///
/// Lets callers (the bench CLI, a fixture check) validate or report a file cheaply before the
/// full decode-downmix-resample in `WAVReader.readMono48k(path:)`.
public struct SoundFileInfo: Sendable, Equatable, CustomStringConvertible {
    /// Frames per second.
    public let sampleRate: Int
    /// Interleaved channels per frame.
    public let channels: Int
    /// Frames in the file (a frame is one sample per channel).
    public let frames: Int
    /// libsndfile's `SF_INFO.format` code (container | encoding).
    public let format: Int32
    /// libsndfile's names for the container and encoding, e.g. "WAV (Microsoft), Signed 16 bit PCM".
    public let formatDescription: String

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }

    public var description: String {
        "\(formatDescription), \(sampleRate) Hz, \(channels) ch, \(frames) frames"
    }
}
