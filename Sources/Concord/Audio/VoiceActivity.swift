/// Whether a talker is speaking, from a voice detector's decision on each captured frame.
///
/// A detector decides frame by frame and says "no" inside words (stops, unvoiced consonants) and
/// in the short pauses between them; speech is taken to go on for `hangoverFrames` after the
/// last voiced frame, so neither the speaking indicator nor DTX cuts a word's tail.
public struct VoiceActivity: Sendable, Equatable {
    public let hangoverFrames: Int
    /// Frames since the last voiced one; starts past the hangover (silent until voice is heard).
    private var framesSinceVoice: Int

    /// 300 ms of hangover, in frames of `frameSamples` at 48 kHz.
    public init(frameSamples: Int) {
        self.init(hangoverFrames: max(1, 14_400 / max(1, frameSamples)))
    }

    public init(hangoverFrames: Int) {
        self.hangoverFrames = max(0, hangoverFrames)
        framesSinceVoice = self.hangoverFrames + 1
    }

    public var isSpeaking: Bool { framesSinceVoice <= hangoverFrames }

    public mutating func note(voiceDetected: Bool) {
        framesSinceVoice = voiceDetected ? 0 : min(framesSinceVoice + 1, hangoverFrames + 1)
    }
}
