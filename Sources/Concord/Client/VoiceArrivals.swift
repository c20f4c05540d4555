/// One voice stream's authentic arrivals against the span of sequence numbers seen: the loss a
/// listener sees, and the figures of its receiver reports (`ReceiverReport.Stream`).
///
/// The jitter buffer's statistics count packets received and discarded but not the packets that
/// never came (they keep no sequence span), so loss needs this.
public struct VoiceArrivals: Sendable {
    private var sequences = SequenceUnwrapper<UInt16>()
    private var timestamps = SequenceUnwrapper<UInt32>()
    private var first: Int64?
    private var highest: Int64 = 0
    public private(set) var received = 0
    private var jitter = InterarrivalJitter()
    private var queueing = QueueingDelay()
    private var bursts = BurstGapCounter()
    /// Media samples between the last two consecutive sequence numbers: the talker's packet
    /// interval, to turn burst and gap lengths into milliseconds.
    private var packetSamples: Int64 = 960
    private var highestTimestamp: Int64?

    /// What the previous report was computed from (RFC 3550 A.3's "prior" counts).
    private var prior = Prior()
    private struct Prior: Sendable {
        var expected: Int64 = 0
        var received = 0
        var playout = JitterBufferStatistics()
    }

    public init() {}

    /// A packet's sequence number, without timing (loss only).
    public mutating func note(_ sequence: UInt16) {
        _ = noteSequence(sequence)
    }

    /// A packet as it arrived: sequence number, media timestamp, arrival time.
    public mutating func note(_ sequence: UInt16, timestamp: UInt32, at arrival: Instant) {
        let previous = highest
        let s = noteSequence(sequence)
        let t = timestamps.unwrap(timestamp)
        jitter.add(arrivalUnits: arrival.seconds * jitter.clockRate, timestamp: t)
        queueing.add(transitMilliseconds: arrival.milliseconds - Double(t) * 1000 / jitter.clockRate, at: arrival)
        guard s == highest else { return }
        // Only a packet that extends the sequence by exactly one says what one packet spans.
        if s == previous + 1, let highestTimestamp, t > highestTimestamp, t - highestTimestamp <= 48_000 {
            packetSamples = t - highestTimestamp
        }
        highestTimestamp = t
    }

    private mutating func noteSequence(_ sequence: UInt16) -> Int64 {
        let s = sequences.unwrap(sequence)
        received += 1
        guard first != nil else {
            first = s
            highest = s
            bursts.note(lost: false)
            return s
        }
        if s > highest {
            // Packets skipped over are lost until they show up (a late one is then counted as
            // received, but its loss stays in the burst figures, as RFC 3611 allows).
            bursts.noteLost(Int(min(s - highest - 1, 1 << 16)))
            bursts.note(lost: false)
            highest = s
        }
        return s
    }

    /// nil until a packet arrived: loss cannot be measured on a stream that delivered nothing.
    public var lossRatio: Double? {
        guard let first else { return nil }
        let expected = highest - first + 1
        return expected > 0 ? max(0, 1 - Double(received) / Double(expected)) : 0
    }

    /// The stream block of a receiver report on this stream, with `playout`'s figures since the
    /// previous report; starts the next interval. nil until a packet arrived.
    public mutating func report(playout: JitterBufferStatistics) -> ReceiverReport.Stream? {
        guard let first else { return nil }
        let expected = highest - first + 1
        let expectedInterval = expected - prior.expected
        let receivedInterval = received - prior.received
        let lostInterval = expectedInterval - Int64(receivedInterval)
        let fractionLost = expectedInterval > 0 && lostInterval > 0 ? Double(lostInterval) / Double(expectedInterval) : 0
        let late = playout.packetsDiscardedLate - prior.playout.packetsDiscardedLate
        let fractionDiscarded = expectedInterval > 0 ? Double(late) / Double(expectedInterval) : 0
        let emitted = playout.jitterBufferEmittedCount - prior.playout.jitterBufferEmittedCount
        let waited = playout.jitterBufferDelay - prior.playout.jitterBufferDelay
        let voiced =
            (playout.totalSamplesReceived - playout.silentSamples)
            - (prior.playout.totalSamplesReceived - prior.playout.silentSamples)
        let concealed = playout.concealedSamples - prior.playout.concealedSamples
        prior = Prior(expected: expected, received: received, playout: playout)

        let shape = bursts.snapshot()
        let packetMilliseconds = Double(packetSamples) / 48
        let cycles = UInt32(truncatingIfNeeded: highest >> 16)
        return ReceiverReport.Stream(
            highestSequence: cycles << 16 | UInt32(truncatingIfNeeded: highest & 0xFFFF),
            cumulativeLost: UInt32(clamping: max(0, expected - Int64(received))),
            fractionLost: ReceiverReport.Stream.per256(fractionLost),
            fractionDiscarded: ReceiverReport.Stream.per256(fractionDiscarded),
            burstDensity: ReceiverReport.Stream.per256(shape.burstDensity),
            gapDensity: ReceiverReport.Stream.per256(shape.gapDensity),
            burstDurationMilliseconds: ReceiverReport.Stream.saturating16(shape.burstPackets * packetMilliseconds),
            gapDurationMilliseconds: ReceiverReport.Stream.saturating16(shape.gapPackets * packetMilliseconds),
            interarrivalJitter: UInt32(clamping: Int64(jitter.jitterUnits.rounded())),
            playoutDelayMilliseconds: ReceiverReport.Stream.saturating16(emitted > 0 ? 1000 * waited / Double(emitted) : 0),
            targetDelayMilliseconds: ReceiverReport.Stream.saturating16(playout.targetDelayMilliseconds),
            concealedFraction: ReceiverReport.Stream.per65536(voiced > 0 ? Double(concealed) / Double(voiced) : 0),
            queueingDelay: ReceiverReport.Stream.queueingDelayField(queueing.take()))
    }
}
