import Concord

/// The capture path as the view shows it: the level that is sent, whether you are speaking, and
/// whether the echo canceller has found the echo.
public struct CaptureFigures: Sendable, Equatable {
    /// Level of what is encoded, after processing.
    public var sentLevelDBFS: Float
    /// The echo canceller is on.
    public var echoCancellation: Bool
    /// The delay the canceller found from the loudspeaker to the microphone; nil before it found one.
    public var echoDelayMilliseconds: Int?
    /// Whether the microphone hears the loudspeaker: nil while undecided; false where the
    /// canceller is bypassed (headphones, a file as the microphone).
    public var echoHeard: Bool?
    /// The voice detector hears you speak (with its hangover), on what is sent.
    public var speaking: Bool

    public init(sentLevelDBFS: Float, echoCancellation: Bool, echoDelayMilliseconds: Int? = nil, echoHeard: Bool? = nil, speaking: Bool = false) {
        self.sentLevelDBFS = sentLevelDBFS
        self.echoCancellation = echoCancellation
        self.echoDelayMilliseconds = echoDelayMilliseconds
        self.echoHeard = echoHeard
        self.speaking = speaking
    }
}
