import FourierTransform
import Foundation

/// Whether the microphone hears the loudspeaker at all, decided from about a second of the far
/// end's speech.
///
/// AEC3 assumes an echo until it has played 6 s of strong far-end audio without its filter
/// converging (its "transparent mode" rule), and until then suppresses the near end: with
/// headphones, or any microphone that does not hear the loudspeaker, 13–14 dB off the person's
/// own voice whenever the others talk, for the first seconds of every call. This detector asks
/// the question directly. An echo is the loudspeaker's signal through a linear path, so in each
/// frequency band the microphone's spectrum is, at the path's delay, a fixed multiple of the
/// loudspeaker's: their magnitude-squared coherence is high. Two independent voices have a
/// coherence near the estimator's bias (about 4.5/n after n overlapping frames) at every
/// delay. Energy envelopes could not separate the two: speech's syllable rhythm makes two
/// talkers' envelopes correlate at 0.5–0.7 by chance, while the envelope of an echo under double
/// talk followed the loudspeaker at only 0.38 (measured on the fixtures).
///
/// Work: 16 kHz (a 3-sample mean of 48 kHz), 64 ms Hann frames every 10 ms, coherence averaged
/// over 200–4000 Hz, at every delay of 0–500 ms in 10 ms steps, statistics updated only where
/// the loudspeaker played something at that delay. Pure Swift; its memory is allocated once.
///
/// A class, not a struct: it owns that memory (its statistics are 51 delays × 4 spectra, 200 kB),
/// and the processor that holds it belongs to one thread.
public final class EchoPresence {
    public enum State: Sendable, Equatable {
        /// Not enough of the far end heard yet to say.
        case undecided
        case echo
        case noEcho
    }

    public private(set) var state = State.undecided
    /// The band-mean coherence at the best delay, and that delay (ms), as of the last reading.
    public private(set) var coherence = 0.0
    public private(set) var delayMilliseconds = 0
    /// Frames of far-end activity behind `coherence` at that delay.
    public private(set) var evidenceChunks = 0

    /// Lags tried: 0…50 chunks (500 ms) from the loudspeaker to the microphone.
    static let lags = 51
    /// Render chunks a capture chunk may be behind the newest (`rendersAhead`): a 60 ms frame's.
    static let maximumLead = 6
    /// Render slots kept: every lag of the capture chunk the farthest behind.
    static var slots: Int { lags + maximumLead }
    static let frame = 1024
    static let hop = 160
    static let firstBin = 200 * frame / 16_000
    static let lastBin = 4000 * frame / 16_000
    static var bins: Int { lastBin - firstBin + 1 }
    /// How many bands `bandPowers` writes.
    public static var bandCount: Int { bins }
    /// The statistics forget with a time constant of 2 s of far-end activity.
    static let memoryChunks: Float = 200
    /// A loudspeaker chunk below this (dBFS, at 16 kHz) says nothing about an echo.
    static let activeRenderDBFS = -50.0
    /// The statistics are updated every chunk; reading them (a division per band and delay) every
    /// fifth is often enough for a decision that takes a second.
    static let readEvery = 5

    /// Coherence at or above which the microphone hears the loudspeaker (and above the bias of
    /// `echoBias`/n after n frames), and below which, after `chunksToDecide` active chunks, it
    /// does not. Measured on a.wav as the far end against b.wav and c.wav (the tuning speech):
    /// independent talkers read about 4.5/n (0.06 at n = 68, 0.023 at 200, 0.009–0.016 after
    /// 8 s); the laptop-like room's echo 0.46–0.6, under double talk at −6 dB 0.13–0.19 (held-out
    /// d.wav alike). A weaker echo in a fan's noise reads less: 0.05–0.09 where it first came
    /// under the near end's voice (the bench's laptop room at −10 dB), and a floor of 0.1 took
    /// that for no echo for the whole call; above a few hundred frames the floor of 0.05 is still
    /// three times what independent talkers read.
    static let echoThreshold = 0.05
    static let echoBias = 8.0
    static let independentBias = 4.5
    static let noEchoThreshold = 0.07
    static let chunksToDecide = 60
    /// Once an echo was heard, this many chunks (10 s) of readings without one before deciding
    /// there is none: double talk lowers the coherence, headphones plugged in take it away.
    static let chunksToForgetEcho = 1000

    private var fft = FFT()
    private let window: [Double]
    /// cos and sin of 2πk/`frame` for the bands' bins k.
    private let twiddleCosines: [Double]
    private let twiddleSines: [Double]
    /// The last `frame` samples at 16 kHz, oldest first, of each side.
    private var renderSamples: [Double]
    private var captureSamples: [Double]
    /// 48 kHz samples carried over to the next chunk when a call is not a multiple of 3.
    private var renderCarry: [Double] = []
    private var captureCarry: [Double] = []
    private var buffer: ComplexBuffer
    /// The loudspeaker's band spectra (real parts, then imaginary) of the last `slots` chunks, the
    /// newest in slot `newest`, and whether each was active.
    private let renderSpectra: UnsafeMutableBufferPointer<Float>
    private var renderActive: [Bool]
    private var newest = 0
    private var renderChunks = 0
    /// Render chunks noted that no capture chunk has been matched with yet, and how many the last
    /// capture chunk is behind the newest render (see `bandPowers`).
    private var rendersAhead = 0
    private var captureLead = 0
    /// The microphone's band spectrum of this chunk, laid out as one of `renderSpectra`'s slots.
    private let captureSpectrum: UnsafeMutableBufferPointer<Float>
    private var captureChunks = 0
    /// Per lag: cross-spectrum (real, imaginary), the loudspeaker's and the microphone's power,
    /// each `bins` long; and the number of frames behind them.
    private let statistics: UnsafeMutableBufferPointer<Float>
    private var counts: [Float]
    private var quietEchoChunks = 0

    public init() {
        let frame = Self.frame
        window = (0..<frame).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(frame)) }
        renderSamples = [Double](repeating: 0, count: frame)
        captureSamples = [Double](repeating: 0, count: frame)
        buffer = ComplexBuffer(count: frame / 2)
        let angles = (Self.firstBin...Self.lastBin).map { 2 * Double.pi * Double($0) / Double(frame) }
        twiddleCosines = angles.map { cos($0) }
        twiddleSines = angles.map { sin($0) }
        renderSpectra = .allocate(capacity: 2 * Self.bins * Self.slots)
        renderSpectra.initialize(repeating: 0)
        renderActive = Array(repeating: false, count: Self.slots)
        captureSpectrum = .allocate(capacity: 2 * Self.bins)
        captureSpectrum.initialize(repeating: 0)
        statistics = .allocate(capacity: 4 * Self.bins * Self.lags)
        statistics.initialize(repeating: 0)
        counts = Array(repeating: 0, count: Self.lags)
    }

    deinit {
        renderSpectra.deallocate()
        captureSpectrum.deallocate()
        statistics.deallocate()
    }

    /// What the loudspeaker plays, in 10 ms chunks at 48 kHz (a chunk of 480 samples).
    public func noteRender(_ chunk: UnsafeBufferPointer<Float>) {
        Self.decimate(chunk, carry: &renderCarry, into: &renderSamples)
        let level = Self.levelDBFS(renderSamples, last: Self.hop)
        newest = (newest + 1) % Self.slots
        rendersAhead = min(rendersAhead + 1, Self.maximumLead)
        bandSpectrum(of: renderSamples, into: slot(newest, of: renderSpectra, size: 2 * Self.bins))
        renderActive[newest] = level >= Self.activeRenderDBFS
        renderChunks += 1
    }

    /// What the microphone captured, 10 ms at 48 kHz, after the render chunks played before it.
    public func noteCapture(_ chunk: UnsafeBufferPointer<Float>) {
        Self.decimate(chunk, carry: &captureCarry, into: &captureSamples)
        bandSpectrum(of: captureSamples, into: captureSpectrum)
        captureChunks += 1
        rendersAhead = max(0, rendersAhead - 1)
        captureLead = rendersAhead
        let read = captureChunks % Self.readEvery == 0
        var best = 0.0
        var bestExcess = -Double.infinity
        var bestLag = 0
        var bestCount: Float = 0
        let capture = UnsafeBufferPointer(captureSpectrum)
        for lag in 0..<min(Self.lags, renderChunks) {
            let at = renderSlot(lag: lag, lead: 0)
            let lagStatistics = slot(lag, of: statistics, size: 4 * Self.bins)
            // Only frames where the loudspeaker played update a delay's statistics; every delay
            // is read, also those whose loudspeaker frame is silent now (they keep what they learnt).
            if renderActive[at] {
                counts[lag] += 1
                let render = UnsafeBufferPointer(slot(at, of: renderSpectra, size: 2 * Self.bins))
                Self.update(lagStatistics, render: render, capture: capture, weight: max(1 / counts[lag], 1 / Self.memoryChunks))
            }
            guard read, counts[lag] > 0 else { continue }
            let mean = Self.meanCoherence(UnsafeBufferPointer(lagStatistics))
            // Ranked by the excess over the bias: a lag that has seen few frames reads high by
            // chance (one frame reads 1 in every band).
            let excess = mean - Self.independentBias / Double(counts[lag])
            if excess > bestExcess {
                bestExcess = excess
                best = mean
                bestLag = lag
                bestCount = counts[lag]
            }
        }
        guard read else { return }
        coherence = best
        delayMilliseconds = bestLag * 10
        evidenceChunks = Int(bestCount)
        decide()
    }

    /// Per band of the last capture chunk (`bins` of them, `firstBin` on, 15.6 Hz apart at
    /// 16 kHz): the microphone's power, and the loudspeaker's at the echo's delay (zero while no
    /// delay has been found). Both in the frames' own units.
    ///
    /// Renders and captures reach the processor in batches of different sizes — the loudspeaker's
    /// 10 ms chunks as they play, the microphone's 20 ms frame as two chunks after both of its
    /// renders — so counted back from the newest render, as the coherence statistics count, a
    /// lag means a loudspeaker chunk 10 ms later for a frame's first capture chunk than for its
    /// second, and the delay found fits one of the two. Here each capture chunk is matched with
    /// the render chunk noted in its turn (a constant offset, which the delay absorbs), and the
    /// loudspeaker's power is the louder of the chunk at the delay and the one after it: the
    /// true one is among them either way. Read at a single chunk, an echo's onset was expected
    /// 10 ms late in every other capture chunk and taken for a near end
    /// (`ResidualEchoSuppressor`; the bench's laptop fixture, seed 2: a −37 dBFS frame among
    /// −75 to −80).
    public func bandPowers(capture: UnsafeMutableBufferPointer<Float>, render: UnsafeMutableBufferPointer<Float>) {
        let n = Self.bins
        guard capture.count >= n, render.count >= n else { return }
        let y = captureSpectrum
        for k in 0..<n { capture[k] = y[k] * y[k] + y[n + k] * y[n + k] }
        let lag = min(Self.lags - 1, delayMilliseconds / 10)
        guard lag + captureLead < renderChunks else {
            for k in 0..<n { render[k] = 0 }
            return
        }
        let x = slot(renderSlot(lag: lag, lead: captureLead), of: renderSpectra, size: 2 * n)
        for k in 0..<n { render[k] = x[k] * x[k] + x[n + k] * x[n + k] }
        guard lag + captureLead > 0 else { return }
        let after = slot(renderSlot(lag: lag - 1, lead: captureLead), of: renderSpectra, size: 2 * n)
        for k in 0..<n { render[k] = max(render[k], after[k] * after[k] + after[n + k] * after[n + k]) }
    }

    /// The slot of the render chunk `lag` chunks before the newest less `lead`.
    private func renderSlot(lag: Int, lead: Int) -> Int {
        (newest - lead - lag + 2 * Self.slots) % Self.slots
    }

    private func slot(_ index: Int, of storage: UnsafeMutableBufferPointer<Float>, size: Int) -> UnsafeMutableBufferPointer<Float> {
        UnsafeMutableBufferPointer(rebasing: storage[index * size..<(index + 1) * size])
    }

    /// One frame into a lag's exponentially weighted statistics: the cross-spectrum Y·conj(X)
    /// and both power spectra. No branch inside, so that it vectorises.
    private static func update(
        _ statistics: UnsafeMutableBufferPointer<Float>, render: UnsafeBufferPointer<Float>, capture: UnsafeBufferPointer<Float>,
        weight: Float
    ) {
        let n = bins
        guard let s = statistics.baseAddress, let x = render.baseAddress, let y = capture.baseAddress else { return }
        let crossReal = s, crossImaginary = s + n, renderPower = s + 2 * n, capturePower = s + 3 * n
        let xr = x, xi = x + n, yr = y, yi = y + n
        for k in 0..<n {
            let ar = xr[k], ai = xi[k], br = yr[k], bi = yi[k]
            crossReal[k] += weight * (br * ar + bi * ai - crossReal[k])
            crossImaginary[k] += weight * (bi * ar - br * ai - crossImaginary[k])
            renderPower[k] += weight * (ar * ar + ai * ai - renderPower[k])
            capturePower[k] += weight * (br * br + bi * bi - capturePower[k])
        }
    }

    /// The magnitude-squared coherence averaged over the bands of one lag's statistics.
    private static func meanCoherence(_ statistics: UnsafeBufferPointer<Float>) -> Double {
        let n = bins
        guard let s = statistics.baseAddress else { return 0 }
        var sum: Float = 0
        for k in 0..<n {
            let denominator = s[2 * n + k] * s[3 * n + k]
            let cross = s[k] * s[k] + s[n + k] * s[n + k]
            sum += denominator > 1e-30 ? cross / denominator : 0
        }
        return Double(sum) / Double(n)
    }

    private func decide() {
        let decided = evidenceChunks >= Self.chunksToDecide
        switch state {
        case .undecided, .noEcho:
            if coherence >= max(Self.echoThreshold, Self.echoBias / Double(max(1, evidenceChunks))) {
                state = .echo
                quietEchoChunks = 0
            } else if decided && coherence < Self.noEchoThreshold {
                state = .noEcho
            }
        case .echo:
            quietEchoChunks = coherence < Self.noEchoThreshold ? quietEchoChunks + 5 : 0
            if quietEchoChunks >= Self.chunksToForgetEcho { state = .noEcho }
        }
    }

    /// The windowed spectrum of the last frame, the bands of interest of it into `band` (real
    /// parts, then imaginary). The frame is real, so it is transformed as a complex signal of
    /// half its length (even samples real, odd imaginary) and the two halves' spectra separated
    /// after: half the work of a full-length transform.
    private func bandSpectrum(of samples: [Double], into band: UnsafeMutableBufferPointer<Float>) {
        let half = Self.frame / 2
        // A local, whose two arrays can be open at once (a class's property cannot).
        var buffer = ComplexBuffer(count: 0)
        swap(&buffer, &self.buffer)
        defer { swap(&buffer, &self.buffer) }
        samples.withUnsafeBufferPointer { x in
            buffer.real.withUnsafeMutableBufferPointer { re in
                buffer.imaginary.withUnsafeMutableBufferPointer { im in
                    for n in 0..<half {
                        re[n] = x[2 * n] * window[2 * n]
                        im[n] = x[2 * n + 1] * window[2 * n + 1]
                    }
                }
            }
        }
        fft.radix2(&buffer, inverse: false)
        let bins = Self.bins, first = Self.firstBin
        buffer.real.withUnsafeBufferPointer { re in
            buffer.imaginary.withUnsafeBufferPointer { im in
                for i in 0..<bins {
                    let k = first + i
                    // Z[k] = E[k] + i·O[k] with E, O the spectra of the even and odd samples;
                    // X[k] = E[k] + e^{−2πik/N}·O[k].
                    let ar = re[k], ai = im[k], br = re[half - k], bi = im[half - k]
                    let evenReal = (ar + br) / 2, evenImaginary = (ai - bi) / 2
                    let oddReal = (ai + bi) / 2, oddImaginary = (br - ar) / 2
                    let c = twiddleCosines[i], s = twiddleSines[i]
                    band[i] = Float(evenReal + c * oddReal + s * oddImaginary)
                    band[bins + i] = Float(evenImaginary + c * oddImaginary - s * oddReal)
                }
            }
        }
    }

    /// 48 kHz to 16 kHz by the mean of each 3 samples, appended to the end of `samples` (the
    /// oldest dropped); a remainder of 1 or 2 samples waits in `carry` for the next call.
    private static func decimate(_ chunk: UnsafeBufferPointer<Float>, carry: inout [Double], into samples: inout [Double]) {
        var index = 0
        let before = samples.count
        while !carry.isEmpty && carry.count < 3 && index < chunk.count {
            carry.append(Double(chunk[index]))
            index += 1
        }
        if carry.count == 3 {
            samples.append((carry[0] + carry[1] + carry[2]) / 3)
            carry.removeAll(keepingCapacity: true)
        }
        while index + 3 <= chunk.count {
            samples.append((Double(chunk[index]) + Double(chunk[index + 1]) + Double(chunk[index + 2])) / 3)
            index += 3
        }
        while index < chunk.count {
            carry.append(Double(chunk[index]))
            index += 1
        }
        samples.removeFirst(samples.count - before)
    }

    private static func levelDBFS(_ samples: [Double], last count: Int) -> Double {
        var energy = 0.0
        for value in samples.suffix(count) { energy += value * value }
        let mean = energy / Double(max(1, count))
        return mean > 1e-10 ? 10 * log10(mean) : -100
    }
}
