import Testing
@testable import Concord
import SeededRandom

/// Drives a `JitterBuffer` with synthetic packets (payload = frame index) on a 20 ms tick.
struct JitterHarness {
    var buffer: JitterBuffer
    let frameMs = 20.0
    var decisions: [(tick: Int, decision: PlayoutDecision)] = []
    /// Pending arrivals, in any order.
    var arrivals: [(at: Double, packet: VoicePacket)] = []
    var tick = 0

    init(_ settings: JitterBufferSettings = .init()) throws {
        var s = settings
        s.recordEvents = true
        buffer = try JitterBuffer(settings: s, frameSamples: 960)
    }

    static func packet(_ k: Int, sequence: Int? = nil, flags: VoicePacket.Flags = [], redundancy: [Int] = []) -> VoicePacket {
        VoicePacket(
            senderID: 1, sequenceNumber: UInt16(truncatingIfNeeded: sequence ?? k), timestamp: UInt32(k * 960), flags: flags,
            redundancy: redundancy.map { .init(timestampOffset: UInt16((k - $0) * 960), payload: frameID($0)) },
            payload: frameID(k))
    }

    /// A payload naming frame k (two bytes, big-endian).
    static func frameID(_ k: Int) -> [UInt8] { [UInt8(k >> 8), UInt8(k & 0xFF)] }
    static func frameIndex(_ payload: [UInt8]) -> Int { Int(payload[0]) << 8 | Int(payload[1]) }

    /// Frame k is captured at (k+1)·20 ms and arrives `delay` ms later.
    mutating func send(_ k: Int, delay: Double, sequence: Int? = nil, flags: VoicePacket.Flags = [], redundancy: [Int] = []) {
        arrivals.append((Double(k + 1) * frameMs + delay, Self.packet(k, sequence: sequence, flags: flags, redundancy: redundancy)))
    }

    /// Frames k ..< k + frames in one packet (sequence `sequence`), sent when the last is
    /// captured, arriving `delay` ms later; `copies` repeats the packet before's frames.
    mutating func sendBundle(
        _ k: Int, frames: Int, sequence: Int, delay: Double, flags: VoicePacket.Flags = [], copies: Bool = false
    ) {
        let primary = k + frames - 1
        let copied = copies && k >= frames ? Array((k - frames)..<k) : []
        let packet = VoicePacket(
            senderID: 1, sequenceNumber: UInt16(sequence), timestamp: UInt32(primary * 960), flags: flags,
            redundancy: copied.map { .init(timestampOffset: UInt16((primary - $0) * 960), payload: Self.frameID($0)) },
            bundledFrames: (k..<primary).map { .init(timestampOffset: UInt16((primary - $0) * 960), payload: Self.frameID($0)) },
            payload: Self.frameID(primary))
        arrivals.append((Double(primary + 1) * frameMs + delay, packet))
    }

    /// Decoded samples not yet played: the harness plays the part of `JitterBufferPlayout`
    /// without audio, pulling one frame per tick and stretching by at most half a frame per
    /// tick where the buffer asks for it (as a stretcher would, a pitch period at a time).
    var queued = 0
    var stretches: [(tick: Int, samples: Int)] = []

    mutating func run(ticks: Int) {
        for _ in 0..<ticks {
            let now = Double(tick) * frameMs
            arrivals.sort { $0.at < $1.at }
            while let first = arrivals.first, first.at <= now {
                arrivals.removeFirst()
                buffer.insert(first.packet, arrival: .milliseconds(first.at))
            }
            fill(now: now)
            let wanted = buffer.playoutCorrection(now: .milliseconds(now), queuedSamples: queued, pullSamples: 960)
            let step = max(-480, min(480, wanted, queued))
            if step != 0 {
                queued -= step
                buffer.noteStretch(samples: step)
                stretches.append((tick, step))
                fill(now: now)
            }
            queued -= min(960, queued)
            tick += 1
        }
    }

    private mutating func fill(now: Double) {
        while queued < 960 {
            let decision = buffer.nextFrame(now: .milliseconds(now), queuedSamples: queued)
            decisions.append((tick, decision))
            if decision == .silence { break }
            if case .conceal(let samples) = decision { queued += samples } else { queued += 960 }
        }
    }

    /// Frame indices in the order they were decoded.
    var playedFrames: [Int] {
        decisions.compactMap { d -> Int? in
            if case .decode(let p) = d.decision { return Self.frameIndex(p) }
            return nil
        }
    }

    func count(_ match: (PlayoutDecision) -> Bool) -> Int { decisions.filter { match($0.decision) }.count }
}

@Suite struct JitterBufferTests {
    @Test func steadyStreamPlaysEveryFrameInOrderAndDrainsToTheMinimumDelay() throws {
        var h = try JitterHarness()
        for k in 0..<400 { h.send(k, delay: 30, flags: k == 399 ? [.dtx] : []) }
        h.run(ticks: 410)
        #expect(h.playedFrames == Array(0..<400))
        let s = h.buffer.statistics
        #expect(s.concealedSamples == 0 && s.packetsDiscarded == 0)
        #expect(s.targetDelayMilliseconds == 1)  // one histogram bucket
        // Started at the initial 80 ms target, then stretched down: frames arrive 10 ms before
        // a tick and are needed at that tick, so after the first second each waits 10 ms.
        #expect(s.removedSamplesForAcceleration > 0 && s.insertedSamplesForDeceleration == 0)
        let events = h.buffer.takeEvents()
        let firstSecond = events.prefix { $0.playoutTime < .milliseconds(1_000) }
        #expect(firstSecond.contains { $0.stretchedSamples < 0 })
        let waits = events.dropFirst(firstSecond.count).compactMap(\.bufferDelayMilliseconds)
        #expect(waits.allSatisfy { abs($0 - 10) < 1e-6 }, "\(Set(waits))")
        #expect(!h.stretches.contains { $0.tick >= 50 })
    }

    @Test func reorderedPacketsAreReorderedAndDuplicatesDropped() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 40)))
        for k in 0..<100 {
            // Swap each pair: odd frames overtake even ones by 10 ms.
            h.send(k, delay: k % 2 == 0 ? 30 : 10, flags: k == 99 ? [.dtx] : [])
            if k % 10 == 0 { h.send(k, delay: 35) }  // a duplicate
        }
        h.run(ticks: 110)
        #expect(h.playedFrames == Array(0..<100))
        #expect(h.buffer.statistics.packetsDiscardedDuplicate == 10)
        #expect(h.buffer.statistics.concealedSamples == 0)
    }

    @Test func lossIsConcealedOrRecoveredFromFECOrRedundancy() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 40)))
        for k in 0..<60 where k != 20 && k != 40 && k != 50 {
            h.send(k, delay: 5, flags: k == 21 ? [.fec] : k == 59 ? [.dtx] : [], redundancy: k == 41 ? [40] : [])
        }
        h.run(ticks: 70)
        #expect(h.count { if case .decodeFEC(let next) = $0 { return next == JitterHarness.frameID(21) } else { return false } } == 1)
        #expect(h.playedFrames.contains(40))  // from frame 41's redundant copy
        #expect(!h.playedFrames.contains(50))
        let s = h.buffer.statistics
        #expect(s.fecRecoveredSamples == 960)
        #expect(s.redundancyRecoveredSamples == 960)
        #expect(s.concealedSamples == 960 && s.concealmentEvents == 1)
    }

    /// A lost frame with the next one already here: an adaptive buffer conceals it only as long
    /// as the frames behind keep ¾ of the target (NetEq's merge), at least half a frame, in
    /// 2.5 ms steps, then stretches back up; a fixed buffer conceals the whole frame.
    /// Every fourth frame `jitter` ms late: the target covers it, so frame 151 is here when 150
    /// is due, and the frames play 20 ms or more above ¾ of the target: half a frame is concealed.
    /// No jitter and a 30 ms floor: frames play at 30 ms, 7.5 ms above ¾ of it, so 12.5 ms.
    @Test(arguments: [(10.0, 0, 480), (30.0, 0, 480), (0.0, 30, 600)])
    func aLossWithTheNextFrameHereIsConcealedShorter(jitter: Double, minimum: Int, expected: Int) throws {
        var settings = JitterBufferSettings()
        settings.minimumDelayMilliseconds = minimum
        var h = try JitterHarness(settings)
        for k in 0..<300 where k != 150 { h.send(k, delay: 10 + (k % 4 == 1 ? jitter : 0), flags: k == 299 ? [.dtx] : []) }
        h.run(ticks: 320)
        let concealments = h.decisions.compactMap { d -> Int? in if case .conceal(let n) = d.decision { n } else { nil } }
        #expect(concealments == [expected])
        #expect(h.playedFrames == Array(0..<150) + Array(151..<300))
        let s = h.buffer.statistics
        #expect(s.concealedSamples == expected && s.concealmentEvents == 1)
        let events = h.buffer.takeEvents()
        let lost = try #require(events.firstIndex { $0.outcome == .concealed })
        #expect(events[lost].samples == expected)
        // Frame 151 starts where the shortened concealment ends, at no less than ¾ of the target.
        let next = events[lost + 1]
        #expect(next.timestamp.map { $0 / 960 } == 151)
        #expect(abs(next.playoutTime.milliseconds - events[lost].playoutTime.milliseconds - Double(expected) / 48) < 1e-9)
        // The cut is taken back by stretching.
        #expect(h.stretches.contains { $0.tick > 150 && $0.tick < 170 && $0.samples < 0 })

        var fixed = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 60)))
        for k in 0..<300 where k != 150 { fixed.send(k, delay: 10 + (k % 4 == 1 ? jitter : 0), flags: k == 299 ? [.dtx] : []) }
        fixed.run(ticks: 320)
        #expect(fixed.decisions.compactMap { d -> Int? in if case .conceal(let n) = d.decision { n } else { nil } } == [960])
    }

    /// A frame that is late, not lost, is waited for half a frame at a time and then played:
    /// frames arrive every 20 ms, 5–15 ms before they are due, until frame 50, which with all
    /// after it comes 18 ms later. A pull of 10 ms finds it missing with nothing behind it,
    /// conceals one step, and the next plays it — the delay grew by 10 ms, not a frame. A fixed
    /// buffer waits whole frames.
    @Test(arguments: [(JitterBufferSettings.Mode.adaptive, 480), (.fixed(milliseconds: 5), 960)])
    func aLateFrameIsWaitedForInHalfFrameSteps(mode: JitterBufferSettings.Mode, expected: Int) throws {
        var settings = JitterBufferSettings()
        settings.mode = mode
        settings.initialDelayMilliseconds = 5
        settings.recordEvents = true
        var buffer = try JitterBuffer(settings: settings, frameSamples: 960)
        var arrivals = (0..<100).map { k in
            (at: Double(k + 1) * 20 + 5 + (k >= 50 ? 18 : 0), packet: JitterHarness.packet(k, flags: k == 99 ? [.dtx] : []))
        }
        var queued = 0
        var decoded: [Int] = []
        var concealments: [(at: Double, samples: Int)] = []
        for tick in 0..<250 {
            let now = Double(tick) * 10
            while let first = arrivals.first, first.at <= now {
                arrivals.removeFirst()
                buffer.insert(first.packet, arrival: .milliseconds(first.at))
            }
            pull: while queued < 480 {
                switch buffer.nextFrame(now: .milliseconds(now), queuedSamples: queued, silenceSamples: 480 - queued) {
                case .silence: break pull
                case .decode(let payload):
                    decoded.append(JitterHarness.frameIndex(payload))
                    queued += 960
                case .conceal(let samples):
                    concealments.append((now + Double(queued) / 48, samples))
                    queued += samples
                case .decodeFEC: Issue.record("no FEC was sent")
                }
            }
            queued -= min(480, queued)
        }
        #expect(decoded == Array(0..<100))
        #expect(concealments.map(\.samples) == [expected])
        #expect(buffer.statistics.concealedSamples == expected && buffer.statistics.packetsDiscarded == 0)
        let events = buffer.takeEvents()
        let frame49 = try #require(events.first { $0.timestamp == 49 * 960 && $0.outcome == .decoded })
        let frame50 = try #require(events.first { $0.timestamp == 50 * 960 && $0.outcome == .decoded })
        #expect(concealments.first?.at == frame49.playoutTime.milliseconds + 20)
        #expect(frame50.playoutTime.milliseconds == frame49.playoutTime.milliseconds + 20 + Double(expected) / 48)
    }

    /// The per-frame log of a wait joins into one event per frame waited, and only that:
    /// shortened concealments of other frames, whole-frame events and NetEq's (no samples) stay.
    @Test func waitingStepsJoinIntoOneEventPerFrame() {
        func event(_ ms: Double, _ frame: Int64?, _ outcome: PlayoutOutcome, samples: Int?, stretch: Int = 0) -> PlayoutEvent {
            var e = PlayoutEvent(
                playoutTime: .milliseconds(ms), timestamp: frame.map { $0 * 960 }, outcome: outcome, bufferDelayMilliseconds: nil,
                targetDelayMilliseconds: 20)
            e.samples = samples
            e.stretchedSamples = stretch
            return e
        }
        let log = [
            event(0, 1, .decoded, samples: nil),
            // Frame 2 waited for in three steps: a whole frame, then half of the next.
            event(20, 2, .concealed, samples: 480), event(30, 2, .concealed, samples: 480, stretch: -48),
            event(40, 2, .concealed, samples: 480),
            // Frame 3 lost with frame 4 here: a shortened concealment of its own.
            event(50, 3, .concealed, samples: 600), event(62.5, 4, .decoded, samples: nil),
            // Whole concealed frames (NetEq's, or a fixed buffer's) are never joined.
            event(82.5, 5, .concealed, samples: nil), event(102.5, 5, .concealed, samples: nil),
        ]
        let merged = PlayoutEvent.mergingWaitingSteps(log, frameSamples: 960)
        #expect(merged.map(\.playoutTime.milliseconds) == [0, 20, 40, 50, 62.5, 82.5, 102.5])
        #expect(merged.map(\.samples) == [nil, nil, 480, 600, nil, nil, nil])
        #expect(merged[1].stretchedSamples == -48)
    }

    /// Packets of three frames: every frame plays once, in order; the target covers the 40 ms
    /// the oldest frame of each packet waited for it, and no more than the path adds.
    @Test func bundledFramesPlayInOrderAtTheirPacketsDelay() throws {
        var h = try JitterHarness()
        for p in 0..<100 { h.sendBundle(3 * p, frames: 3, sequence: p, delay: 30, flags: p == 99 ? [.dtx] : []) }
        h.run(ticks: 310)
        #expect(h.playedFrames == Array(0..<300))
        let s = h.buffer.statistics
        #expect(s.concealedSamples == 0 && s.packetsDiscarded == 0)
        #expect(s.packetsReceived == 100)
        #expect(s.targetDelayMilliseconds >= 40 && s.targetDelayMilliseconds <= 42, "\(s.targetDelayMilliseconds)")
    }

    /// A lost packet of three frames is rebuilt from the next packet's copies of all three; a
    /// pause between packets without a DTX flag is told from loss by the sequence numbers.
    @Test func bundledLossIsRecoveredFromCopiesAndPausesAreNotLoss() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 100)))
        for p in 0..<20 where p != 10 { h.sendBundle(3 * p, frames: 3, sequence: p, delay: 10, copies: true) }
        // Silence from frame 60 to 90, then packets 20 ... 29 go on with no flag.
        for p in 20..<30 { h.sendBundle(3 * p + 30, frames: 3, sequence: p, delay: 10, flags: p == 29 ? [.dtx] : []) }
        h.run(ticks: 140)
        #expect(h.playedFrames == Array(0..<60) + Array(90..<120))
        let s = h.buffer.statistics
        #expect(s.redundancyRecoveredSamples == 3 * 960)
        #expect(s.packetsDiscarded == 0)
        // Until frame 90 arrives the receiver cannot tell the pause from loss and conceals while
        // it waits (as with one frame per packet); the lost packet itself costs nothing.
        let beforePause = h.decisions.prefix { $0.decision != .decode(JitterHarness.frameID(59)) }
        #expect(!beforePause.contains { if case .conceal = $0.decision { true } else { false } })
    }

    @Test func dtxGapsPlaySilenceNotConcealment() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 20)))
        // Talk 0..<20, silent 20..<50 (frame 19 flagged DTX), talk again 50..<70.
        for k in 0..<20 { h.send(k, delay: 15, sequence: k, flags: k == 19 ? [.dtx] : []) }
        for k in 50..<70 { h.send(k, delay: 15, sequence: k - 30, flags: k == 50 ? [.talkspurtStart] : k == 69 ? [.dtx] : []) }
        h.run(ticks: 80)
        #expect(h.playedFrames == Array(0..<20) + Array(50..<70))
        #expect(h.buffer.statistics.concealedSamples == 0)
        #expect(h.buffer.statistics.silentSamples >= 30 * 960)
    }

    @Test func pauseWithoutDTXFlagIsRecognisedFromSequenceNumbers() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 20)))
        for k in 0..<20 { h.send(k, delay: 15, sequence: k) }
        for k in 50..<70 { h.send(k, delay: 15, sequence: k - 30) }
        h.run(ticks: 80)
        #expect(h.playedFrames == Array(0..<20) + Array(50..<70))
        // Until frame 50 arrives the receiver cannot know the gap is a pause: it conceals
        // while waiting (then gives up at the stall limit), but never mistakes it for loss after.
        #expect(h.buffer.statistics.packetsDiscarded == 0)
    }

    @Test func latePacketsAfterTheirFrameAreDiscardedAndCounted() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 20)))
        for k in 0..<40 { h.send(k, delay: k == 20 ? 200 : 10) }
        h.run(ticks: 60)
        #expect(!h.playedFrames.contains(20))
        #expect(h.buffer.statistics.packetsDiscardedLate == 1)
    }

    /// A delay spike with nothing else arriving: the buffer waits (conceals) and then plays the
    /// late packets instead of discarding them — the delay grows rather than audio breaking twice.
    @Test func delaySpikeStretchesPlayoutInsteadOfDroppingPackets() throws {
        var h = try JitterHarness(JitterBufferSettings(mode: .fixed(milliseconds: 0)))
        for k in 0..<100 {
            // Frames 40..<45 are held 100 ms (a queue building and draining), then back to 10 ms.
            h.send(k, delay: (40..<45).contains(k) ? 100 - Double(k - 40) * 20 : 10)
        }
        h.run(ticks: 120)
        #expect(h.playedFrames == Array(0..<100))
        #expect(h.buffer.statistics.packetsDiscardedLate == 0)
        #expect(h.buffer.statistics.concealedSamples > 0)
    }

    /// Frame k arrives at (k + 1)·20 + 30 ms. Holding the 80 ms guess (a target of 81 ms, its
    /// bucket's upper edge), frame 0 (transit 50 ms) would be due at 131 ms and play at tick 7;
    /// three transits agreeing within a bucket drop the guess when frame 2 arrives (90 ms), so
    /// it plays at the next tick, 5. Two milliseconds of disagreement keep the guess.
    @Test(arguments: [(0.0, 5, 1.0), (2.0, 7, 81.0)])
    func firstArrivalsThatAgreeDropTheInitialGuess(disagreement: Double, firstTick: Int, target: Double) throws {
        var h = try JitterHarness()
        for k in 0..<50 { h.send(k, delay: 30 + (k == 2 ? disagreement : 0)) }
        h.run(ticks: 6)
        #expect(h.buffer.targetDelayMilliseconds == target)
        h.run(ticks: 44)
        let firstDecode = h.decisions.first { if case .decode = $0.decision { true } else { false } }
        #expect(firstDecode?.tick == firstTick)
        #expect(h.playedFrames.prefix(3) == [0, 1, 2])
    }

    @Test func adaptiveTargetRisesWithinAFewFramesOfJitterAndDrainsAfter() throws {
        var h = try JitterHarness()
        var rng = SplitMix64(seed: 7)
        // 0–10 s: clean 20 ms; 10–20 s: every third packet +120 ms; 20–40 s: clean again.
        for k in 0..<2_000 {
            let spike = (500..<1_000).contains(k) && k % 3 == 0
            h.send(k, delay: 20 + Double.random(in: 0..<1, using: &rng) + (spike ? 120 : 0))
        }
        var targets: [Double] = []
        for _ in 0..<2_010 {
            h.run(ticks: 1)
            targets.append(h.buffer.targetDelayMilliseconds)
        }
        #expect(targets[490] < 10)
        // The first spiked packet (frame 501) arrives at tick ~513; within a few packets the
        // target covers the spike.
        let risen = targets[500...].firstIndex { $0 >= 100 }!
        #expect(risen - 513 <= 15, "target reached 100 ms at tick \(risen)")
        #expect(targets[900] >= 100 && targets[900] <= 160)
        // Drains after the spike ends (tick ~1010), within a few seconds.
        #expect(targets[1_400] < 10)
        #expect(targets.allSatisfy { $0 >= 0 && $0 <= 1_000 })
        let s = h.buffer.statistics
        // With the target covering the spike, spiked packets are played, not discarded.
        #expect(Double(s.packetsDiscardedLate) < 0.05 * 500 / 3)
    }

    @Test func targetStaysWithinMinimumAndMaximum() throws {
        var settings = JitterBufferSettings()
        settings.minimumDelayMilliseconds = 40
        settings.maximumDelayMilliseconds = 100
        settings.initialDelayMilliseconds = 60
        var h = try JitterHarness(settings)
        for k in 0..<300 { h.send(k, delay: k % 2 == 0 ? 10 : 300) }
        var targets: [Double] = []
        for _ in 0..<300 {
            h.run(ticks: 1)
            targets.append(h.buffer.targetDelayMilliseconds)
        }
        #expect(targets.allSatisfy { (40...100).contains($0) })
        #expect(targets.last == 100)
    }

    @Test func invalidSettingsNameTheAllowedRange() {
        var s = JitterBufferSettings()
        s.minimumDelayMilliseconds = 500
        s.maximumDelayMilliseconds = 100
        #expect(throws: JitterBufferError.self) { try JitterBuffer(settings: s, frameSamples: 960) }
        #expect(throws: JitterBufferError.self) {
            try JitterBuffer(settings: JitterBufferSettings(mode: .fixed(milliseconds: -5)), frameSamples: 960)
        }
    }

    @Test func statisticsAddUp() throws {
        var h = try JitterHarness()
        for k in 0..<150 where k % 7 != 3 { h.send(k, delay: 25) }
        h.run(ticks: 160)
        let s = h.buffer.statistics
        let events = h.buffer.takeEvents()
        #expect(events.count == h.decisions.count)
        // Silence before the first packet is not counted (the stream has not started).
        let idle = events.prefix { $0.outcome == .silence }.count
        #expect(s.totalSamplesReceived == events.dropFirst(idle).map { $0.samples ?? 960 }.reduce(0, +))
        #expect(s.concealedSamples == events.filter { $0.outcome == .concealed }.map { $0.samples ?? 960 }.reduce(0, +))
        #expect(s.removedSamplesForAcceleration == h.stretches.map(\.samples).filter { $0 > 0 }.reduce(0, +))
        #expect(s.insertedSamplesForDeceleration == -h.stretches.map(\.samples).filter { $0 < 0 }.reduce(0, +))
        #expect(events.map(\.stretchedSamples).reduce(0, +) == -h.stretches.map(\.samples).reduce(0, +))
        #expect(s.jitterBufferEmittedCount == events.filter { $0.bufferDelayMilliseconds != nil }.count * 960)
        let meanWait = events.compactMap(\.bufferDelayMilliseconds).reduce(0, +) / Double(s.jitterBufferEmittedCount / 960)
        #expect(abs(s.meanJitterBufferDelayMilliseconds - meanWait) < 1e-9)
        var runs = 0
        var previous = PlayoutOutcome.silence
        for e in events {
            if e.outcome == .concealed && previous != .concealed { runs += 1 }
            previous = e.outcome
        }
        #expect(s.concealmentEvents == runs)
    }
}
