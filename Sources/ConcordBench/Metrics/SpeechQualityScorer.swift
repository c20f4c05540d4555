import Concord
import SpeechQuality

/// Scores a stream's audio with ViSQOL v3 (speech mode, lattice MOS-LQO): the reference is what
/// the talker said (its source after capture), the degraded signal what the listener played of
/// that talker (its track). ViSQOL finds the lag itself; the lag it found is reported so it can
/// be checked against the stream's measured latency.
///
/// The reference ends where the talker stopped being recorded (`spokenSeconds`, the scenario's
/// duration); the track runs on through the drain, so the last words still arrive and play.
///
/// The steady-state score starts the track at `SteadyState`'s moment and the source one median
/// latency earlier, so both hold the same speech and the scorer's alignment has only the
/// jitter left to find.
public struct SpeechQualityScorer: Sendable {
    private let visqol: ViSQOL

    /// Loads ViSQOL's bundled lattice model; throws its reason when it cannot.
    public init() throws(ViSQOLError) {
        visqol = try ViSQOL()
    }

    public func score(
        _ record: StreamRecord, spokenSeconds: Double, steadyFromSeconds: Double?, medianLatencyMs: Double?
    ) -> SpeechQualityReport {
        var report = SpeechQualityReport()
        let rate = Double(AudioFormat.sampleRate)
        let limit = ViSQOL.maximumSeconds * AudioFormat.sampleRate
        let spoken = min(record.source.count, max(0, Int(spokenSeconds * rate)))
        let source = record.source[..<spoken]
        switch attempt(reference: source.prefix(limit), degraded: record.track.prefix(limit)) {
        case .success(let result):
            report.visqolMos = result.mos
            // ViSQOL's lag is negative when the degraded signal is late: the track's delay is its opposite.
            report.visqolLagMs = -result.lagSeconds * 1000
        case .failure(let reason):
            report.visqolNotScored = reason
        }
        guard let from = steadyFromSeconds else {
            report.visqolSteadyStateNotScored = "the jitter buffer never settled"
            return report
        }
        let trackStart = min(record.track.count, Int(from * rate))
        let sourceStart = min(spoken, max(0, Int((from - (medianLatencyMs ?? 0) / 1000) * rate)))
        let degraded = record.track[trackStart...].prefix(limit)
        let reference = source[sourceStart...].prefix(limit)
        switch attempt(reference: reference, degraded: degraded) {
        case .success(let result): report.visqolMosSteadyState = result.mos
        case .failure(let reason): report.visqolSteadyStateNotScored = reason
        }
        return report
    }

    private enum Attempt {
        case success(ViSQOLResult)
        case failure(String)
    }

    private func attempt(reference: ArraySlice<Float>, degraded: ArraySlice<Float>) -> Attempt {
        do {
            return .success(try visqol.score(reference: Array(reference), degraded: Array(degraded), sampleRate: AudioFormat.sampleRate))
        } catch {
            return .failure(error.description)
        }
    }
}
