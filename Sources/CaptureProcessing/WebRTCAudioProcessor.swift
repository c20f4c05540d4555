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
        /// `ResidualEchoSuppressor` after AEC3 while an echo is heard (with echo cancellation on).
        public var residualEchoSuppression: Bool

        /// Gain control is off unless asked for: AGC2's adaptive digital gain lifts what the echo
        /// canceller leaves (a laptop-like room, `EchoCancellationTests`: the loudest 100 ms of
        /// residual echo after convergence −70 dBFS without it, −56 dBFS with it; with AEC3 alone
        /// −46 and −22).
        public init(
            echoCancellation: Bool = true, noiseSuppression: Bool = true, gainControl: Bool = false, residualEchoSuppression: Bool = true
        ) {
            self.echoCancellation = echoCancellation
            self.noiseSuppression = noiseSuppression
            self.gainControl = gainControl
            self.residualEchoSuppression = residualEchoSuppression
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
    /// Whether the microphone hears the loudspeaker (with echo cancellation on).
    public var echoPresence: EchoPresence.State { presence.state }
    private let module: OpaquePointer
    /// The same processing without the echo canceller, whose output is sent while `presence`
    /// finds that the microphone does not hear the loudspeaker: AEC3 would hold the near end
    /// down for its first 4–6 s of far-end speech even then (its transparent mode needs 6 s).
    private let bypass: OpaquePointer?
    private let presence = EchoPresence()
    /// What AEC3 leaves of the echo, taken further down while an echo is heard. The filter runs
    /// on every chunk of the cancelled chain, so that the delay it adds never changes.
    private let residualEcho = ResidualEchoSuppressor()
    private let gainFilter = SpectralGainFilter()
    /// The chain whose output was sent last: true for `bypass`.
    private var bypassing = false
    /// `bypass`'s output is delayed by this much so that switching chains neither repeats nor
    /// drops audio: the cancelled chain's own delay (`bypassAlignmentSamples`).
    private var bypassDelay: [Float]
    private var bypassChunk: [Float]
    private var bypassJoined: [Float] = []
    private var bypassRested = false

    /// The echo canceller delays the microphone by 384 samples (8.0 ms: two of its 4 ms blocks)
    /// more than the rest alone (cross-correlation of the two chains' outputs, `EchoBypassTests`),
    /// and the residual echo's gain filter by 240 more (`SpectralGainFilter.delaySamples`).
    static let bypassAlignmentSamples = 384 + SpectralGainFilter.delaySamples

    public init(_ settings: Settings = .init()) throws(AudioProcessingError) {
        self.settings = settings
        module = try Self.makeModule(settings)
        if settings.echoCancellation {
            var plain = settings
            plain.echoCancellation = false
            bypass = try Self.makeModule(plain)
        } else {
            bypass = nil
        }
        bypassDelay = [Float](repeating: 0, count: Self.bypassAlignmentSamples)
        bypassChunk = [Float](repeating: 0, count: chunkSamples)
    }

    private static func makeModule(_ settings: Settings) throws(AudioProcessingError) -> OpaquePointer {
        var text = [CChar](repeating: 0, count: 256)
        let made = concord_apm_create(
            concord_apm_settings(
                echo_cancellation: settings.echoCancellation ? 1 : 0, noise_suppression: settings.noiseSuppression ? 1 : 0,
                gain_control: settings.gainControl ? 1 : 0),
            &text, text.count)
        guard let made else {
            throw AudioProcessingError(description: String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return made
    }

    deinit {
        concord_apm_destroy(module)
        if let bypass { concord_apm_destroy(bypass) }
    }

    /// A trailing part shorter than a chunk is left out (`Participant.setCaptureProcessor`
    /// refuses pulls and frames that are not whole chunks).
    public func analyzeRender(_ pull: [Float]) {
        pull.withUnsafeBufferPointer { samples in
            for start in stride(from: 0, to: samples.count - chunkSamples + 1, by: chunkSamples) {
                if concord_apm_analyze_render(module, samples.baseAddress! + start) != 0 { errors += 1 }
                if bypass != nil { presence.noteRender(UnsafeBufferPointer(rebasing: samples[start..<start + chunkSamples])) }
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
                let chunk = UnsafeMutableBufferPointer(rebasing: samples[start..<start + chunkSamples])
                var chosen = concord_apm_state()
                if let bypass {
                    presence.noteCapture(UnsafeBufferPointer(chunk))
                    var plainState = concord_apm_state()
                    // While an echo is heard the plain chain's output is not used: it rests (and
                    // starts cold, its noise estimate relearnt in a few hundred ms, in the rare
                    // case that the echo goes away).
                    if presence.state != .echo || bypassing {
                        if bypassRested {
                            // Its delay line holds the last chunk before the rest: not this one's past.
                            for i in bypassDelay.indices { bypassDelay[i] = 0 }
                            bypassRested = false
                        }
                        bypassChunk.withUnsafeMutableBufferPointer { copy in
                            _ = copy.initialize(fromContentsOf: chunk)
                            if concord_apm_process_capture(bypass, copy.baseAddress!, delay, &plainState) != 0 { errors += 1 }
                        }
                        alignBypass()
                    } else {
                        bypassRested = true
                    }
                    if concord_apm_process_capture(module, chunk.baseAddress!, delay, &state) != 0 { errors += 1 }
                    let suppressing = presence.state == .echo && settings.residualEchoSuppression
                    residualEcho.update(from: presence, active: suppressing)
                    gainFilter.process(chunk, gains: suppressing ? residualEcho.gains : nil)
                    let wanted = presence.state == .noEcho
                    bypassChunk.withUnsafeBufferPointer { plain in
                        Self.choose(into: chunk, plain: plain, from: bypassing, to: wanted)
                    }
                    bypassing = wanted
                    chosen = wanted ? plainState : state
                    chosen.input_level_dbfs = state.input_level_dbfs
                } else {
                    if concord_apm_process_capture(module, chunk.baseAddress!, delay, &state) != 0 { errors += 1 }
                    chosen = state
                }
                voice = voice || chosen.voice_detected != 0
                input += Self.power(chosen.input_level_dbfs)
                output += Self.power(Self.levelDBFS(UnsafeBufferPointer(chunk)))
            }
        }
        let heard: Bool? =
            switch presence.state {
            case _ where bypass == nil: nil
            case .undecided: nil
            case .echo: true
            case .noEcho: false
            }
        return CaptureAnalysis(
            voiceDetected: voice, inputLevelDBFS: Self.dbfs(input / Double(chunks)), outputLevelDBFS: Self.dbfs(output / Double(chunks)),
            echoReturnLossEnhancementDB: state.echo_return_loss_enhancement_db >= 0 ? state.echo_return_loss_enhancement_db : nil,
            // AEC3 reports a delay even where there is no echo at all (0 or 16 ms): only where one is heard.
            echoDelayMilliseconds: heard == true && state.delay_ms >= 0 ? Int(state.delay_ms) : nil,
            echoHeard: heard)
    }

    /// `bypassChunk` delayed by `bypassAlignmentSamples`, in place: `bypassDelay` holds the
    /// samples still owed, oldest first.
    private func alignBypass() {
        let delay = bypassDelay.count, n = bypassChunk.count
        bypassJoined.removeAll(keepingCapacity: true)
        bypassJoined.append(contentsOf: bypassDelay)
        bypassJoined.append(contentsOf: bypassChunk)
        for i in 0..<n { bypassChunk[i] = bypassJoined[i] }
        for i in 0..<delay { bypassDelay[i] = bypassJoined[n + i] }
    }

    /// `chunk` (the cancelled chain's output) replaced by the plain chain's, crossfaded over the
    /// chunk where the choice changes.
    private static func choose(
        into chunk: UnsafeMutableBufferPointer<Float>, plain: UnsafeBufferPointer<Float>, from wasPlain: Bool, to isPlain: Bool
    ) {
        let n = chunk.count
        switch (wasPlain, isPlain) {
        case (false, false): return
        case (true, true): _ = chunk.update(fromContentsOf: plain)
        case (false, true), (true, false):
            for i in 0..<n {
                let fadeIn = Float(i + 1) / Float(n)
                let toPlain = isPlain ? fadeIn : 1 - fadeIn
                chunk[i] = chunk[i] * (1 - toPlain) + plain[i] * toPlain
            }
        }
    }

    private static func levelDBFS(_ chunk: UnsafeBufferPointer<Float>) -> Double {
        var energy = 0.0
        for value in chunk { energy += Double(value) * Double(value) }
        return dbfs(energy / Double(max(1, chunk.count)))
    }

    private static func power(_ dbfs: Double) -> Double { dbfs <= -100 ? 0 : pow(10, dbfs / 10) }
    private static func dbfs(_ power: Double) -> Double { power > 1e-10 ? 10 * log10(power) : -100 }
}

/// The audio processing module could not be made, in its own words.
public struct AudioProcessingError: Error, CustomStringConvertible, Sendable {
    public var description: String
}
