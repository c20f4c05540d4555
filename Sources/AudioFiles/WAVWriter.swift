import CSndFile
import Concord

/// Writes Float32 audio to a WAV file through libsndfile, owning the `SNDFILE*`.
///
/// Used for every "speaker" in a simulation (each listener's played audio) and for test
/// fixtures. Write in any number of calls, then `close()` to finalise the header and learn
/// whether that worked; if the writer is dropped unclosed, `deinit` closes it but cannot report
/// an error.
///
/// Output is deterministic: the same samples give the same bytes. libsndfile's float WAVs
/// normally carry a PEAK chunk with a wall-clock timestamp, which would make two identical
/// simulation runs produce different files, so the writer turns that chunk off.
///
/// Not `Sendable`: one writer belongs to one producer.
public final class WAVWriter {
    /// The sample encoding inside the WAV.
    public enum Encoding: Sendable, Equatable {
        /// Signed 16-bit PCM; samples outside [-1, 1] are clipped, not wrapped.
        case pcm16
        /// 32-bit IEEE float; samples are stored exactly, including any outside [-1, 1].
        case float32

        var subtype: Int32 {
            switch self {
            case .pcm16: return Int32(SF_FORMAT_PCM_16)
            case .float32: return Int32(SF_FORMAT_FLOAT)
            }
        }
    }

    /// The file being written.
    public let path: String
    /// Frames per second written to the header.
    public let sampleRate: Int
    /// Interleaved channels per frame.
    public let channels: Int
    /// Frames written so far.
    public private(set) var framesWritten = 0

    private var handle: OpaquePointer?

    /// Creates (or truncates) the WAV file at `path`.
    ///
    /// - Throws: `SoundFileError.unsupported` if libsndfile cannot write this combination of
    ///   encoding, rate and channels; `.cannotOpen` with libsndfile's reason if the file cannot
    ///   be created (missing directory, no permission).
    public convenience init(
        path: String, encoding: Encoding = .pcm16, sampleRate: Int = AudioFormat.sampleRate,
        channels: Int = 1
    ) throws(SoundFileError) {
        try self.init(
            path: path, format: Int32(SF_FORMAT_WAV) | encoding.subtype, sampleRate: sampleRate,
            channels: channels)
    }

    /// Creates a file in any libsndfile `format` (container | encoding), e.g. 24-bit WAV,
    /// FLAC or AIFF.
    ///
    /// Internal: Concord only ever writes 16-bit or float WAV; the tests use this to make
    /// the other formats the reader must accept.
    init(path: String, format: Int32, sampleRate: Int, channels: Int) throws(SoundFileError) {
        guard sampleRate > 0, sampleRate <= Int(Int32.max), channels > 0, channels <= 1024 else {
            throw .unsupported(
                path: path,
                reason: "cannot write \(channels) channels at \(sampleRate) Hz; both must be positive")
        }
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = format
        guard sf_format_check(&info) != 0 else {
            throw .unsupported(
                path: path,
                reason: "libsndfile cannot write \(SndFile.describe(format: format)) with "
                    + "\(channels) channels at \(sampleRate) Hz")
        }
        let handle = try SndFile.open(path: path, mode: Int32(SFM_WRITE), info: &info)
        // Clip instead of wrapping when float samples beyond ±1 become integers: a mixer
        // overshoot must sound like distortion, not like a full-scale click of opposite sign.
        sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        // No PEAK chunk: it holds a timestamp, and output files must be reproducible.
        sf_command(handle, Int32(SFC_SET_ADD_PEAK_CHUNK), nil, Int32(SF_FALSE))
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        self.handle = handle
    }

    deinit {
        if let handle { sf_close(handle) }
    }

    /// Appends interleaved samples (`channels` per frame) to the file.
    ///
    /// - Throws: `SoundFileError.writeFailed` with libsndfile's reason if the write falls short
    ///   (disk full, I/O error), if the writer is already closed, or if `samples.count` is not
    ///   a whole number of frames.
    public func write(_ samples: UnsafeBufferPointer<Float>) throws(SoundFileError) {
        guard let handle else {
            throw .writeFailed(path: path, reason: "the writer is already closed")
        }
        guard samples.count % channels == 0 else {
            throw .writeFailed(
                path: path,
                reason: "\(samples.count) samples is not a whole number of \(channels)-channel frames")
        }
        guard let base = samples.baseAddress, !samples.isEmpty else { return }
        let written = Int(sf_write_float(handle, base, sf_count_t(samples.count)))
        framesWritten += max(written, 0) / channels
        if written != samples.count {
            throw .writeFailed(
                path: path,
                reason: "wrote \(written) of \(samples.count) samples: \(SndFile.reason(handle))")
        }
    }

    /// Appends interleaved samples (`channels` per frame) to the file.
    public func write(_ samples: [Float]) throws(SoundFileError) {
        try samples.withUnsafeBufferPointer { (buffer) throws(SoundFileError) in
            try write(buffer)
        }
    }

    /// Finalises the header and closes the file. Calling it again does nothing.
    ///
    /// - Throws: `SoundFileError.writeFailed` with libsndfile's reason if finalising failed;
    ///   the handle is released either way.
    public func close() throws(SoundFileError) {
        guard let handle else { return }
        self.handle = nil
        let status = sf_close(handle)
        if status != 0 {
            throw .writeFailed(path: path, reason: String(cString: sf_error_number(status)))
        }
    }

    /// Writes `samples` to a new file at `path` in one call and closes it.
    public static func write(
        path: String, samples: [Float], encoding: Encoding = .pcm16,
        sampleRate: Int = AudioFormat.sampleRate, channels: Int = 1
    ) throws(SoundFileError) {
        let writer = try WAVWriter(
            path: path, encoding: encoding, sampleRate: sampleRate, channels: channels)
        try writer.write(samples)
        try writer.close()
    }
}
