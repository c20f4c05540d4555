import CSndFile
import Concord

/// Reads any sound file libsndfile understands into the engine's format: 48 kHz mono Float32.
///
/// WAV of every sample format (8/16/24/32-bit integer, float, double, A-law, µ-law, ADPCM), AIFF,
/// FLAC, Ogg/Vorbis and the rest of libsndfile's list all work, at any rate libsamplerate can
/// convert and any channel count. Conversion happens once, here, at the edge, so everything
/// inside the engine can assume one format (see `AudioFormat`).
public enum WAVReader {
    /// Frames decoded per `sf_readf_float` call. Large enough to amortise the call, small enough
    /// that the interleaved block is negligible next to the result (a 10 s 8-channel file does
    /// not need a second 8-channel copy in memory).
    static let blockFrames = 4096

    /// Upper bound on the capacity reserved from a header's frame count: one hour at 48 kHz.
    static let maxReservedSamples = 3600 * AudioFormat.sampleRate

    /// The file's header: rate, channels, length and format, without decoding audio.
    public static func info(path: String) throws(SoundFileError) -> SoundFileInfo {
        try SoundFileReadHandle(path: path).info
    }

    /// Decodes the whole file at `path`, downmixes it to mono (the mean of its channels) and
    /// resamples it to `AudioFormat.sampleRate` with libsamplerate.
    ///
    /// A file already at 48 kHz is not resampled, so its samples come back bit-exact.
    ///
    /// - Throws: `SoundFileError.cannotOpen` for a missing, unreadable, directory, unknown-format
    ///   or corrupt-header file; `.empty` for a file with no frames; `.readFailed` if decoding
    ///   fails part-way, or for a truncated file (fewer frames than its header announces, see
    ///   `WAVDataLength`); `.unsupported` for a rate libsamplerate cannot convert to 48 kHz;
    ///   `.resampleFailed` if libsamplerate fails. Each carries the path and the library's text.
    public static func readMono48k(
        path: String, quality: Resampler.Quality = .medium
    ) throws(SoundFileError) -> [Float] {
        let file = try SoundFileReadHandle(path: path)
        let info = file.info
        guard info.frames > 0 else { throw .empty(path: path) }

        var resampler: Resampler?
        if info.sampleRate != AudioFormat.sampleRate {
            do {
                resampler = try Resampler(
                    fromRate: info.sampleRate, toRate: AudioFormat.sampleRate, quality: quality)
            } catch {
                // A zero code means the wrapper rejected the rate pair: the file is the problem.
                if error.code == 0 { throw .unsupported(path: path, reason: error.reason) }
                throw .resampleFailed(path: path, reason: error.reason)
            }
        }

        let ratio = Double(AudioFormat.sampleRate) / Double(info.sampleRate)
        var output: [Float] = []
        // Reserve for the whole result up front (no regrowth copies), but trust the header only
        // so far: a stream of unknown length reports SF_COUNT_MAX frames.
        let expectedFrames = min(Double(info.frames) * ratio, Double(Self.maxReservedSamples))
        output.reserveCapacity(Int(expectedFrames.rounded(.up)) + 64)

        let channels = info.channels
        let interleaved = UnsafeMutableBufferPointer<Float>.allocate(
            capacity: blockFrames * channels)
        defer { interleaved.deallocate() }
        let mono = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames)
        defer { mono.deallocate() }

        var framesRead = 0
        while true {
            // sf_readf_float may return fewer frames than asked for (end of file, or a data
            // chunk shorter than the header claimed); only 0 means there is nothing left.
            let got = Int(sf_readf_float(file.handle, interleaved.baseAddress, sf_count_t(blockFrames)))
            if got <= 0 { break }
            framesRead += got
            let frames = Downmix.mean(
                interleaved: UnsafeBufferPointer(rebasing: interleaved[0..<(got * channels)]),
                channels: channels, into: mono)
            let block = UnsafeBufferPointer(rebasing: mono[0..<frames])
            if let resampler {
                do {
                    try resampler.process(block, endOfInput: false, appendingTo: &output)
                } catch {
                    throw .resampleFailed(path: path, reason: error.reason)
                }
            } else {
                output.append(contentsOf: block)
            }
        }
        if sf_error(file.handle) != 0 {
            throw .readFailed(path: path, reason: SndFile.reason(file.handle))
        }
        guard framesRead > 0 else { throw .empty(path: path) }
        // Read-verify: whatever the header said, the frames must all have been there.
        if framesRead < info.frames {
            throw .readFailed(
                path: path,
                reason: "the file ended early: \(framesRead) frames found, \(info.frames) announced (the file is truncated)")
        }
        if let resampler {
            do {
                try resampler.process(
                    UnsafeBufferPointer(start: nil, count: 0), endOfInput: true,
                    appendingTo: &output)
            } catch {
                throw .resampleFailed(path: path, reason: error.reason)
            }
        }
        return output
    }
}

/// An `SNDFILE*` opened for reading, closed when the handle goes away.
///
/// Internal: lets `WAVReader` throw from anywhere in a read without leaking the C handle.
final class SoundFileReadHandle {
    let handle: OpaquePointer
    let info: SoundFileInfo

    init(path: String) throws(SoundFileError) {
        var raw = SF_INFO()
        let handle = try SndFile.open(path: path, mode: Int32(SFM_READ), info: &raw)
        // From here on the handle must be closed on every path, including the throws below.
        self.handle = handle
        self.info = SoundFileInfo(
            sampleRate: Int(raw.samplerate), channels: Int(raw.channels), frames: Int(raw.frames),
            format: raw.format, formatDescription: SndFile.describe(format: raw.format))
        guard raw.channels > 0 else {
            throw .unsupported(path: path, reason: "the header declares \(raw.channels) channels")
        }
        guard raw.samplerate > 0 else {
            throw .unsupported(
                path: path, reason: "the header declares a sample rate of \(raw.samplerate) Hz")
        }
        // libsndfile hides a WAV's short data chunk (see `WAVDataLength`): check it here, so
        // `info` refuses the file as early as `readMono48k`.
        if [Int32(SF_FORMAT_WAV), Int32(SF_FORMAT_WAVEX)].contains(raw.format & Int32(SF_FORMAT_TYPEMASK)),
            let length = WAVDataLength.measure(path: path),
            length.isTruncated
        {
            throw .readFailed(path: path, reason: length.reason)
        }
    }

    deinit {
        sf_close(handle)
    }
}
