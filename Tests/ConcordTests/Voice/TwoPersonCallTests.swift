import ConcordTesting
import SimNet
import Testing
@testable import Concord

/// The proof: two people talk for over 10 s through a fixed-delay link in virtual time.
@Suite struct TwoPersonCallTests {
    static let linkDelay = 30.0

    /// Two clients in a fixed mesh over a link of `linkDelay` ms, each talking `sources[i]`.
    static func call(
        _ sources: [[Float]], codec: OpusSettings, jitterBuffer: JitterBufferSettings = .init(), loss: LossModel = .none,
        seed: UInt64 = 1
    ) -> SimNetRoom {
        var jitterBuffer = jitterBuffer
        jitterBuffer.recordEvents = true
        let link = PathConditions(delay: .milliseconds(Int(linkDelay)), loss: loss)
        let call = SimNetRoom(
            count: sources.count, seed: seed, conditions: link, membership: .fixedMesh, microphones: .sources(sources),
            codec: codec, jitterBuffer: jitterBuffer)
        for i in sources.indices { call.start(i) }
        return call
    }

    /// Mouth-to-ear latency predicted from the parts: one frame of capture, the encoder's
    /// lookahead, the link, and the time each played packet waited in the jitter buffer.
    static func predictedLatencySamples(_ call: SimNetRoom, listener: Int, talker: Int, lookahead: Int) -> Double {
        let played = call.playoutEvents(listener, from: talker).compactMap(\.bufferDelayMilliseconds)
        let wait = played.reduce(0, +) / Double(played.count)
        return Double(call.frameSamples + lookahead) + (linkDelay + wait) * 48
    }

    @Test func eachHearsTheOtherDelayedByThePredictedLatency() throws {
        let alice = try Fixtures.samples("a.wav"), bob = try Fixtures.samples("b.wav")
        let codec = OpusSettings(bitrate: 32_000)
        let call = Self.call([alice, bob], codec: codec, jitterBuffer: JitterBufferSettings(mode: .fixed(milliseconds: 0)))
        call.run(for: .seconds(12))
        let lookahead = call.client(0).participant.sender.encoder.lookaheadSamples
        for (listener, talker, source) in [(1, 0, alice), (0, 1, bob)] {
            let track = call.track(listener, from: talker)
            let best = TestSignals.bestLag(source, track, range: 0...9_600)
            let predicted = Self.predictedLatencySamples(call, listener: listener, talker: talker, lookahead: lookahead)
            #expect(abs(Double(best.lag) - predicted) <= Double(call.frameSamples), "lag \(best.lag), predicted \(predicted)")
            #expect(best.correlation >= 0.9, "normalised correlation \(best.correlation)")
            let stats = try #require(call.receiver(listener, from: talker)).statistics
            #expect(stats.concealedSamples == 0)
            #expect(stats.packetsDiscarded == 0)
        }
    }

    @Test func inbandFECRecoversMostOfTenPercentRandomLoss() throws {
        let codec = OpusSettings(bitrate: 32_000, inbandFEC: true, expectedLossPercent: 10)
        let call = Self.call([try Fixtures.samples("a.wav"), try Fixtures.samples("b.wav")], codec: codec, loss: .bernoulli(0.10), seed: 42)
        call.run(for: .seconds(30))
        let traffic = call.network.totalCounters
        let lossRate = Double(traffic.droppedLoss) / Double(traffic.sent)
        #expect(abs(lossRate - 0.10) < 0.02)
        for listener in 0..<2 {
            let stats = call.client(listener).participant.receivers[0].statistics
            // Only losses of two or more packets in a row (≈ loss² of frames) cannot come from FEC.
            #expect(stats.concealmentRatio < 0.03, "concealment ratio \(stats.concealmentRatio)")
            #expect(stats.fecRecoveredSamples > 0)
        }
    }
}
