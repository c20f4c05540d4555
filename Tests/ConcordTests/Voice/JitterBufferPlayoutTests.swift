import Testing
@testable import Concord

/// `JitterBufferPlayout` with real Opus and 10 ms pulls: a loss whose next frame is already
/// here is concealed for less than a frame, the decoder carries on from there, and the counters
/// and the event log say exactly how long.
@Suite struct JitterBufferPlayoutTests {
    /// A 20 ms-frame stream of a 200 Hz tone; every fourth packet `jitter` ms late, frame
    /// `lost` never sent; pulled 10 ms at a time for `seconds`.
    static func play(lost: Int, jitter: Double, mode: JitterBufferSettings.Mode = .adaptive, seconds: Double = 5)
        throws -> (playout: JitterBufferPlayout, events: [PlayoutEvent], output: [Float])
    {
        var settings = JitterBufferSettings(mode: mode)
        settings.recordEvents = true
        let playout = try JitterBufferPlayout(frameMilliseconds: 20, settings: settings)
        let sender = try VoiceSender(senderID: 2, settings: .init())
        let tone = TestSignals.sine(hz: 200, seconds: seconds, amplitude: 0.3)
        var arrivals: [(at: Double, packet: VoicePacket)] = []
        let frames = Int(seconds * 50)
        for k in 0..<frames {
            let bytes = try sender.send(Array(tone[(k * 960)..<((k + 1) * 960)]))
            guard let bytes, k != lost else { continue }
            arrivals.append((Double(k + 1) * 20 + 5 + (k % 4 == 1 ? jitter : 0), try VoicePacket.parse(bytes)))
        }
        arrivals.sort { $0.at < $1.at }
        var output: [Float] = []
        var events: [PlayoutEvent] = []
        var pull = [Float](repeating: 0, count: 480)
        var next = 0
        for tick in 0..<(frames * 2) {
            let now = Double(tick) * 10
            while next < arrivals.count, arrivals[next].at <= now {
                playout.receive(arrivals[next].packet, arrival: .milliseconds(arrivals[next].at))
                next += 1
            }
            _ = pull.withUnsafeMutableBufferPointer { playout.playout(now: .milliseconds(now), into: $0) }
            output += pull
            events += playout.takeEvents()
        }
        return (playout, events, output)
    }

    /// With every fourth packet 20 or 40 ms late the next frame is here when 150 is due, and the
    /// frames play 7.5–10 ms (20) and ≥ 10 ms (40) above ¾ of the target: 12.5 ms and half a frame
    /// are concealed. With 10 ms it is not here yet: the buffer conceals half a frame while it
    /// waits, by the end of which it is here, and that half stands in for the lost frame.
    @Test(arguments: [(20.0, 600), (40.0, 480), (10.0, 480)])
    func aLossWithTheNextFrameHereIsConcealedForLessThanAFrame(jitter: Double, expected: Int) throws {
        let (playout, events, output) = try Self.play(lost: 150, jitter: jitter)
        let concealed = events.filter { $0.outcome == .concealed }
        try #require(concealed.count == 1)
        let samples = concealed[0].samples ?? 960
        #expect(samples == expected)
        #expect(playout.statistics.concealedSamples == samples)
        #expect(playout.statistics.concealmentEvents == 1)
        #expect(playout.decodeErrors == 0)
        // The next frame starts where the concealment ends.
        let index = try #require(events.firstIndex { $0.outcome == .concealed })
        let after = events[index + 1]
        #expect(after.timestamp.map { $0 / 960 } == 151)
        #expect(abs(after.playoutTime.milliseconds - concealed[0].playoutTime.milliseconds - Double(samples) / 48) < 1e-6)
        // The tone carries on through the concealment without a click: no step between
        // neighbouring samples larger than the tone's own steepest (2π·200/48000·0.3 ≈ 0.008),
        // with room for Opus's coding error.
        let start = Int(concealed[0].playoutTime.milliseconds * 48) - 480
        let steps = (start..<(start + 2400)).map { abs(output[$0 + 1] - output[$0]) }
        #expect(steps.max() ?? 1 < 0.03, "\(steps.max() ?? 1)")
        // Played at no less than ¾ of the target afterwards: nothing late, nothing else concealed.
        #expect(playout.statistics.packetsDiscardedLate == 0)
    }

    /// A tone whose path delay steps up by 300 ms for two seconds and back: after the step down
    /// the playout is far above its target and speeds up, by no more than
    /// `steadySpeedUpLimit` of what it plays (plus one saved-up period) in any second; the start,
    /// whose excess is only the initial guess, is shed at up to `speedUpLimit`, faster than that.
    @Test func speedingUpIsSlowerOnceTheTargetWasMeasured() throws {
        let playout = try JitterBufferPlayout(frameMilliseconds: 20, settings: JitterBufferSettings(mode: .adaptive))
        let sender = try VoiceSender(senderID: 2, settings: .init())
        let seconds = 16.0
        let tone = TestSignals.sine(hz: 200, seconds: seconds, amplitude: 0.3)
        var arrivals: [(at: Double, packet: VoicePacket)] = []
        for k in 0..<Int(seconds * 50) {
            let sent = Double(k + 1) * 20
            let bytes = try #require(try sender.send(Array(tone[(k * 960)..<((k + 1) * 960)])))
            arrivals.append((sent + 5 + (sent >= 3000 && sent < 5000 ? 300 : 0), try VoicePacket.parse(bytes)))
        }
        arrivals.sort { $0.at < $1.at }
        var removedBySecond = [Int](repeating: 0, count: Int(seconds))
        var pull = [Float](repeating: 0, count: 480)
        var next = 0
        for tick in 0..<Int(seconds * 100) {
            let now = Double(tick) * 10
            while next < arrivals.count, arrivals[next].at <= now {
                playout.receive(arrivals[next].packet, arrival: .milliseconds(arrivals[next].at))
                next += 1
            }
            let before = playout.statistics.removedSamplesForAcceleration
            _ = pull.withUnsafeMutableBufferPointer { playout.playout(now: .milliseconds(now), into: $0) }
            removedBySecond[tick / 100] += playout.statistics.removedSamplesForAcceleration - before
        }
        let period = TimeStretcher.maximumPeriod
        let steady = Int(JitterBufferPlayout.steadySpeedUpLimit * 48_000) + period
        #expect(removedBySecond[0] > steady, "start-up: \(removedBySecond)")
        #expect(removedBySecond[0] <= Int(JitterBufferPlayout.speedUpLimit * 48_000) + period, "\(removedBySecond)")
        #expect(removedBySecond[5...].allSatisfy { $0 <= steady }, "after the step down: \(removedBySecond)")
        #expect(removedBySecond[5...].reduce(0, +) >= 100 * 48, "the excess is still shed: \(removedBySecond)")
    }

    @Test func aFixedBufferConcealsTheWholeFrame() throws {
        let (playout, events, _) = try Self.play(lost: 150, jitter: 30, mode: .fixed(milliseconds: 60))
        #expect(events.filter { $0.outcome == .concealed }.map { $0.samples ?? 960 } == [960])
        #expect(playout.statistics.concealedSamples == 960)
    }
}
