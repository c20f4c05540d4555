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
