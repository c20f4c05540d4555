import CaptureProcessing
import Concord
import Foundation
import SpeechQuality
import Testing

/// WebRTC's processing on a laptop-like room (`EchoRoom`: 40 ms from loudspeaker to microphone,
/// RT60 0.3 s, the echo as loud at the microphone as the loudspeaker's signal), the issue's
/// goals as tests. Deterministic: the module has no clock or randomness of its own.
@Suite struct EchoCancellationTests {
    /// ERLE is the canceller's own work: measured without gain control, which would raise the
    /// residual and the near end's voice alike. What the far end hears is the whole chain's output.
    @Test func farEndSpeechFromTheLoudspeakerIsCancelledWithinASecond() throws {
        let room = EchoRoom(far: try EchoRoom.speech("a.wav"), seconds: 8)
        let (cancelled, _) = room.run(try WebRTCAudioProcessor())
        var perSecond: [Double] = []
        for s in 1..<8 {
            let r = s * 48_000..<(s + 1) * 48_000
            perSecond.append(10 * log10(EchoRoom.energy(room.echo[r]) / max(1e-20, EchoRoom.energy(cancelled[r]))))
        }
        var loudest: [Double] = []
        for output in [cancelled, try room.run(WebRTCAudioProcessor(.init(gainControl: true))).output] {
            var level = -100.0
            for start in stride(from: 2 * 48_000, to: output.count - 4800, by: 4800) {
                level = max(level, EchoRoom.dbfs(output[start..<start + 4800]))
            }
            loudest.append(level)
        }
        print("ERLE per second from 1 s: \(perSecond.map { ($0 * 10).rounded() / 10 }) dB; echo \(EchoRoom.dbfs(room.echo[...])) dBFS; loudest 100 ms after 2 s: \(loudest) dBFS (without, with gain control)")
        #expect(perSecond.allSatisfy { $0 >= 20 })
        #expect(loudest[0] <= -45)
    }

    @Test func steadyNoiseIsSuppressedAndSpeechIsDetected() throws {
        var random = SystemRandomNumberGenerator()
        let noise = (0..<8 * 48_000).map { _ in Float.random(in: -1...1, using: &random) * 0.01 }  // −45 dBFS
        // The talker starts after 3 s; the noise is there from the start.
        let voice = [Float](repeating: 0, count: 3 * 48_000) + (try EchoRoom.speech("b.wav"))
        let room = EchoRoom(far: [], near: voice, noise: noise, seconds: 8)
        let (output, analyses) = room.run(try WebRTCAudioProcessor())
        // 10 ms chunks of noise alone once the suppressor had a second to learn it, and of speech.
        let pauses = Array(100..<300)
        let speech = (300..<analyses.count).filter { EchoRoom.dbfs(room.near[$0 * 480..<($0 + 1) * 480]) > -35 }
        let before = pauses.map { EchoRoom.energy(room.noise[$0 * 480..<($0 + 1) * 480]) }.reduce(0, +)
        let after = pauses.map { EchoRoom.energy(output[$0 * 480..<($0 + 1) * 480]) }.reduce(0, +)
        let reduction = 10 * log10(before / max(1e-20, after))
        let voiced = Double(speech.filter { analyses[$0].voiceDetected }.count) / Double(max(1, speech.count))
        let falseVoice = Double(pauses.filter { analyses[$0].voiceDetected }.count) / Double(max(1, pauses.count))
        print("noise reduction in pauses \(reduction) dB over \(pauses.count) chunks; voice detected in \(voiced) of speech, \(falseVoice) of pauses")
        #expect(pauses.count > 50 && speech.count > 100)
        #expect(reduction >= 3)
        #expect(voiced >= 0.8)
        #expect(falseVoice <= 0.05)
    }
}
