/// Why a sound file could not be read, written or converted.
///
/// Every case names the file, because the person reading the message usually has several WAVs
/// in flight (one per participant) and needs to know which one is broken. Where a C library
/// produced the failure, `reason` is that library's own text (`sf_strerror` for libsndfile,
/// `src_strerror` for libsamplerate) rather than a paraphrase, so it can be searched for and
/// matched against the library's documentation.
public enum SoundFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// libsndfile (or the operating system) refused to open the file: it is missing, unreadable,
    /// a directory, not a sound file, or its header is corrupt or truncated.
    case cannotOpen(path: String, reason: String)
    /// The file holds no audio frames: a header with an empty data chunk, or a zero-byte file.
    case empty(path: String)
    /// Reading audio data failed part-way through the file.
    case readFailed(path: String, reason: String)
    /// Writing or finalising the file failed, or the writer was misused (written after close,
    /// a sample count that is not a whole number of frames).
    case writeFailed(path: String, reason: String)
    /// Converting the file's sample rate to the engine's rate failed.
    case resampleFailed(path: String, reason: String)
    /// The file is readable but describes audio the engine cannot use (a non-positive sample
    /// rate or channel count, a rate too far from 48 kHz for libsamplerate), or a write the
    /// library cannot produce (an encoding, rate and channel count it refuses).
    case unsupported(path: String, reason: String)

    /// The file the error is about.
    public var path: String {
        switch self {
        case .cannotOpen(let path, _), .readFailed(let path, _), .writeFailed(let path, _),
            .resampleFailed(let path, _), .unsupported(let path, _), .empty(let path):
            return path
        }
    }

    /// One human sentence with the path and the reason, suitable for a log line or a CLI error.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "Cannot open sound file '\(path)': \(Self.sentence(reason))"
        case .empty(let path):
            return "Sound file '\(path)' contains no audio frames."
        case .readFailed(let path, let reason):
            return "Reading sound file '\(path)' failed: \(Self.sentence(reason))"
        case .writeFailed(let path, let reason):
            return "Writing sound file '\(path)' failed: \(Self.sentence(reason))"
        case .resampleFailed(let path, let reason):
            return "Resampling sound file '\(path)' failed: \(Self.sentence(reason))"
        case .unsupported(let path, let reason):
            return "Sound file '\(path)' is not supported: \(Self.sentence(reason))"
        }
    }

    /// The C libraries' messages sometimes end with a full stop and sometimes not; normalise so
    /// the description is exactly one sentence.
    private static func sentence(_ reason: String) -> String {
        let trimmed = reason.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace)
        let text = String(trimmed.reversed())
        if text.isEmpty { return "unknown reason." }
        return text.hasSuffix(".") ? text : text + "."
    }
}
