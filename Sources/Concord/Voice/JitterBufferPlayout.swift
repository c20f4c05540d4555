/// Concord's playout of one stream: the adaptive `JitterBuffer` decides what to play, an
/// `OpusDecoder` decodes, conceals, recovers from FEC and merges.
public final class JitterBufferPlayout: StreamPlayout {
    public private(set) var jitterBuffer: JitterBuffer
    private let decoder: OpusDecoder
    private var scratch: [Float]
    public private(set) var decodeErrors = 0
    public weak var codecObserver: CodecObserver?

    public init(frameMilliseconds: Int, settings: JitterBufferSettings) throws {
        decoder = try OpusDecoder(frameMilliseconds: frameMilliseconds)
        jitterBuffer = try JitterBuffer(settings: settings, frameSamples: decoder.frameSamples)
        scratch = [Float](repeating: 0, count: decoder.frameSamples)
    }

    public var frameSamples: Int { decoder.frameSamples }
    public var statistics: JitterBufferStatistics { jitterBuffer.statistics }
    public var isQuiet: Bool { jitterBuffer.isQuiet }

    public var recordsEvents: Bool {
        get { jitterBuffer.recordsEvents }
        set { jitterBuffer.recordsEvents = newValue }
    }

    public func takeEvents() -> [PlayoutEvent] { jitterBuffer.takeEvents() }

    public func receive(_ packet: VoicePacket, arrival: Instant) {
        jitterBuffer.insert(packet, arrival: arrival)
    }

    public func playout(now: Instant, into out: UnsafeMutableBufferPointer<Float>) -> Bool {
        let decision = jitterBuffer.nextFrame(now: now)
        // No codec work, so no codec timing: most receivers in a big room play silence
        // (listeners never talk) and the observer's two CPU-clock reads — system calls —
        // cost more than the rest of the call.
        if case .silence = decision { return false }
        let token = codecObserver?.codecWillRun()
        defer { if let token { codecObserver?.codecDidRun(token) } }
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
        return true
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
