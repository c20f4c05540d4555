/// The engine thread's clock and microphone.
///
/// The live driver runs one engine thread that calls `read` in a loop: each call blocks until the
/// next frame of `frameSamples` samples (48 kHz mono Float32) was captured, so the engine ticks on
/// the input device's clock. Implementations: ``PortAudioInput`` (a sound card) and
/// ``WAVFileInput`` (a file played at real-time pace).
///
/// `read` belongs to one thread (the engine's); `level`, `statistics` and `stop` may be called
/// from any thread.
public protocol AudioInputDevice: AnyObject, Sendable {
    /// Samples per frame: 480 for 10 ms, 960 for 20 ms at 48 kHz.
    var frameSamples: Int { get }
    /// Blocks until the next frame is available, copies it into `frame` (resized to
    /// `frameSamples` if it has another size) and returns true; returns false once the device
    /// stopped (`stop()` called, the end of a file opened with `.stop`, or a fatal device error).
    func read(into frame: inout [Float]) -> Bool
    /// Peak and RMS level of the last frame read, in dBFS: the input level meter.
    var level: InputLevel { get }
    /// Frames delivered, and audio lost because the engine did not read in time.
    var statistics: AudioDeviceStatistics { get }
    /// Stops capturing and wakes a blocked `read`, which then returns false. Idempotent.
    func stop()
}

/// The engine's speaker.
///
/// `write` belongs to one thread (the engine's); `statistics` and `close` may be called from any
/// thread. Implementations: ``PortAudioOutput`` and ``WAVFileOutput``.
public protocol AudioOutputDevice: AnyObject, Sendable {
    /// Never blocks: queues one frame for playback (drops it and counts an overrun when the
    /// queue is full).
    func write(_ frame: [Float])
    /// Frames accepted, frames dropped, silence played for want of frames.
    var statistics: AudioDeviceStatistics { get }
    /// Stops playback / finalizes the file. Idempotent: later calls do nothing and do not throw.
    func close() throws
}

/// Which way audio flows through a device.
public enum AudioDirection: String, Sendable, Equatable, CaseIterable {
    case input
    case output
}

/// What happened at a device's edge, counted since it was opened.
///
/// An *overrun* is audio lost on the way in: input — the device captured samples while the
/// ring toward the engine was full (the engine read too late); output — `write` found the
/// playback queue full and dropped the frame. An *underrun* is a gap on the way out: the device
/// asked for samples the engine had not written yet and played silence instead (counted only
/// after the first frame was written, so the start-up silence is not one).
public struct AudioDeviceStatistics: Sendable, Equatable, CustomStringConvertible {
    /// Whole frames returned by `read` / accepted by `write`.
    public var framesTransferred: Int
    /// Events of audio lost on the way in (see the type's documentation).
    public var overruns: Int
    /// Samples lost in those overruns.
    public var overrunSamples: Int
    /// Device callbacks that played (some) silence because no frame was queued.
    public var underruns: Int
    /// Samples of silence played in those underruns.
    public var underrunSamples: Int
    /// Over- and underflows the host audio system itself reported to PortAudio's callback
    /// (e.g. ALSA xruns: the callback thread was scheduled too late).
    public var hostXruns: Int
    /// Failed writes (file devices: libsndfile errors) and device failures.
    public var errors: Int

    public init(
        framesTransferred: Int = 0, overruns: Int = 0, overrunSamples: Int = 0, underruns: Int = 0,
        underrunSamples: Int = 0, hostXruns: Int = 0, errors: Int = 0
    ) {
        self.framesTransferred = framesTransferred
        self.overruns = overruns
        self.overrunSamples = overrunSamples
        self.underruns = underruns
        self.underrunSamples = underrunSamples
        self.hostXruns = hostXruns
        self.errors = errors
    }

    public var description: String {
        "\(framesTransferred) frames, \(overruns) overruns (\(overrunSamples) samples), "
            + "\(underruns) underruns (\(underrunSamples) samples), \(hostXruns) host xruns, \(errors) errors"
    }
}
