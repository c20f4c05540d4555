import Concord

/// WebRTC's NetEq as the playout of one Concord stream, for the bench's side-by-side runs.
///
/// Every voice packet goes to NetEq as an RTP packet at its arrival time: sequence number,
/// timestamp and marker (talk-spurt start) from Concord's header; the Opus frame as payload, or
/// — when the packet carries redundant frames — an RFC 2198 RED payload of them and the frame,
/// so NetEq recovers from redundancy (and from Opus in-band FEC) by its own rules. NetEq plays
/// 10 ms per call: a pull takes as many as it needs beyond what the last one left (a 5 ms pull
/// takes one every other pull), played from where that leftover ends.
///
/// NetEq runs from the stream's first packet: before it, NetEq would count its output as
/// concealment of a stream that has not started, where Concord's buffer counts nothing. The
/// figures are NetEq's lifetime statistics under the names of `JitterBufferStatistics`:
/// * concealed samples, concealment events, inserted/removed samples, jitter-buffer delay,
///   emitted count and target delay: NetEq's counters of the same W3C names;
/// * late packets: NetEq's discarded packets less the duplicates seen here (NetEq counts
///   both as discarded); FEC-recovered samples: the Opus in-band FEC copies NetEq received and
///   did not discard, one frame each. NetEq keeps no count of frames it took from RED copies,
///   so redundancy-recovered samples stay 0 (the concealment they spared still shows);
/// * silent samples: the 10 ms outputs that were comfort noise (the sender in DTX) or muted.
///
/// Each NetEq call's `PlayoutEvent` comes from the counters' changes over the pull: concealed if
/// NetEq concealed any sample, else accelerated or decelerated if it time-stretched, else
/// silence if every output was comfort noise, else decoded (a frame NetEq decoded from an FEC
/// or RED copy is not told apart: its counters are only lifetime totals). Its timestamp is the
/// RTP timestamp of the output's first sample; its buffer delay the mean wait of the samples
/// NetEq took from packets in the call.
public final class NetEqPlayout: StreamPlayout {
    public let frameSamples: Int
    let neteq: NetEqReceiver
    /// NetEq's last 10 ms output, and what it left that no pull has played yet.
    private var output: [Int16]
    private var pending: [Int16]
    private var started = false
    /// NetEq's counters at the last tick.
    private var latest = NetEqReceiver.LifetimeStatistics()
    private var silentSamples = 0
    private var packetsReceived = 0
    private var duplicates = 0
    private var sequenceUnwrapper = SequenceUnwrapper<UInt16>()
    /// The last 1024 sequence numbers, by slot (as Concord's buffer keeps them).
    private var seenSequences = [Int64](repeating: -1, count: 1024)
    /// Fed the packets' timestamps as well as the outputs', so that an output a few samples
    /// before the first packet (NetEq's overlap) unwraps below it rather than 2³² above.
    private var timestampUnwrapper = SequenceUnwrapper<UInt32>()
    private var events: [PlayoutEvent] = []
    public private(set) var decodeErrors = 0
    public var recordsEvents: Bool
    public weak var codecObserver: CodecObserver?

    /// - Parameter frameSamples: a multiple of NetEq's 10 ms output (480 samples).
    public init(frameSamples: Int, recordEvents: Bool = false) throws(NetEqError) {
        let size = NetEqReceiver.outputSamples
        guard frameSamples > 0, frameSamples % size == 0 else {
            throw NetEqError(description: "NetEq plays 10 ms at a time; a frame of \(frameSamples) samples is not a multiple of \(size)")
        }
        self.frameSamples = frameSamples
        neteq = try NetEqReceiver(start: .zero)
        output = [Int16](repeating: 0, count: size)
        pending = []
        pending.reserveCapacity(frameSamples + size)
        recordsEvents = recordEvents
    }

    /// Nothing to play before the first packet; after it NetEq plays (or conceals) every tick.
    public var isQuiet: Bool { !started }

    public func receive(_ packet: VoicePacket, arrival: Instant) {
        packetsReceived += 1
        let sequence = sequenceUnwrapper.unwrap(packet.sequenceNumber)
        let slot = Int(truncatingIfNeeded: sequence) & (seenSequences.count - 1)
        if seenSequences[slot] == sequence { duplicates += 1 }
        seenSequences[slot] = sequence
        started = true
        _ = timestampUnwrapper.unwrap(packet.timestamp)
        let (payloadType, payload) = Self.rtpPayload(of: packet)
        do {
            try neteq.insert(
                payloadType: payloadType, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp,
                marker: packet.flags.contains(.talkspurtStart), payload: payload, arrival: arrival)
        } catch {
            decodeErrors += 1
        }
    }

    /// The Opus frame, or an RFC 2198 payload of the earlier frames NetEq can address (offset
    /// below 2¹⁴ samples, length below 2¹⁰ bytes) — copies, then the packet's own bundled
    /// frames, which NetEq splits out like copies — and the frame.
    static func rtpPayload(of packet: VoicePacket) -> (payloadType: UInt8, payload: [UInt8]) {
        let blocks = (packet.redundancy + packet.bundledFrames).filter { $0.timestampOffset < 1 << 14 && $0.payload.count < 1 << 10 }
        guard !blocks.isEmpty else { return (NetEqReceiver.opusPayloadType, packet.payload) }
        let opus = NetEqReceiver.opusPayloadType
        var red: [UInt8] = []
        red.reserveCapacity(4 * blocks.count + 1 + blocks.reduce(packet.payload.count) { $0 + $1.payload.count })
        for block in blocks {
            let word = UInt32(block.timestampOffset) << 10 | UInt32(block.payload.count)
            red += [0x80 | opus, UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8), UInt8(truncatingIfNeeded: word)]
        }
        red.append(opus)
        for block in blocks { red += block.payload }
        red += packet.payload
        return (NetEqReceiver.redPayloadType, red)
    }

    public func playout(now: Instant, into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        guard started else {
            record(.silence, now: now, timestamp: nil, bufferDelay: nil)
            return false
        }
        // NetEq hands out 10 ms at a time: a pull first plays what is left of the last output,
        // and asks NetEq for more only when that does not cover it.
        let size = NetEqReceiver.outputSamples
        let leftover = pending.count
        var outputs = 0
        var silentOutputs = 0
        var firstTimestamp: UInt32?
        let token = pending.count < out.count ? codecObserver?.codecWillRun() : nil
        let before = latest
        while pending.count < out.count {
            outputs += 1
            output.withUnsafeMutableBufferPointer { pcm in
                do {
                    let result = try neteq.playout(now: now, into: pcm)
                    if result.muted || result.speech == .comfortNoise {
                        silentOutputs += 1
                        silentSamples += size
                    } else if firstTimestamp == nil {
                        firstTimestamp = result.timestamp
                    }
                } catch {
                    decodeErrors += 1
                    pcm.update(repeating: 0)
                }
            }
            pending += output
        }
        if let token { codecObserver?.codecDidRun(token) }
        if outputs > 0 {
            latest = neteq.lifetimeStatistics
            let outcome: PlayoutOutcome
            if latest.concealedSamples > before.concealedSamples {
                outcome = .concealed
            } else if latest.removedSamplesForAcceleration > before.removedSamplesForAcceleration {
                outcome = .accelerated
            } else if latest.insertedSamplesForDeceleration > before.insertedSamplesForDeceleration {
                outcome = .decelerated
            } else if silentOutputs == outputs {
                outcome = .silence
            } else {
                outcome = .decoded
            }
            let emitted = latest.jitterBufferEmittedCount - before.jitterBufferEmittedCount
            let waited = latest.jitterBufferDelayMilliseconds - before.jitterBufferDelayMilliseconds
            let timestamp = firstTimestamp.map { timestampUnwrapper.unwrap($0) }
            record(
                outcome, now: now.advanced(byMilliseconds: Double(leftover) * 1000 / Double(AudioFormat.sampleRate)),
                timestamp: outcome == .silence || outcome == .decelerated ? nil : timestamp,
                bufferDelay: emitted > 0 ? Double(waited) / Double(emitted) : nil)
        }
        // Read in place, then dropped: a slice kept past `removeFirst` would copy `pending`.
        var audible = false
        for i in 0..<out.count {
            let sample = pending[i]
            audible = audible || sample != 0
            out[i] = Float(sample) / 32_768
        }
        pending.removeFirst(out.count)
        return audible || silentOutputs != outputs
    }

    private func record(_ outcome: PlayoutOutcome, now: Instant, timestamp: Int64?, bufferDelay: Double?) {
        guard recordsEvents else { return }
        events.append(
            PlayoutEvent(
                playoutTime: now, timestamp: timestamp, outcome: outcome, bufferDelayMilliseconds: bufferDelay,
                targetDelayMilliseconds: Double(neteq.targetDelayMilliseconds)))
    }

    public func takeEvents() -> [PlayoutEvent] {
        defer { events.removeAll(keepingCapacity: true) }
        return events
    }

    public var statistics: JitterBufferStatistics {
        var s = JitterBufferStatistics()
        s.packetsReceived = packetsReceived
        s.packetsDiscardedDuplicate = duplicates
        s.targetDelayMilliseconds = Double(neteq.targetDelayMilliseconds)
        let stream = latest
        s.packetsDiscardedLate = max(0, stream.packetsDiscarded - duplicates)
        s.totalSamplesReceived = stream.totalSamplesReceived
        s.concealedSamples = stream.concealedSamples
        s.concealmentEvents = stream.concealmentEvents
        s.silentSamples = silentSamples
        s.insertedSamplesForDeceleration = stream.insertedSamplesForDeceleration
        s.removedSamplesForAcceleration = stream.removedSamplesForAcceleration
        s.jitterBufferDelay = Double(stream.jitterBufferDelayMilliseconds) / 1000
        s.jitterBufferEmittedCount = stream.jitterBufferEmittedCount
        s.jitterBufferTargetDelay = Double(stream.jitterBufferTargetDelayMilliseconds) / 1000
        s.fecRecoveredSamples = max(0, stream.fecPacketsReceived - stream.fecPacketsDiscarded) * frameSamples
        return s
    }
}
