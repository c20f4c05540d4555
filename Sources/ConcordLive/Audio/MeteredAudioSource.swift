import Concord

/// A source that measures what it reads: the live client's input level meter.
///
/// A refinement in the live driver rather than a requirement of the engine's `AudioSource`:
/// the meter exists for a person watching the terminal, the engine never looks at it, and a
/// source in a simulation or a test has no one to show it to. `InputLevel` is a view value
/// (dBFS for display), so it stays beside the view.
public protocol MeteredAudioSource: AudioSource {
    /// Peak and RMS level of the last frame read, in dBFS. May be read from any thread.
    var level: InputLevel { get }
}
