/// A participant's room, as written in a scenario (`participants[i].acoustics`): what of its
/// loudspeaker reaches its microphone, and the noise around it.
public struct AcousticsSpec: Codable, Sendable, Equatable {
    /// From the loudspeaker's output to the microphone: the devices' buffers and the air (ms).
    public var echoDelayMs: Double = 40
    /// The echo at the microphone against what the loudspeaker plays (dB; 0: as loud).
    public var echoGainDB: Double = 0
    /// The synthetic room's reverberation time (ms), unless `impulse_response` gives a measured one.
    public var rt60Ms: Double = 300
    /// A room impulse response as a sound file (any libsndfile format; resampled to 48 kHz and
    /// scaled to unit energy), relative to the scenario file.
    public var impulseResponse: String?
    /// Background noise at the microphone, a sound file played in a loop, relative to the
    /// scenario file.
    public var noise: String?
    /// The participant's speech against that noise (dB, active speech level against the
    /// noise's level); default 20.
    public var snrDB: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case noise
        case echoDelayMs = "echo_delay_ms"
        case echoGainDB = "echo_gain_db"
        case rt60Ms = "rt60_ms"
        case impulseResponse = "impulse_response"
        case snrDB = "snr_db"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        echoDelayMs = try c.decodeIfPresent(Double.self, forKey: .echoDelayMs) ?? echoDelayMs
        echoGainDB = try c.decodeIfPresent(Double.self, forKey: .echoGainDB) ?? echoGainDB
        rt60Ms = try c.decodeIfPresent(Double.self, forKey: .rt60Ms) ?? rt60Ms
        impulseResponse = try c.decodeIfPresent(String.self, forKey: .impulseResponse)
        noise = try c.decodeIfPresent(String.self, forKey: .noise)
        snrDB = try c.decodeIfPresent(Double.self, forKey: .snrDB)
    }
}

/// What every participant does to its microphone before encoding (`audio_processing`): WebRTC's
/// echo canceller, noise suppressor and gain control, as the live client runs them.
public struct AudioProcessingSpec: Codable, Sendable, Equatable {
    public var echoCancellation = true
    public var noiseSuppression = true
    public var gainControl = false
    public var residualEchoSuppression = true

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case echoCancellation = "echo_cancellation"
        case noiseSuppression = "noise_suppression"
        case gainControl = "gain_control"
        case residualEchoSuppression = "residual_echo_suppression"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        echoCancellation = try c.decodeIfPresent(Bool.self, forKey: .echoCancellation) ?? echoCancellation
        noiseSuppression = try c.decodeIfPresent(Bool.self, forKey: .noiseSuppression) ?? noiseSuppression
        gainControl = try c.decodeIfPresent(Bool.self, forKey: .gainControl) ?? gainControl
        residualEchoSuppression = try c.decodeIfPresent(Bool.self, forKey: .residualEchoSuppression) ?? residualEchoSuppression
    }
}
