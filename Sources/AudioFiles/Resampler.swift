import CSampleRate
import Concord

/// Streaming sample-rate conversion of mono Float32 audio, owning a libsamplerate `SRC_STATE`.
///
/// ## Why libsamplerate
/// libsamplerate ("Secret Rabbit Code") is the field's standard converter: band-limited sinc
/// interpolation after Julius O. Smith, used by JACK, PulseAudio's optional resampler, Audacity
/// and many DAWs; BSD-2-Clause licensed since 0.1.9; packaged in Debian (`libsamplerate0-dev`),
/// so it costs the project no vendored code. It converts any ratio from 1/256 to 256, including
/// the awkward 44 100 → 48 000 (160/147), and keeps filter state between calls, which is what a
/// streaming device or file edge needs. The alternatives were weaker fits: speexdsp's resampler
/// is lower quality at its default settings, soxr is excellent but less common as a library
/// dependency, and Apple's `AVAudioConverter` does not exist on Linux.
///
/// ## Why `.medium` by default
/// The installed library (0.2.2) describes its converters as: best — 144 dB SNR, 96 %
/// bandwidth; medium — 121 dB SNR, 90 % bandwidth; fastest — 97 dB SNR, 80 % bandwidth.
/// Medium's noise floor is far below 16-bit quantisation (≈ 98 dB) and its 90 % bandwidth keeps
/// everything up to about 19.8 kHz of a 44.1 kHz source: just under Opus fullband's 20 kHz and
/// far above speech. Best costs about 3.5× the CPU for no audible gain: converting 10 s of
/// 44.1 kHz mono to 48 kHz took 0.57 s (best), 0.17 s (medium), 0.07 s (fastest) on the
/// project's 2-core CI machine. Benchmark sweeps read many files and a live 44.1 kHz device
/// would resample continuously, so medium is the default; `.best` stays available.
///
/// Not `Sendable`: the C state is mutated by every call. Use one instance per stream.
public final class Resampler {
    /// The libsamplerate converter to use; see the type's documentation for the trade-off.
    public enum Quality: Sendable, Equatable {
        /// `SRC_SINC_BEST_QUALITY`: 144 dB SNR, 96 % bandwidth, slowest.
        case best
        /// `SRC_SINC_MEDIUM_QUALITY`: 121 dB SNR, 90 % bandwidth. The default.
        case medium
        /// `SRC_SINC_FASTEST`: 97 dB SNR, 80 % bandwidth.
        case fastest

        var converterType: Int32 {
            switch self {
            case .best: return Int32(SRC_SINC_BEST_QUALITY)
            case .medium: return Int32(SRC_SINC_MEDIUM_QUALITY)
            case .fastest: return Int32(SRC_SINC_FASTEST)
            }
        }
    }

    /// A libsamplerate failure, or a rate pair it cannot convert.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// libsamplerate's error code, or 0 when the wrapper rejected the arguments itself.
        public let code: Int32
        /// `src_strerror(code)`, or the wrapper's explanation.
        public let reason: String

        public var description: String { reason }

        init(code: Int32) {
            self.code = code
            if let text = src_strerror(code) {
                reason = String(cString: text)
            } else {
                reason = "libsamplerate error \(code)"
            }
        }

        init(reason: String) {
            self.code = 0
            self.reason = reason
        }
    }

    /// Output samples per input sample.
    public let ratio: Double
    /// The converter in use.
    public let quality: Quality

    private let state: OpaquePointer
    /// Reused output block, so streaming does not allocate per call beyond the result array.
    private let scratch: UnsafeMutableBufferPointer<Float>
    private static let scratchCount = 8192

    /// Creates a mono converter from `fromRate` to `toRate`.
    ///
    /// Throws when either rate is not positive, when the ratio is outside libsamplerate's
    /// 1/256…256, or when libsamplerate cannot allocate its state.
    public convenience init(
        fromRate: Int, toRate: Int = AudioFormat.sampleRate, quality: Quality = .medium
    ) throws(Failure) {
        guard fromRate > 0, toRate > 0 else {
            throw Failure(reason: "sample rates must be positive (got \(fromRate) → \(toRate) Hz)")
        }
        let ratio = Double(toRate) / Double(fromRate)
        guard src_is_valid_ratio(ratio) != 0 else {
            throw Failure(
                reason: "cannot convert \(fromRate) Hz to \(toRate) Hz: libsamplerate supports "
                    + "ratios from 1/256 to 256, this is \(ratio)")
        }
        try self.init(ratio: ratio, quality: quality)
    }

    /// Creates a mono converter by any ratio (output samples per input sample), e.g. 1.0003 for
    /// what a sound card whose clock runs 300 ppm fast records of a signal.
    ///
    /// Throws when the ratio is outside libsamplerate's 1/256…256 or when libsamplerate cannot
    /// allocate its state.
    public init(ratio: Double, quality: Quality = .medium) throws(Failure) {
        guard src_is_valid_ratio(ratio) != 0 else {
            throw Failure(reason: "cannot resample by \(ratio): libsamplerate supports ratios from 1/256 to 256")
        }
        var error: Int32 = 0
        guard let state = src_new(quality.converterType, 1, &error) else {
            throw Failure(code: error)
        }
        self.quality = quality
        self.ratio = ratio
        self.state = state
        self.scratch = .allocate(capacity: Self.scratchCount)
    }

    deinit {
        src_delete(state)
        scratch.deallocate()
    }

    /// Converts the next block of a stream and returns the output it produced.
    ///
    /// The converter keeps a filter's worth of history, so output lags input within one call;
    /// pass `endOfInput: true` with the last block (it may be empty) to flush the tail. After a
    /// flush the converter is reset and ready for a new, unrelated stream. Over a whole stream
    /// the output length is `input length × ratio`, rounded, within a sample or two.
    public func process(_ input: [Float], endOfInput: Bool = false) throws(Failure) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(Int((Double(input.count) * ratio).rounded(.up)) + 16)
        try input.withUnsafeBufferPointer { (block) throws(Failure) in
            try process(block, endOfInput: endOfInput, appendingTo: &output)
        }
        return output
    }

    /// Converts the next block of a stream, appending the output to `output`.
    ///
    /// The allocation-free form of `process(_:endOfInput:)` for callers that keep one growing
    /// buffer (the file reader appends a whole file this way without an intermediate copy).
    public func process(
        _ input: UnsafeBufferPointer<Float>, endOfInput: Bool, appendingTo output: inout [Float]
    ) throws(Failure) {
        var consumed = 0
        while true {
            let remaining = input.count - consumed
            var data = SRC_DATA()
            data.data_in = remaining > 0 ? input.baseAddress.map { UnsafePointer($0 + consumed) } : nil
            data.input_frames = remaining
            data.data_out = scratch.baseAddress
            data.output_frames = scratch.count
            data.end_of_input = endOfInput ? 1 : 0
            data.src_ratio = ratio
            // libsamplerate rejects a NULL input pointer even with zero frames; a flush with
            // no input still needs a valid address.
            var empty: Float = 0
            let status = withUnsafePointer(to: &empty) { emptyPointer in
                if data.data_in == nil { data.data_in = emptyPointer }
                return src_process(state, &data)
            }
            if status != 0 {
                src_reset(state)
                throw Failure(code: status)
            }
            let used = data.input_frames_used
            let generated = data.output_frames_gen
            if used == 0 && generated == 0 && consumed < input.count {
                // Never expected with a free output block; dropping input silently would be worse.
                src_reset(state)
                throw Failure(reason: "libsamplerate consumed no input and produced no output")
            }
            consumed += used
            if generated > 0 {
                output.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress, count: generated))
            }
            if consumed < input.count { continue }
            // All input is in. Without end of input we are done; with it, keep draining until
            // the converter has nothing left to give.
            if !endOfInput || (generated == 0 && used == 0) { break }
        }
        if endOfInput { src_reset(state) }
    }

    /// Forgets all history, as if the converter were new.
    public func reset() {
        src_reset(state)
    }
}
