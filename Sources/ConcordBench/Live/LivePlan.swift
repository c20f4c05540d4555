import Concord
import Foundation

/// What a live run of a scenario does for each participant: the `concord join` options that
/// give its client the scenario's codec, buffer and protection, and when its process starts and
/// stops. Built before anything runs, so that a scenario the live mode cannot honour is
/// rejected with its field and the reason.
public struct LivePlan: Sendable {
    public struct Participant: Sendable {
        public var name: String
        /// When the process starts (the participant joins), seconds from the origin.
        public var startSeconds: Double
        /// When it is told to leave (SIGTERM) or killed (SIGKILL); nil: at the end of the run.
        public var stopSeconds: Double?
        public var crashes: Bool
    }

    public var participants: [Participant]
    /// The codec, buffer and protection options every client gets.
    public var engineArguments: [String]
    public var roomID: String

    /// The run as `scenario` describes it, or the first thing in it the live mode cannot do.
    public init(_ scenario: ResolvedScenario) throws(LiveRunError) {
        func unsupported(_ field: String, _ reason: String) -> LiveRunError { .unsupported(field: field, reason: reason) }
        for (i, p) in scenario.participants.enumerated() where p.clockPPM != 0 {
            throw unsupported(
                "participants[\(i)].clock_ppm",
                "real clients play on this machine's clock; the live mode cannot give one a sound card that drifts")
        }
        for (i, p) in scenario.participants.enumerated() where p.acoustics != nil {
            throw unsupported(
                "participants[\(i)].acoustics",
                "real clients capture from WAV files; the live mode cannot put a room between one's output and its input")
        }
        if scenario.jitterBufferKind == .neteq {
            throw unsupported("jitter_buffer.mode", "neteq runs only in the simulator (concord join plays with Concord's buffer)")
        }
        let defaults = JitterBufferSettings()
        if case .fixed = scenario.jitterBuffer.mode {
            throw unsupported("jitter_buffer.mode", "concord join has no fixed buffer; only adaptive runs live")
        }
        if scenario.jitterBuffer.initialDelayMilliseconds != defaults.initialDelayMilliseconds {
            let clamped = min(
                max(defaults.initialDelayMilliseconds, scenario.jitterBuffer.minimumDelayMilliseconds),
                scenario.jitterBuffer.maximumDelayMilliseconds)
            if scenario.jitterBuffer.initialDelayMilliseconds != clamped {
                throw unsupported("jitter_buffer.initial_ms", "concord join has no option for the buffer's start-up delay")
            }
        }
        if scenario.jitterBuffer.lateLossWorthMilliseconds != defaults.lateLossWorthMilliseconds {
            throw unsupported("jitter_buffer.late_loss_worth_ms", "concord join prices late loss as the E-model does; it has no option for it")
        }
        let codec = scenario.codec
        guard [10, 20].contains(codec.frameMilliseconds) else {
            throw unsupported("codec.frame_ms", "concord join sends 10 or 20 ms frames, not \(codec.frameMilliseconds)")
        }
        guard codec.application == .voip else { throw unsupported("codec.application", "concord join encodes as voip") }
        guard codec.variableBitrate else { throw unsupported("codec.vbr", "concord join encodes with a variable bitrate") }
        if scenario.redundantFrames > 0 {
            throw unsupported("codec.redundancy", "concord join sends copies only as its listeners' reports ask (protection adaptive)")
        }
        if scenario.adaptiveProtection, let copy = scenario.copyBitrate, copy != ProtectionPolicy.copyBitrate(forPrimary: codec.bitrate) {
            throw unsupported(
                "codec.copy_bitrate",
                "concord join makes copies at \(ProtectionPolicy.copyBitrate(forPrimary: codec.bitrate)) b/s for \(codec.bitrate) b/s")
        }
        if !scenario.sealed { throw unsupported("sealed", "concord join always seals its datagrams") }

        var arguments = ["--bitrate", "\(codec.bitrate)", "--frame-ms", "\(codec.frameMilliseconds)", "--complexity", "\(codec.complexity)"]
        // The scenario's capture processing, as concord join's flags (by default it would process).
        let processing = scenario.audioProcessing
        if processing?.echoCancellation != true { arguments.append("--no-echo-cancel") }
        if processing?.noiseSuppression != true { arguments.append("--no-noise-suppression") }
        if processing?.gainControl == true { arguments.append("--agc") }
        if processing?.echoCancellation == true && processing?.residualEchoSuppression == false {
            throw unsupported("audio_processing.residual_echo_suppression", "concord join always suppresses the residual echo when it cancels echo")
        }
        if codec.dtx { arguments.append("--dtx") }
        if !scenario.adaptiveProtection {
            if codec.inbandFEC {
                arguments += ["--fec", "--expected-loss", "\(max(1, codec.expectedLossPercent))"]
            } else {
                arguments.append("--no-protection")
            }
        }
        if scenario.jitterBuffer.minimumDelayMilliseconds != defaults.minimumDelayMilliseconds {
            arguments += ["--jb-min-ms", "\(scenario.jitterBuffer.minimumDelayMilliseconds)"]
        }
        if scenario.jitterBuffer.maximumDelayMilliseconds != defaults.maximumDelayMilliseconds {
            arguments += ["--jb-max-ms", "\(scenario.jitterBuffer.maximumDelayMilliseconds)"]
        }
        engineArguments = arguments
        roomID = Self.roomID(of: scenario)
        participants = scenario.participants.map { p in
            Participant(
                name: p.name, startSeconds: p.joinSeconds, stopSeconds: p.crashSeconds ?? p.leaveSeconds, crashes: p.crashSeconds != nil)
        }
    }
}

extension LivePlan {
    /// Real clients always meet in a room: a scenario's own, else one named after the scenario
    /// (or "live" when its name is too long for a room id).
    static func roomID(of scenario: ResolvedScenario) -> String {
        if let id = scenario.roomID { return id }
        return scenario.name.utf8.count <= RoomMessage.maxIdentifierBytes ? scenario.name : "live"
    }

    /// `scenario` as the live mode runs it, for the virtual-time run it is compared with: in a
    /// room (a fixed mesh has no room protocol, whose traffic and joins the live run has).
    public static func asRun(_ scenario: ResolvedScenario) -> ResolvedScenario {
        var s = scenario
        s.roomID = roomID(of: scenario)
        return s
    }
}

/// Why a live run could not start or could not be measured, in one sentence.
public enum LiveRunError: Error, CustomStringConvertible, Equatable {
    /// A scenario feature real clients cannot honour.
    case unsupported(field: String, reason: String)
    /// The `concord` program cannot be run.
    case clientUnavailable(path: String, reason: String)
    /// A client ended before its time, or left no log.
    case clientFailed(name: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case let .unsupported(field, reason): "the live mode cannot run this scenario: \(field): \(reason)"
        case let .clientUnavailable(path, reason): "cannot run the client \(path): \(reason)"
        case let .clientFailed(name, reason): "participant \(name)'s client failed: \(reason)"
        case let .cannotWrite(path, reason): "cannot write \(path): \(reason)"
        }
    }
}
