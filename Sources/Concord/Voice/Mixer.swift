/// Sums several streams into one with per-stream gain, then limits the result so the mix
/// never leaves [-1, 1] and never wraps when converted to 16-bit.
///
/// The limiter drops its gain at once when a frame's peak would clip (applied as a ramp over
/// the frame) and recovers slowly (`releasePerFrame`), as broadcast limiters do; a final clamp
/// guards against the ramp's first samples.
public struct Mixer: Sendable {
    public let frameSamples: Int
    private var gains: [PeerID: Float] = [:]
    private var limiterGain: Float = 1
    /// Gain recovery per mixed frame (multiplicative): 6 dB/s.
    public var releasePerFrame: Float

    public init(frameSamples: Int) {
        self.frameSamples = frameSamples
        // 10^(6/20) a second, taken a sample at a time: 10^(0.3/48000) = e^(0.3·ln 10/48000), whose
        // series stops mattering after the second term.
        let perSample = 1 + 0.3 * 2.302585092994046 / Double(AudioFormat.sampleRate)
        var gain = 1.0
        for _ in 0..<max(0, frameSamples) { gain *= perSample }
        releasePerFrame = Float(gain)
    }

    /// Linear gain for `peer` (1 = unchanged, 0 = muted); default 1.
    public mutating func setGain(_ gain: Float, for peer: PeerID) { gains[peer] = max(0, gain) }
    public func gain(for peer: PeerID) -> Float { gains[peer] ?? 1 }
    public mutating func removeGain(for peer: PeerID) { gains[peer] = nil }

    /// Mixes `streams` into `output` (resized to `frameSamples`).
    public mutating func mix(_ streams: [(peer: PeerID, frame: [Float])], into output: inout [Float]) {
        begin(&output)
        for stream in streams { add(stream.frame, from: stream.peer, to: &output) }
        finish(&output)
    }

    /// Starts a mix: `output` becomes `frameSamples` zeros. Then `add` each stream, then `finish`;
    /// the three steps let a caller mix without building an array of frames every tick.
    public func begin(_ output: inout [Float]) {
        if output.count != frameSamples { output = [Float](repeating: 0, count: frameSamples) }
        output.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    public func add(_ frame: [Float], from peer: PeerID, to output: inout [Float]) {
        let g = gain(for: peer)
        guard g > 0 else { return }
        output.withUnsafeMutableBufferPointer { out in
            frame.withUnsafeBufferPointer { input in
                for i in 0..<min(input.count, out.count) { out[i] += g * input[i] }
            }
        }
    }

    /// Applies the limiter.
    public mutating func finish(_ output: inout [Float]) {
        output.withUnsafeMutableBufferPointer { limit($0) }
    }

    private mutating func limit(_ out: UnsafeMutableBufferPointer<Float>) {
        var peak: Float = 0
        for x in out { peak = max(peak, abs(x)) }
        let start = limiterGain
        let wanted = peak * limiterGain > 1 ? 1 / peak : min(1, limiterGain * releasePerFrame)
        let end = min(wanted, peak > 0 ? 1 / peak : 1, 1)
        let n = Float(out.count)
        for i in out.indices {
            let g = start + (end - start) * Float(i + 1) / n
            out[i] = min(1, max(-1, out[i] * g))
        }
        limiterGain = end
    }
}
