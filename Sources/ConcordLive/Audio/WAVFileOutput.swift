import Concord
import Synchronization

/// A WAV file as a speaker: every frame written is appended to a 48 kHz mono WAV.
///
/// Writes happen synchronously on the caller's (engine) thread, through libsndfile's own
/// buffering: appending one 10 ms frame costs microseconds, and no frame is ever dropped for
/// want of time. A failed write (disk full) is counted in `statistics.errors` and remembered;
/// `close()` then throws it. `close()` finalises the header (sizes in the RIFF and data chunks),
/// so call it on every exit path, including Ctrl-C, for a file other programs can read; until
/// then the header claims no data.
public final class WAVFileOutput: AudioOutputDevice {
    public let path: String

    private struct State {
        var writer: WAVWriter?
        var firstError: SoundFileError?
        var statistics = AudioDeviceStatistics()
    }
    private let state: Mutex<State>

    /// Creates (or truncates) the file.
    ///
    /// - Throws: `SoundFileError.cannotOpen` naming the file when it cannot be created.
    public init(path: String, encoding: WAVWriter.Encoding = .pcm16) throws(SoundFileError) {
        self.path = path
        let writer = try WAVWriter(path: path, encoding: encoding, sampleRate: AudioFormat.sampleRate, channels: 1)
        self.state = Mutex(State(writer: writer))
    }

    public func write(_ frame: [Float]) {
        state.withLock { state in
            guard let writer = state.writer else {
                // Written after close: the frame has nowhere to go.
                state.statistics.overruns += 1
                state.statistics.overrunSamples += frame.count
                return
            }
            do throws(SoundFileError) {
                try writer.write(frame)
                state.statistics.framesTransferred += 1
            } catch {
                state.statistics.errors += 1
                if state.firstError == nil { state.firstError = error }
            }
        }
    }

    public var statistics: AudioDeviceStatistics { state.withLock { $0.statistics } }

    /// Finalises the header and closes the file.
    ///
    /// - Throws: the first failed write's `SoundFileError`, else the error finalising the file.
    ///   Later calls do nothing.
    public func close() throws(SoundFileError) {
        let failure = state.withLock { state -> SoundFileError? in
            guard let writer = state.writer else { return nil }
            state.writer = nil
            var failure = state.firstError
            do throws(SoundFileError) {
                try writer.close()
            } catch {
                failure = failure ?? error
            }
            return failure
        }
        if let failure { throw failure }
    }

    deinit {
        try? close()
    }
}
