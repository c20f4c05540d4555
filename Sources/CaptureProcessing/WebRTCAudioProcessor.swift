import CAudioProcessing
import Concord
import Foundation

/// WebRTC's audio processing module (AEC3, noise suppression, AGC2) and its voice activity
/// detector on one participant's capture path, from Debian's libtgowt-dev.
///
/// Mono, 48 kHz, 10 ms chunks: a frame of 20 ms is processed as two. The far end is what the
/// participant's mixer made for the loudspeaker; AEC3 finds the delay from there to the
/// microphone by itself (`deviceDelayMilliseconds` is a hint, the sound devices' latencies).
/// Not `Sendable`: it belongs to the engine's thread, as the participant does.
public final class WebRTCAudioProcessor: CaptureProcessor {
    public struct Settings: Sendable, Equatable {
        public var echoCancellation: Bool
        public var noiseSuppression: Bool
        public var gainControl: Bool

        /// Gain control is off unless asked for: AGC2's adaptive digital gain lifts what the echo
        /// canceller leaves (a laptop-like room, `EchoCancellationTests`: the loudest 100 ms of
        /// residual echo after convergence −46 dBFS without it, −22 dBFS with it).
        public init(echoCancellation: Bool = true, noiseSuppression: Bool = true, gainControl: Bool = false) {
            self.echoCancellation = echoCancellation
            self.noiseSuppression = noiseSuppression
            self.gainControl = gainControl
        }
    }

    public let settings: Settings
    public let chunkSamples = Int(CONCORD_APM_CHUNK_SAMPLES)
    /// Time from a pull's `analyzeRender` to its sound reaching the microphone, as far as the
    /// devices tell (0: unknown).
    public var deviceDelayMilliseconds = 0
    /// Calls the module refused (its error code is not otherwise actionable: the chunk passes
    /// unprocessed).
    public private(set) var errors = 0
    private let module: OpaquePointer
    private var chunk: [Float]

    public init(_ settings: Settings = .init()) throws(AudioProcessingError) {
        var text = [CChar](repeating: 0, count: 256)
        let made = concord_apm_create(
            concord_apm_settings(
                echo_cancellation: settings.echoCancellation ? 1 : 0, noise_suppression: settings.noiseSuppression ? 1 : 0,
                gain_control: settings.gainControl ? 1 : 0),
            &text, text.count)
        guard let made else {
            throw AudioProcessingError(description: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.settings = settings
        module = made
        chunk = [Float](repeating: 0, count: chunkSamples)
    }

    deinit { concord_apm_destroy(module) }

    /// A trailing part shorter than a chunk is left out (`Participant.setCaptureProcessor`
    /// refuses pulls and frames that are not whole chunks).
    public func analyzeRender(_ pull: [Float]) {
        pull.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count - chunkSamples + 1, by: chunkSamples) {
                if concord_apm_analyze_render(module, samples.baseAddress! + start) != 0 { errors += 1 }
            }
        }
    }

    /// A trailing part shorter than a chunk passes unprocessed.
    public func processCapture(_ frame: inout [Float]) -> CaptureAnalysis {
        var voice = false
        var input = 0.0
        var output = 0.0
        var state = concord_apm_state()
        let chunks = max(1, frame.count / chunkSamples)
        let delay = Int32(clamping: deviceDelayMilliseconds)
        frame.withUnsafeMutableBufferPointer { samples in
            for start in stride(from: 0, to: samples.count - chunkSamples + 1, by: chunkSamples) {
                if concord_apm_process_capture(module, samples.baseAddress! + start, delay, &state) != 0 { errors += 1 }
                voice = voice || state.voice_detected != 0
                input += Self.power(state.input_level_dbfs)
                output += Self.power(state.output_level_dbfs)
            }
        }
        return CaptureAnalysis(
            voiceDetected: voice, inputLevelDBFS: Self.dbfs(input / Double(chunks)), outputLevelDBFS: Self.dbfs(output / Double(chunks)),
            echoReturnLossEnhancementDB: state.echo_return_loss_enhancement_db >= 0 ? state.echo_return_loss_enhancement_db : nil,
            echoDelayMilliseconds: state.delay_ms >= 0 ? Int(state.delay_ms) : nil)
    }

    private static func power(_ dbfs: Double) -> Double { dbfs <= -100 ? 0 : pow(10, dbfs / 10) }
    private static func dbfs(_ power: Double) -> Double { power > 1e-10 ? 10 * log10(power) : -100 }
}

/// The audio processing module could not be made, in its own words.
public struct AudioProcessingError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
