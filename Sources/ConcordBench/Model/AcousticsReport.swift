import CaptureProcessing
import Foundation

/// What each participant's room put into its microphone and what its capture processing left,
/// measured frame by frame from the parts the simulation added (its own voice, the echo of its
/// loudspeaker, the room's noise) against what was encoded.
///
/// * Single talk: frames where the echo is above −50 dBFS and the participant's own voice below
///   −60 dBFS (in the frame before too: the processing delays what is encoded). ERLE = 10·log10(Σ echo power / Σ encoded power) over the single-talk frames from
///   2 s after the first echo (what the canceller leaves is all that is encoded then).
/// * Convergence: the time from the first echo to the end of the first 0.5 s of single talk
///   (25 frames of 20 ms, not necessarily contiguous) whose ERLE reaches 30 dB.
/// * Residual: the encoded level of those single-talk frames, p95 and max (dBFS, per frame).
/// * Noise reduction: over frames with neither voice nor echo above −60 dBFS (nor in the frame
///   before), noise power against encoded power.
public struct AcousticsReport: Codable, Sendable, Equatable {
    public struct Participant: Codable, Sendable, Equatable {
        public var name: String
        /// Echo at the microphone against what the loudspeaker played (the scenario's gain), dB.
        public var echoGainDB: Double
        public var singleTalkSeconds: Double
        public var doubleTalkSeconds: Double
        /// nil when there was no single talk after the first 2 s of echo.
        public var echoReturnLossEnhancementDB: Double?
        public var convergenceSeconds: Double?
        public var residualEchoDBFSP95: Double?
        public var residualEchoDBFSMax: Double?
        /// nil without noise, or without moments of noise alone.
        public var noiseReductionDB: Double?

        enum CodingKeys: String, CodingKey {
            case name
            case echoGainDB = "echo_gain_db"
            case singleTalkSeconds = "single_talk_seconds"
            case doubleTalkSeconds = "double_talk_seconds"
            case echoReturnLossEnhancementDB = "erle_db"
            case convergenceSeconds = "convergence_seconds"
            case residualEchoDBFSP95 = "residual_echo_dbfs_p95"
            case residualEchoDBFSMax = "residual_echo_dbfs_max"
            case noiseReductionDB = "noise_reduction_db"
        }
    }

    /// "webrtc: echo cancellation, noise suppression" or "none".
    public var processing: String
    public var participants: [Participant]

    /// One captured frame's parts (powers: mean square over the frame).
    struct Frame {
        var seconds: Double
        var voice: Double
        var echo: Double
        var noise: Double
        var encoded: Double
    }

    static func participant(name: String, echoGainDB: Double, frames: [Frame], frameSeconds: Double) -> Participant {
        func dB(_ power: Double) -> Double { power > 1e-12 ? 10 * log10(power) : -120 }
        // What is encoded lags the microphone by the processing's own delay (15 ms with WebRTC's):
        // a frame counts as without voice only if the frame before it was too.
        let silent = frames.indices.map { i in dB(frames[i].voice) <= -60 && (i == 0 || dB(frames[i - 1].voice) <= -60) }
        let single = frames.indices.filter { dB(frames[$0].echo) > -50 && silent[$0] }.map { frames[$0] }
        let double = frames.filter { dB($0.voice) > -60 && dB($0.echo) > -50 }
        var report = Participant(
            name: name, echoGainDB: echoGainDB, singleTalkSeconds: Double(single.count) * frameSeconds,
            doubleTalkSeconds: Double(double.count) * frameSeconds)
        if let first = frames.first(where: { dB($0.echo) > -50 }) {
            let settled = single.filter { $0.seconds >= first.seconds + 2 }
            if !settled.isEmpty {
                report.echoReturnLossEnhancementDB =
                    dB(settled.reduce(0) { $0 + $1.echo }) - dB(settled.reduce(0) { $0 + $1.encoded })
                let levels = settled.map { dB($0.encoded) }.sorted()
                report.residualEchoDBFSP95 = levels[min(levels.count - 1, Int(0.95 * Double(levels.count)))]
                report.residualEchoDBFSMax = levels.last
            }
            let window = Int((0.5 / frameSeconds).rounded())
            if single.count >= window {
                for end in window...single.count {
                    let span = single[(end - window)..<end]
                    if dB(span.reduce(0) { $0 + $1.echo }) - dB(span.reduce(0) { $0 + $1.encoded }) >= 30 {
                        report.convergenceSeconds = single[end - 1].seconds + frameSeconds - first.seconds
                        break
                    }
                }
            }
        }
        let quiet = frames.indices.filter { i in
            silent[i] && dB(frames[i].echo) <= -60 && (i == 0 || dB(frames[i - 1].echo) <= -60) && frames[i].noise > 0
        }.map { frames[$0] }
        if !quiet.isEmpty {
            report.noiseReductionDB = dB(quiet.reduce(0) { $0 + $1.noise }) - dB(quiet.reduce(0) { $0 + $1.encoded })
        }
        return report
    }
}


extension AcousticsReport {
    /// "webrtc: echo cancellation, noise suppression"; "none" with every part off.
    static func describe(_ settings: WebRTCAudioProcessor.Settings) -> String {
        let parts = [
            settings.echoCancellation ? "echo cancellation" : nil, settings.noiseSuppression ? "noise suppression" : nil,
            settings.gainControl ? "gain control" : nil,
        ].compactMap { $0 }
        return parts.isEmpty ? "none" : "webrtc: " + parts.joined(separator: ", ")
    }
}
