/// Where a participant's voice comes from: a microphone, a file, a generated signal.
///
/// Each `read` fills one frame of `frameSamples` mono Float32 samples at `AudioFormat.sampleRate`.
/// A source that keeps time (a sound card, a file played at real-time pace) blocks in `read`
/// until its frame is due, so a driver that loops on `read` ticks the engine on the source's
/// clock.
///
/// `read` belongs to one thread (the driver's); `stop` may be called from any other, which is
/// why a source is a `Sendable` reference.
public protocol AudioSource: AnyObject, Sendable {
    /// Samples per frame: 480 for 10 ms, 960 for 20 ms at 48 kHz.
    var frameSamples: Int { get }
    /// Copies the next frame into `frame` (resized to `frameSamples` if it has another size) and
    /// returns true; returns false once the source has ended (`stop()` called, the end of its
    /// audio reached, a fatal device error).
    func read(into frame: inout [Float]) -> Bool
    /// Ends the source and wakes a blocked `read`, which then returns false. Idempotent.
    func stop()
}
