import AudioFiles
import Dispatch
import Concord
import Synchronization

/// A WAV file as a speaker: every frame written is appended to a 48 kHz mono WAV.
///
/// Writes happen in order on a serial queue of the file's own, never on the caller's (engine)
/// thread: appending a 10 ms frame costs microseconds, but a busy disk's writeback once blocked
/// `write` for over a second, and the engine must not wait for it. No frame is dropped for want
/// of time (a stalled disk's backlog waits in memory); `close()` waits for every frame written
/// before it. A failed write (disk full) is counted in `statistics.errors` and remembered;
/// `close()` then throws it. `close()` finalises the header (sizes in the RIFF and data chunks),
/// so call it on every exit path, including Ctrl-C, for a file other programs can read; until
/// then the header claims no data.
///
/// The file is created (or truncated) by the first frame written, not by `init`: a client that
/// fails to start (its port in use, the network not joined) leaves an existing file as it was.
/// Check that the path is writable before starting (`OutputPath.check`).
public final class WAVFileOutput: AudioSink {
    public let path: String
    public let encoding: WAVWriter.Encoding
    private let writer = DispatchQueue(label: "concord.wav-output")

    private enum File {
        case notOpened
        case open(WAVWriter)
        case closed
    }

    private struct State {
        var file = File.notOpened
        var firstError: SoundFileError?
        var statistics = AudioDeviceStatistics()
    }
    private let state: Mutex<State>

    public init(path: String, encoding: WAVWriter.Encoding = .pcm16) {
        self.path = path
        self.encoding = encoding
        self.state = Mutex(State())
    }

    public func write(_ frame: [Float]) {
        writer.async { [self] in append(frame) }
    }

    private func append(_ frame: [Float]) {
        let (path, encoding) = (self.path, self.encoding)
        state.withLock { state in
            let writer: WAVWriter
            switch state.file {
            case .open(let open):
                writer = open
            case .notOpened:
                do throws(SoundFileError) {
                    writer = try WAVWriter(path: path, encoding: encoding, sampleRate: AudioFormat.sampleRate, channels: 1)
                    state.file = .open(writer)
                } catch {
                    state.file = .closed
                    state.statistics.errors += 1
                    state.firstError = error
                    return
                }
            case .closed:
                // Written after close (or after the file could not be created): the frame has
                // nowhere to go.
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

    /// What has reached the file so far (frames still queued are not counted yet).
    public var statistics: AudioDeviceStatistics { state.withLock { $0.statistics } }

    /// Finalises the header and closes the file (a file never written to is not created).
    ///
    /// - Throws: the first failed write's (or creation's) `SoundFileError`, else the error
    ///   finalising the file. Later calls do nothing.
    public func close() throws(SoundFileError) {
        writer.sync {}
        try finalize()
    }

    /// Finalises the file with every queued frame written.
    private func finalize() throws(SoundFileError) {
        let failure = state.withLock { state -> SoundFileError? in
            guard case .open(let writer) = state.file else {
                state.file = .closed
                defer { state.firstError = nil }
                return state.firstError
            }
            state.file = .closed
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
        // Every queued write holds the file, so none is left; and this may run on the queue
        // itself (the last write releasing it), where waiting for the queue would deadlock.
        try? finalize()
    }
}
