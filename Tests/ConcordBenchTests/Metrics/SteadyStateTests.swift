@testable import Concord
import Testing

@testable import ConcordBench

/// The steady-state rule on constructed playout: it starts where the target has held within
/// the band for the hold time without time-stretching, and nowhere else.
@Suite struct SteadyStateTests {
    /// 20 ms ticks from `from` to `to` seconds with a target of `target(t)` and outcome `outcome(t)`.
    static func ticks(
        _ from: Double, _ to: Double, target: (Double) -> Double, outcome: (Double) -> PlayoutOutcome = { _ in .decoded }
    ) -> [PlayoutEvent] {
        stride(from: from, to: to, by: 0.02).map { t in
            PlayoutEvent(
                playoutTime: Instant(nanoseconds: Int64((t * 1e9).rounded())), timestamp: nil, outcome: outcome(t),
                bufferDelayMilliseconds: nil, targetDelayMilliseconds: target(t))
        }
    }

    /// An adaptive buffer that starts at 120 ms, decays to 40 ms by 3 s while accelerating every
    /// tenth tick, then holds: steady from the first tick after the last acceleration.
    @Test func settlesAfterTheLastStretchOnceTheTargetHolds() throws {
        let playout = Self.ticks(0, 10, target: { t in t < 3 ? 120 - 80 * t / 3 : 40 }) { t in
            t < 3.5 && Int((t * 50).rounded()) % 10 == 0 ? .accelerated : .decoded
        }
        let lastStretch = try #require(playout.lastIndex { $0.outcome == .accelerated })
        let start = try #require(SteadyState.start(of: playout))
        #expect(start == playout[lastStretch + 1].playoutTime.seconds)
        #expect(start >= 3.4 && start < 3.5)
    }

    /// Concord's buffer marks a stretch on the frame's own event, not as its outcome.
    @Test func aStretchedFrameCountsAsAStretch() throws {
        var playout = Self.ticks(0, 10, target: { _ in 40 })
        let stretched = try #require(playout.firstIndex { $0.playoutTime.seconds >= 1 })
        playout[stretched].stretchedSamples = -240
        let start = try #require(SteadyState.start(of: playout))
        #expect(start == playout[stretched + 1].playoutTime.seconds)
    }

    /// The target moves by less than the band: it still holds; it moves by more: not yet.
    @Test func theBandIsWhatTheTargetMayWander() throws {
        let wobble = Self.ticks(0, 6, target: { t in 40 + (Int(t * 10) % 2 == 0 ? 0 : SteadyState.bandMilliseconds) })
        #expect(SteadyState.start(of: wobble) == 0)
        // A 15 ms step at 2 s: a window that straddles it fails, the first one after it holds.
        let step = Self.ticks(0, 6, target: { t in t < 2 ? 40 : 55 })
        let start = try #require(SteadyState.start(of: step))
        #expect(abs(start - 2) < 0.011)
    }

    @Test func silenceBeforeTheTalkerIsNotTheBuffer() throws {
        let playout = Self.ticks(0, 6, target: { _ in 60 }) { t in t < 1.5 ? .silence : .decoded }
        let start = try #require(SteadyState.start(of: playout))
        #expect(abs(start - 1.5) < 0.011)
    }

    /// A target that swings 30 ms every second, or a run shorter than the hold, never settles.
    @Test func aBufferThatNeverHoldsHasNoSteadyState() {
        #expect(SteadyState.start(of: Self.ticks(0, 20, target: { t in Int(t) % 2 == 0 ? 40 : 70 })) == nil)
        #expect(SteadyState.start(of: Self.ticks(0, SteadyState.holdSeconds - 0.1, target: { _ in 40 })) == nil)
        #expect(SteadyState.start(of: []) == nil)
    }

    /// An adaptive buffer holds its starting guess until it has learnt the path: that plateau
    /// is not a steady state, which is what the learning horizon is for.
    @Test func theStartingGuessIsNotASteadyState() throws {
        let playout = Self.ticks(0, 10, target: { t in t < 3.9 ? 85 : 5 })
        #expect(SteadyState.start(of: playout) == 0)
        let start = try #require(SteadyState.start(of: playout, learntAt: Instant(nanoseconds: 3_500_000_000)))
        #expect(abs(start - 3.9) < 0.011)
        // The 80 ms guess weighs a sixteenth of an arrival, p = 0.017/16: its share of the mass
        // after n arrivals is p·fⁿ / (p·fⁿ + 1 − fⁿ), f = 0.983; priced at 15 750 ms it is worth
        // 80.2 ms after 11 arrivals and 72.9 ms after 12.
        #expect(SteadyState.learningArrivals(JitterBufferSettings()) == 12)
        var fixed = JitterBufferSettings()
        fixed.mode = .fixed(milliseconds: 60)
        #expect(SteadyState.learningArrivals(fixed) == 0)
    }
}
