import Testing
@testable import Concord

/// The proof: two people talk for over 10 s through a fixed-delay link in virtual time.
@Suite struct TwoPersonCallTests {
    static let linkDelay = 30.0

    /// Mouth-to-ear latency predicted from the parts: one frame of capture, the encoder's
    /// lookahead, the link, and the time each played packet waited in the jitter buffer.
    static func predictedLatencySamples(_ call: InMemoryCall, listener: Int, talker: PeerID, lookahead: Int) -> Double {
        let played = call.events(listener: listener, talker: talker).compactMap(\.bufferDelayMilliseconds)
        let wait = played.reduce(0, +) / Double(played.count)
        return Double(call.frameSamples + lookahead) + (linkDelay + wait) * 48
    }

    @Test func eachHearsTheOtherDelayedByThePredictedLatency() throws {
        let alice = try InMemoryCall.fixture("a.wav"), bob = try InMemoryCall.fixture("b.wav")
        let codec = OpusSettings(bitrate: 32_000)
        let call = try InMemoryCall(
            sources: [alice, bob], codec: codec, jitterBuffer: JitterBufferSettings(mode: .fixed(milliseconds: 0)),
            delayMilliseconds: Self.linkDelay)
        try call.run(seconds: 12)
        let lookahead = call.participants[0].sender.encoder.lookaheadSamples
        for (listener, talker, source) in [(1, PeerID(1), alice), (0, PeerID(2), bob)] {
            let track = call.track(listener: listener, talker: talker)
            let best = TestSignals.bestLag(source, track, range: 0...9_600)
            let predicted = Self.predictedLatencySamples(call, listener: listener, talker: talker, lookahead: lookahead)
            #expect(abs(Double(best.lag) - predicted) <= Double(call.frameSamples), "lag \(best.lag), predicted \(predicted)")
            #expect(best.correlation >= 0.9, "normalised correlation \(best.correlation)")
            let stats = call.participants[listener].receiver(for: talker)!.statistics
            #expect(stats.concealedSamples == 0)
            #expect(stats.packetsDiscarded == 0)
        }
    }

    @Test func inbandFECRecoversMostOfTenPercentRandomLoss() throws {
        let codec = OpusSettings(bitrate: 32_000, inbandFEC: true, expectedLossPercent: 10)
        let call = try InMemoryCall(
            sources: [try InMemoryCall.fixture("a.wav"), try InMemoryCall.fixture("b.wav")], codec: codec,
            delayMilliseconds: Self.linkDelay, lossRate: 0.10, seed: 42)
        try call.run(seconds: 30)
        let lossRate = Double(call.droppedPackets) / Double(call.sentPackets)
        #expect(abs(lossRate - 0.10) < 0.02)
        for listener in 0..<2 {
            let stats = call.participants[listener].receivers[0].statistics
            // Only losses of two or more packets in a row (≈ loss² of frames) cannot come from FEC.
            #expect(stats.concealmentRatio < 0.03, "concealment ratio \(stats.concealmentRatio)")
            #expect(stats.fecRecoveredSamples > 0)
        }
    }
}
