/// Which streams of a run ViSQOL scores (`--speech-quality`). Scoring reads each stream's audio
/// twice (whole and steady state) and costs far more CPU than the other metrics, so a big room
/// is not scored unless asked.
public enum SpeechQualityScope: String, Sendable, CaseIterable {
    /// Every stream when the room has at most `autoStreamLimit` streams, none otherwise.
    case auto
    case all
    case none

    /// An eight-person room has 56 streams; a room with more talkers than that is scored only
    /// when asked (`all`).
    public static let autoStreamLimit = 64

    /// Whether a run with `streams` streams is scored; the reason when it is not.
    public func decision(streams: Int) -> (score: Bool, reason: String?) {
        switch self {
        case .all: return (true, nil)
        case .none: return (false, "not scored (--speech-quality none)")
        case .auto:
            return streams <= Self.autoStreamLimit
                ? (true, nil)
                : (false, "not scored: \(streams) streams is more than \(Self.autoStreamLimit) (--speech-quality all scores them)")
        }
    }
}
