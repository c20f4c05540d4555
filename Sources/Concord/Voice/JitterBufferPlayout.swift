/// Concord's playout of one stream: the adaptive `JitterBuffer` decides what to decode and how
/// far to stretch, an `OpusDecoder` decodes, conceals and recovers from FEC, and a
/// `TimeStretcher` shortens or lengthens the decoded audio by pitch periods.
///
/// Decoded audio waits in `queued` until a pull takes it, so a pull may be any length and a
/// stretch may span frames. Each pull first decodes until it has the samples it needs — a
/// frame more when a stretch wants look-ahead and that frame is already in the buffer — then
/// applies at most one stretch, then hands out its samples. The last `TimeStretcher.maximumPeriod`
/// samples played stay in front of the unplayed ones as history for `stretchForMissingFrame`,
/// which works on the 5–10 ms still to play, where a low voice's period fits a splice only if
/// the period before the splice point may be audio already played. The stretches towards the
/// target keep to the unplayed samples: given the history too, they raised a LAN call's worst
/// p95 by 5 ms and moved ViSQOL elsewhere by no more than the seeds' spread.
public final class JitterBufferPlayout: StreamPlayout {
    public private(set) var jitterBuffer: JitterBuffer
    private let decoder: OpusDecoder
    private var stretcher = TimeStretcher()
    /// Speech is sped up by at most this share of what is played until the stream has reached a
    /// target it measured. The stretcher's own benchmark (README, "Time-stretching speech":
    /// ViSQOL of speech switched between two rates) scores ±10 % about 4.0 and ±25 % about 3.0,
    /// and a buffer that caught up 400 ms in a second after a bufferbloat queue drained played
    /// 40 % fast and was heard. Cuts in quiet count too: they clip the faint ends of words, and
    /// removing pauses that fast scored as badly. The start's excess is only the initial guess,
    /// and shedding it at 10 % keeps a LAN call's p95 within 10 ms of its p50 (at 5 % from the start, about 30 ms above).
    static let speedUpLimit = 0.1
    /// The limit afterwards: an excess then is a delay the path really had (a queue that
    /// drained, a spike that passed), which may come back. The same benchmark scores ±5 % about
    /// 4.25; holding the delay longer also spares the stretching back up when it returns.
    static let steadySpeedUpLimit = 0.05
    /// Samples the playout may still remove: the limit's share of every pull, saved up to the
    /// longest period, so that one splice of any voice fits.
    private var speedUpCredit = 0.0
    /// Whether the playout has played at (or below) a target its buffer had measured: one set
    /// after `JitterBuffer.arrivalsToOutweighInitialGuess` arrivals.
    private var reachedTarget = false
    private let arrivalsToMeasure: Int
    /// The last samples played (`history` of them, contiguous with what follows), then the
    /// decoded samples not yet played.
    private var queued: [Float]
    /// How many samples at the front of `queued` were already played.
    private var history = 0
    private var unplayed: Int { queued.count - history }
    private var frame: [Float]
    public private(set) var decodeErrors = 0
    public weak var codecObserver: CodecObserver?

    public init(frameMilliseconds: Int, settings: JitterBufferSettings) throws {
        decoder = try OpusDecoder(frameMilliseconds: frameMilliseconds)
        jitterBuffer = try JitterBuffer(settings: settings, frameSamples: decoder.frameSamples)
        arrivalsToMeasure = JitterBuffer.arrivalsToOutweighInitialGuess(settings)
        frame = [Float](repeating: 0, count: decoder.frameSamples)
        queued = []
        queued.reserveCapacity(4 * decoder.frameSamples + TimeStretcher.requiredSamples + 2 * TimeStretcher.maximumPeriod)
    }

    public var frameSamples: Int { decoder.frameSamples }
    public var statistics: JitterBufferStatistics { jitterBuffer.statistics }
    public var isQuiet: Bool { unplayed == 0 && jitterBuffer.isQuiet }

    public var recordsEvents: Bool {
        get { jitterBuffer.recordsEvents }
        set { jitterBuffer.recordsEvents = newValue }
    }

    public func takeEvents() -> [PlayoutEvent] { jitterBuffer.takeEvents() }

    public func receive(_ packet: VoicePacket, arrival: Instant) {
        jitterBuffer.insert(packet, arrival: arrival)
    }

    public func playout(now: Instant, into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        let pull = out.count
        var silenceCounted = false
        let limit = reachedTarget ? Self.steadySpeedUpLimit : Self.speedUpLimit
        speedUpCredit = min(speedUpCredit + limit * Double(pull), Double(TimeStretcher.maximumPeriod))
        guard fill(to: pull, now: now, silenceCounted: &silenceCounted) else {
            // Nothing was played: what is kept no longer precedes what will be.
            queued.removeAll(keepingCapacity: true)
            history = 0
            return false
        }
        if jitterBuffer.shouldStretchForMissingFrame(now: now, queuedSamples: unplayed, pullSamples: pull) {
            stretchForMissingFrame()
        } else {
            stretch(now: now, pull: pull)
        }
        _ = fill(to: pull, now: now, silenceCounted: &silenceCounted)
        let played = min(pull, unplayed)
        queued.withUnsafeBufferPointer { q in
            for i in 0..<played { out[i] = q[history + i] }
        }
        if played < pull {
            out.extracting(played...).update(repeating: 0)
            queued.append(contentsOf: repeatElement(0, count: pull - played))
        }
        let kept = min(TimeStretcher.maximumPeriod, history + pull)
        queued.removeFirst(history + pull - kept)
        history = kept
        return true
    }

    /// Decodes frames until `pull` samples are queued or the buffer has nothing to play; false
    /// when nothing is queued at all (a silent pull, no codec work). The zeros that end a pull
    /// are counted as silence once per pull.
    private func fill(to pull: Int, now: Instant, silenceCounted: inout Bool) -> Bool {
        while unplayed < pull {
            let silence = silenceCounted ? 0 : pull - unplayed
            let decision = jitterBuffer.nextFrame(now: now, queuedSamples: unplayed, silenceSamples: silence)
            if case .silence = decision {
                silenceCounted = true
                break
            }
            decodeAndQueue(decision)
        }
        return unplayed > 0
    }

    /// Lengthens the audio still to play by a pitch period (or, where it is quiet, by as much as
    /// the window allows), so that the next frame, which is needed at the next pull and is not
    /// here, has that much longer to arrive: a frame that turns up within it plays with the
    /// delay grown by the stretch instead of by a wait, and nothing is concealed. The buffer
    /// stops it after half a frame, or once a wait has begun (a frame later than that is waited
    /// for as before).
    private func stretchForMissingFrame() {
        let outcome = stretcher.decelerate(&queued, at: history, history: history, limit: TimeStretcher.maximumPeriod)
        guard outcome.samples > 0 else { return }
        jitterBuffer.noteStretch(samples: -outcome.samples)
    }

    /// One stretch towards the delay the buffer wants, if the audio allows it.
    private func stretch(now: Instant, pull: Int) {
        let wanted = jitterBuffer.playoutCorrection(now: now, queuedSamples: unplayed, pullSamples: pull)
        if wanted <= 0, jitterBuffer.statistics.packetsReceived >= arrivalsToMeasure { reachedTarget = true }
        guard wanted != 0 else { return }
        // The splice needs look-ahead; decoding the next frame early is free when it is here.
        while unplayed < TimeStretcher.requiredSamples, jitterBuffer.nextFrameIsBuffered {
            decodeAndQueue(jitterBuffer.nextFrame(now: now, queuedSamples: unplayed))
        }
        let outcome: TimeStretchOutcome
        if wanted > 0 {
            // Unless the next frame is here, keep this pull's samples: decoding it now would conceal.
            let limit = jitterBuffer.nextFrameIsBuffered ? wanted : min(wanted, unplayed - pull)
            // Speeding up waits for the full window: on short ones it found splices often enough
            // to run the buffer lower and conceal more on jittery paths (3G, EDGE, busy Wi-Fi) —
            // unless the buffer at its target seldom holds that much (a frame past the target:
            // under 30 ms on a LAN), where waiting for it left the delay where start-up put it,
            // up to 16 ms above the target for a whole call.
            let target = Int(jitterBuffer.statistics.targetDelayMilliseconds * Double(AudioFormat.sampleRate) / 1000)
            let window = min(TimeStretcher.requiredSamples, max(TimeStretcher.minimumSamples, target + frameSamples))
            guard limit > 0, unplayed >= window else { return }
            let mode: TimeStretcher.Mode = wanted > 2 * pull ? .fast : .normal
            outcome = stretcher.accelerate(
                &queued, at: history, mode: mode, limit: min(limit, Int(speedUpCredit)))
            speedUpCredit -= Double(outcome.samples)
        } else {
            // Exactly the shortfall where the audio allows any step (quiet); otherwise the pitch
            // period it allows, which may be more: inserting more than asked is safe.
            let exact = stretcher.decelerate(&queued, at: history, limit: -wanted)
            if case .refused(.stepAboveLimit(let step)) = exact {
                outcome = stretcher.decelerate(&queued, at: history, limit: step)
            } else {
                outcome = exact
            }
        }
        let samples = outcome.samples
        guard samples > 0 else { return }
        let removed = wanted > 0 ? samples : -samples
        // Frames queued behind the splice now play earlier (or later) by what was removed.
        let splice = now.advanced(byMilliseconds: Double(TimeStretcher.requiredSamples / 2) * 1000 / Double(AudioFormat.sampleRate))
        jitterBuffer.shiftEvents(
            playingAfter: splice, byMilliseconds: -Double(removed) * 1000 / Double(AudioFormat.sampleRate))
        jitterBuffer.noteStretch(samples: removed)
    }

    private func decodeAndQueue(_ decision: PlayoutDecision) {
        let token = codecObserver?.codecWillRun()
        defer { if let token { codecObserver?.codecDidRun(token) } }
        var count = frame.count
        frame.withUnsafeMutableBufferPointer { out in
            switch decision {
            case .silence:
                out.update(repeating: 0)
            case .conceal(let samples):
                // A shortened concealment: the decoder conceals just that long, and its next
                // decode carries on from there (Opus blends a concealment into the next frame).
                count = min(max(samples, 0), out.count)
                conceal(UnsafeMutableBufferPointer(rebasing: out[..<count]))
            case .decode(let payload):
                decode(payload, into: out)
            case .decodeFEC(let next):
                if (try? decoder.decodeFEC(from: next, into: out)) == nil { countErrorAndConceal(out) }
            }
        }
        queued.append(contentsOf: frame[..<count])
    }

    private func decode(_ payload: [UInt8], into out: UnsafeMutableBufferPointer<Float>) {
        do {
            let count = try decoder.decode(payload, into: out)
            if count < out.count { out.extracting(count...).update(repeating: 0) }
        } catch {
            countErrorAndConceal(out)
        }
    }

    private func conceal(_ out: UnsafeMutableBufferPointer<Float>) {
        if (try? decoder.conceal(into: out)) == nil { out.update(repeating: 0) }
    }

    private func countErrorAndConceal(_ out: UnsafeMutableBufferPointer<Float>) {
        decodeErrors += 1
        conceal(out)
    }
}
