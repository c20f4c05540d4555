/// One remote stream: jitter buffer, Opus decoder and concealment, producing one frame per tick.
public final class VoiceReceiver {
    public let peer: PeerID
    public private(set) var jitterBuffer: JitterBuffer
    private let decoder: OpusDecoder
    /// The frame produced by the last `playout`.
    public private(set) var frame: [Float]
    /// `frame` is the silence of a `.silence` decision (all +0.0): a mixer may skip it.
    public private(set) var frameIsSilence = true
    private var scratch: [Float]
    /// Opus payloads that passed the wire parser but that libopus rejected; concealed instead.
    public private(set) var decodeErrors = 0
    /// Told around each decode or concealment (CPU accounting in the benchmark).
    public weak var codecObserver: CodecObserver?

    public init(peer: PeerID, frameMilliseconds: Int, jitterBuffer settings: JitterBufferSettings) throws {
        self.peer = peer
        decoder = try OpusDecoder(frameMilliseconds: frameMilliseconds)
        jitterBuffer = try JitterBuffer(settings: settings, frameSamples: decoder.frameSamples)
        frame = [Float](repeating: 0, count: decoder.frameSamples)
        scratch = frame
    }

    public var statistics: JitterBufferStatistics { jitterBuffer.statistics }

    @discardableResult
    public func receive(_ packet: VoicePacket, now: Instant) -> JitterBuffer.InsertResult {
        defer { isQuiet = jitterBuffer.isQuiet }
        return jitterBuffer.insert(packet, arrival: now)
    }

    /// Produces the next frame into `frame`.
    public func playout(now: Instant) {
        let decision = jitterBuffer.nextFrame(now: now)
        isQuiet = jitterBuffer.isQuiet
        if case .silence = decision {
            // No codec work, so no codec timing: most receivers in a big room play silence
            // (listeners never talk) and the observer's two CPU-clock reads — system calls —
            // cost more than the rest of the call. The zeros are written only once per pause.
            if !frameIsSilence {
                frame.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
                frameIsSilence = true
            }
            return
        }
        frameIsSilence = false
        let token = codecObserver?.codecWillRun()
        defer { if let token { codecObserver?.codecDidRun(token) } }
        frame.withUnsafeMutableBufferPointer { out in
            switch decision {
            case .silence:
                out.update(repeating: 0)  // handled above; kept for an exhaustive switch
            case .conceal:
                conceal(out)
            case .decode(let payload):
                decode(payload, into: out)
            case .decodeFEC(let next):
                if (try? decoder.decodeFEC(from: next, into: out)) == nil { countErrorAndConceal(out) }
            case .merge(let first, let second):
                decode(first, into: out)
                scratch.withUnsafeMutableBufferPointer { later in
                    decode(second, into: later)
                    crossfade(from: out, to: later)
                }
            }
        }
    }

    /// The next `playout` will play silence without the codec (nothing is buffered and no
    /// talk-spurt is under way): a driver can leave such receivers out of its parallel work.
    /// Stored, updated by `receive` and `playout` (the jitter buffer's only mutators): reading
    /// it through `jitterBuffer` took 2 % of the simulation's CPU (49 receivers per tick per person).
    public private(set) var isQuiet = true

    /// See `JitterBuffer.recordsEvents`.
    public var recordsEvents: Bool {
        get { jitterBuffer.recordsEvents }
        set { jitterBuffer.recordsEvents = newValue }
    }

    public func takeEvents() -> [PlayoutEvent] { jitterBuffer.takeEvents() }

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

    /// Overlap-add of two consecutive frames into one: starts as `earlier` (continuous with
    /// what was played before) and ends as `later` (continuous with what follows).
    private func crossfade(from earlier: UnsafeMutableBufferPointer<Float>, to later: UnsafeMutableBufferPointer<Float>) {
        let n = earlier.count
        for i in 0..<n {
            let w = Float(i) / Float(n - 1)
            earlier[i] = earlier[i] * (1 - w) + later[i] * w
        }
    }
}
