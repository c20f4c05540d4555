import AudioFiles
import Concord
import Foundation

/// One participant's room in a simulation: what its loudspeaker played comes back to its
/// microphone through the room (an impulse response, a delay, a gain), with the room's noise.
///
/// Everything is on the participant's own sample clock (its sound card plays and captures).
/// `play` takes each pull as the participant's mixer makes it; `microphone` adds to a captured
/// frame the echo and noise of its time span. Pulls come in order, and a frame only needs what was
/// played before its end, which every pull of the frames before it has supplied. Not thread-safe:
/// the simulation's tick and pulls of one participant run in order.
final class AcousticPath {
    let delaySamples: Int
    let gain: Float
    /// The room's noise at its level, looped over the run; empty: none.
    let noise: [Float]
    private var convolver: PartitionedConvolver
    /// The loudspeaker's output through the room, before the delay, from sample 0.
    private(set) var reverberant: [Float] = []

    /// - Parameter speechLevel: the participant's active speech power, which the noise's level is set against.
    init(_ acoustics: ResolvedScenario.Acoustics, seed: UInt64, speechPower: Double, totalSamples: Int, block: Int) throws {
        delaySamples = Int((acoustics.echoDelayMilliseconds * Double(AudioFormat.sampleRate) / 1000).rounded())
        gain = Float(pow(10, acoustics.echoGainDB / 20))
        var impulse: [Float]
        if let path = acoustics.impulseResponsePath {
            impulse = try WAVReader.readMono48k(path: path)
            let energy = impulse.reduce(0.0) { $0 + Double($1) * Double($1) }
            guard energy > 0 else { throw BenchRunError(description: "\(path): the impulse response is silent") }
            let scale = Float(1 / energy.squareRoot())
            impulse = impulse.map { $0 * scale }
        } else {
            impulse = RoomImpulseResponse.synthetic(rt60Seconds: acoustics.rt60Seconds, seconds: acoustics.rt60Seconds, seed: seed)
        }
        convolver = PartitionedConvolver(impulse: impulse, block: block)
        if let path = acoustics.noisePath {
            let recording = try WAVReader.readMono48k(path: path)
            let power = recording.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, recording.count))
            guard power > 0 else { throw BenchRunError(description: "\(path): the noise is silent") }
            let scale = Float((speechPower / pow(10, acoustics.snrDB / 10) / power).squareRoot())
            noise = (0..<totalSamples).map { recording[$0 % recording.count] * scale }
        } else {
            noise = []
        }
    }

    /// One pull of the loudspeaker, its first sample at `position`; a gap since the last pull (a
    /// participant that was not there) played silence.
    func play(_ pull: [Float], at position: Int) {
        // Pulls start a whole number of pulls after the participant's first: the convolver's
        // blocks are laid on that grid, silence before it.
        if reverberant.isEmpty { reverberant = [Float](repeating: 0, count: position % convolver.block) }
        while reverberant.count < position { reverberant += convolver.process([][...]) }
        guard reverberant.count == position else { return }
        reverberant += convolver.process(pull[...])
    }

    /// Adds the echo and the noise of samples [start, start + frame.count) to `frame`; what it
    /// added, split, for the bench's measurements.
    func microphone(_ frame: inout [Float], from start: Int) -> (echoPower: Double, noisePower: Double) {
        var echoPower = 0.0
        var noisePower = 0.0
        for i in frame.indices {
            let t = start + i
            let played = t - delaySamples
            let echo = played >= 0 && played < reverberant.count ? reverberant[played] * gain : 0
            let hiss = t < noise.count ? noise[t] : 0
            frame[i] += echo + hiss
            echoPower += Double(echo) * Double(echo)
            noisePower += Double(hiss) * Double(hiss)
        }
        return (echoPower, noisePower)
    }

    /// The power of a talker's active speech: the mean over its 10 ms chunks above −50 dBFS
    /// (a simple stand-in for ITU-T P.56's active level); −26 dBFS, P.56's nominal level, for a
    /// participant who says nothing.
    static func activeSpeechPower(_ speech: [Float]) -> Double {
        var total = 0.0
        var chunks = 0
        for start in stride(from: 0, to: speech.count - 479, by: 480) {
            let power = speech[start..<start + 480].reduce(0.0) { $0 + Double($1) * Double($1) } / 480
            if power > 1e-5 {
                total += power
                chunks += 1
            }
        }
        return chunks > 0 ? total / Double(chunks) : pow(10, -2.6)
    }
}

/// One participant's captured frames, as `AcousticsReport` measures them. Written by the
/// participant's encodes only (one at a time), read once the run is over.
final class AcousticFrameLog: @unchecked Sendable {
    var frames: [AcousticsReport.Frame] = []
    var doubleTalk = AcousticsReport.DoubleTalk()

    static func power(_ frame: [Float]) -> Double {
        frame.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, frame.count))
    }
}
