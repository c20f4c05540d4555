import CaptureProcessing
import Concord
import Foundation
import SpeechQuality

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
/// * Voice detection: the share of frames with the participant's voice above −50 dBFS that the
///   processor called voice, and of single-talk frames it called voice (echo mistaken for speech:
///   it would light the speaking indicator and, under DTX, be sent).
/// * Echo heard: with echo cancellation, the time from the first echo to the first frame the
///   processor said it hears one (`EchoPresence`), and the share of the frames with echo above
///   −50 dBFS in which it said it hears none — and so sent them past the canceller.
/// * Double talk: frames with the participant's voice above −60 dBFS and echo above −50 dBFS;
///   their processed audio, runs joined, scored by ViSQOL against the voice alone (and the
///   microphone's, unprocessed, for comparison).
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
        /// nil without processing, or without frames of that kind.
        public var voiceDetectedInSpeech: Double?
        public var voiceDetectedInSingleTalk: Double?
        /// ViSQOL MOS of the near end's voice in double talk, processed and as the microphone had
        /// it; nil without processing or double talk (`doubleTalkNotScored` says why).
        public var doubleTalkMOS: Double?
        public var doubleTalkMOSUnprocessed: Double?
        public var doubleTalkNotScored: String?
        /// nil without echo cancellation; `echoHeardAfterSeconds` also nil when never heard.
        public var echoHeardAfterSeconds: Double?
        public var echoBypassedShare: Double?

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
            case voiceDetectedInSpeech = "voice_detected_in_speech"
            case voiceDetectedInSingleTalk = "voice_detected_in_single_talk"
            case doubleTalkMOS = "double_talk_mos"
            case doubleTalkMOSUnprocessed = "double_talk_mos_unprocessed"
            case doubleTalkNotScored = "double_talk_not_scored"
            case echoHeardAfterSeconds = "echo_heard_after_seconds"
            case echoBypassedShare = "echo_bypassed_share"
        }
    }

    /// "webrtc: echo cancellation, noise suppression" or "none".
    public var processing: String
    public var participants: [Participant]
    /// The processing's CPU time per participant and 10 ms of audio, and against Opus's (every
    /// participant's encodes and decodes); nil without processing.
    public var processingMicrosecondsPer10ms: Double?
    public var processingShareOfCodecCPU: Double?

    enum CodingKeys: String, CodingKey {
        case processing, participants
        case processingMicrosecondsPer10ms = "processing_us_per_10ms"
        case processingShareOfCodecCPU = "processing_share_of_codec_cpu"
    }

    /// One captured frame's parts (powers: mean square over the frame).
    struct Frame {
        var seconds: Double
        var voice: Double
        var echo: Double
        var noise: Double
        var encoded: Double
        /// What the processor decided; nil without one.
        var voiceDetected: Bool?
        /// Whether it hears its loudspeaker; nil without echo cancellation, or undecided.
        var echoHeard: Bool? = nil
    }

    /// The near end's voice in double talk, runs of frames joined: alone, as the microphone had
    /// it, and processed.
    struct DoubleTalk {
        var voice: [Float] = []
        var microphone: [Float] = []
        var processed: [Float] = []
    }

    static func dB(_ power: Double) -> Double { power > 1e-12 ? 10 * log10(power) : -120 }

    static func isDoubleTalk(voice: Double, echo: Double) -> Bool { dB(voice) > -60 && dB(echo) > -50 }

    static func participant(
        name: String, echoGainDB: Double, frames: [Frame], frameSeconds: Double, doubleTalkScores: DoubleTalkScores? = nil
    ) -> Participant {
        // What is encoded lags the microphone by the processing's own delay (20 ms with WebRTC's
        // and the residual echo suppressor's filter): a frame counts as without voice only if the
        // frame before it was too.
        let silent = frames.indices.map { i in dB(frames[i].voice) <= -60 && (i == 0 || dB(frames[i - 1].voice) <= -60) }
        let single = frames.indices.filter { dB(frames[$0].echo) > -50 && silent[$0] }.map { frames[$0] }
        let double = frames.filter { isDoubleTalk(voice: $0.voice, echo: $0.echo) }
        let echoing = frames.filter { dB($0.echo) > -50 }
        var report = Participant(
            name: name, echoGainDB: echoGainDB, singleTalkSeconds: Double(single.count) * frameSeconds,
            doubleTalkSeconds: Double(double.count) * frameSeconds)
        if let first = echoing.first {
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
        func share(_ frames: [Frame]) -> Double? {
            let decided = frames.compactMap(\.voiceDetected)
            return decided.isEmpty ? nil : Double(decided.filter { $0 }.count) / Double(decided.count)
        }
        report.voiceDetectedInSpeech = share(frames.filter { dB($0.voice) > -50 })
        report.voiceDetectedInSingleTalk = share(single)
        if frames.contains(where: { $0.echoHeard != nil }), let first = echoing.first {
            report.echoHeardAfterSeconds = frames.first { $0.echoHeard == true }.map { max(0, $0.seconds - first.seconds) }
            report.echoBypassedShare = Double(echoing.filter { $0.echoHeard == false }.count) / Double(echoing.count)
        }
        report.doubleTalkMOS = doubleTalkScores?.processed
        report.doubleTalkMOSUnprocessed = doubleTalkScores?.unprocessed
        report.doubleTalkNotScored = doubleTalkScores?.notScored
        return report
    }

    /// ViSQOL's view of `DoubleTalk`.
    struct DoubleTalkScores {
        var processed: Double?
        var unprocessed: Double?
        var notScored: String?
    }

    /// Under 2 s of double talk is too little for ViSQOL's patches to say much: not scored.
    static func score(_ doubleTalk: DoubleTalk, with visqol: ViSQOL) -> DoubleTalkScores {
        let seconds = Double(doubleTalk.voice.count) / Double(AudioFormat.sampleRate)
        guard seconds >= 2 else {
            return DoubleTalkScores(notScored: String(format: "%.1f s of double talk, under the 2 s scored", seconds))
        }
        let limit = ViSQOL.maximumSeconds * AudioFormat.sampleRate
        let voice = Array(doubleTalk.voice.prefix(limit))
        do {
            let processed = try visqol.score(
                reference: voice, degraded: Array(doubleTalk.processed.prefix(limit)), sampleRate: AudioFormat.sampleRate)
            let unprocessed = try visqol.score(
                reference: voice, degraded: Array(doubleTalk.microphone.prefix(limit)), sampleRate: AudioFormat.sampleRate)
            return DoubleTalkScores(processed: processed.mos, unprocessed: unprocessed.mos)
        } catch {
            return DoubleTalkScores(notScored: error.description)
        }
    }
}


extension AcousticsReport {
    /// "webrtc: echo cancellation, noise suppression"; "none" with every part off.
    static func describe(_ settings: WebRTCAudioProcessor.Settings) -> String {
        let parts = [
            settings.echoCancellation ? "echo cancellation" : nil,
            settings.echoCancellation && settings.residualEchoSuppression ? "residual echo suppression" : nil,
            settings.noiseSuppression ? "noise suppression" : nil, settings.gainControl ? "gain control" : nil,
        ].compactMap { $0 }
        return parts.isEmpty ? "none" : "webrtc: " + parts.joined(separator: ", ")
    }
}
