/// Where a participant's mix goes: a speaker, a file.
///
/// `write` belongs to one thread (the driver's); `close` may be called from any other, which is
/// why a sink is a `Sendable` reference.
public protocol AudioSink: AnyObject, Sendable {
    /// Takes one frame of mono Float32 samples at `AudioFormat.sampleRate`. Never blocks the
    /// driver: a sink that cannot take the frame drops it and counts the loss.
    func write(_ frame: [Float])
    /// Stops playback or finalises the file. Idempotent: later calls do nothing and do not throw.
    func close() throws
}
