import AudioFiles
import CaptureProcessing
import Concord
import ConcordBench
import Foundation

/// One person at a laptop: the far end's voice from its loudspeaker reaches its microphone
/// through a room, with the person's own voice and the room's noise on top; the processor sees
/// what the loudspeaker played and what the microphone captured, 10 ms at a time.
struct EchoRoom {
    var far: [Float]
    var near: [Float]
    /// At the microphone.
    var echo: [Float]
    var noise: [Float]
    var microphone: [Float] { zip(zip(echo, near), noise).map { $0.0 + $0.1 + $1 } }

    /// - Parameters: `delayMilliseconds` from the loudspeaker to the microphone (devices and
    ///   air), `gainDB` of the echo against what the loudspeaker plays (unit-energy room).
    init(
        far: [Float], near: [Float]? = nil, noise: [Float]? = nil, seconds: Double, delayMilliseconds: Int = 40,
        gainDB: Double = 0, rt60Seconds: Double = 0.3
    ) {
        let count = Int(seconds * 48_000)
        func fit(_ s: [Float]?) -> [Float] { Array((s ?? []).prefix(count)) + [Float](repeating: 0, count: max(0, count - (s?.count ?? 0))) }
        self.far = fit(far)
        self.near = fit(near)
        self.noise = fit(noise)
        let room = RoomImpulseResponse.synthetic(rt60Seconds: rt60Seconds, seconds: rt60Seconds, seed: 7)
        let gain = Float(pow(10, gainDB / 20))
        let delay = delayMilliseconds * 48
        let delayed = [Float](repeating: 0, count: delay) + self.far.prefix(count - delay)
        echo = RoomImpulseResponse.convolve(delayed, with: room).map { $0 * gain }
    }

    /// The processor's output, and its account of each 10 ms.
    func run(_ processor: WebRTCAudioProcessor) -> (output: [Float], analyses: [CaptureAnalysis]) {
        let mic = microphone
        var output: [Float] = []
        var analyses: [CaptureAnalysis] = []
        for start in stride(from: 0, to: far.count - 479, by: 480) {
            processor.analyzeRender(Array(far[start..<start + 480]))
            var chunk = Array(mic[start..<start + 480])
            analyses.append(processor.processCapture(&chunk))
            output += chunk
        }
        return (output, analyses)
    }

    static func speech(_ name: String) throws -> [Float] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try WAVReader.readMono48k(path: root.appendingPathComponent("fixtures/\(name)").path)
    }

    static func energy(_ s: ArraySlice<Float>) -> Double { s.reduce(0) { $0 + Double($1) * Double($1) } }
    static func dbfs(_ s: ArraySlice<Float>) -> Double {
        let mean = energy(s) / Double(max(1, s.count))
        return mean > 1e-10 ? 10 * log10(mean) : -100
    }
}
