import Concord
import FourierTransform

/// Mouth-to-ear latency measured on the audio itself: the lag at which the listener's track of a
/// talker best matches what the talker said, window by window.
///
/// It needs nothing from the engine (no timestamps, no clocks), so it independently checks the
/// timestamp-based latency: if the engine mislabelled frames, played them at the wrong time or
/// resampled them wrongly, the two measurements disagree.
///
/// Method. The source is cut into windows (1 s by default, hop 1 s); windows whose RMS is below
/// `minimumRMS` (−50 dBFS) are skipped, since silence has no lag. For each remaining window w the
/// normalised cross-correlation
///
///     ρ(L) = Σ s[i]·t[i+L] / √(Σ s[i]² · Σ t[i+L]²),   i over the window, 0 ≤ L ≤ maximum lag
///
/// is maximised over L. Searching 48 000 lags at full rate would cost ~2·10⁹ multiply-adds per
/// window, so the search is hierarchical: a coarse pass on both signals box-filtered and
/// decimated ×16 (3 kHz, where speech still has most of its energy) over the whole lag range,
/// computed by FFT (one 8192-point complex transform carries both real signals, one inverse),
/// on two lag grids half a coarse step apart (the box filter aliases, so a lag between two
/// coarse steps can correlate poorly on one grid); then the `candidates` (8) highest coarse local
/// maxima (several, as a spurious or pitch-period peak can beat the true one at 3 kHz) are
/// searched ±2 coarse steps at ×4, and the best of those ±2·4 samples at full rate, by direct
/// vectorised dot products. The integer peak is refined by parabolic interpolation through its
/// neighbours, giving sub-sample lags. Cost for a 60 s stream with a 1 s lag range: ~0.13 s in a
/// release build (the figure is in the README).
///
/// A window is **accepted** when the peak ρ ≥ `threshold` (0.5). Why 0.5: the decoded track of
/// the right talker at the right lag correlates at ≈ 0.8–0.99 (Opus at ≥ 16 kb/s; concealment
/// lowers it), while an unrelated signal over a 1 s window correlates at ≈ 1/√(effective
/// samples) ≪ 0.5, so the threshold sits in the wide gap between the two. Beyond its end the
/// track counts as silence (a stream cut short just lowers ρ for its last windows).
public enum CrossCorrelationLatency {
    public struct Settings: Sendable, Equatable {
        public var sampleRate: Double
        public var windowSeconds: Double
        public var hopSeconds: Double
        public var maximumLagMilliseconds: Double
        /// Box-filter length and decimation factor of the coarse pass.
        public var decimation: Int
        /// Coarse local maxima refined at full rate.
        public var candidates: Int
        /// Minimum normalised correlation of an accepted window.
        public var threshold: Double
        /// Source windows quieter than this RMS (full scale 1) are skipped.
        public var minimumRMS: Double

        public init(
            sampleRate: Double = Double(AudioFormat.sampleRate), windowSeconds: Double = 1, hopSeconds: Double = 1,
            maximumLagMilliseconds: Double = 1000, decimation: Int = 16, candidates: Int = 8,
            threshold: Double = 0.5, minimumRMS: Double = 0.003_162
        ) {
            self.sampleRate = sampleRate
            self.windowSeconds = windowSeconds
            self.hopSeconds = hopSeconds
            self.maximumLagMilliseconds = maximumLagMilliseconds
            self.decimation = decimation
            self.candidates = candidates
            self.threshold = threshold
            self.minimumRMS = minimumRMS
        }
    }

    /// One analysed (loud enough) source window.
    public struct Window: Sendable, Equatable {
        /// First source sample of the window.
        public var sourceStart: Int
        /// Best lag, samples (sub-sample, ≥ 0).
        public var lagSamples: Double
        /// Peak normalised correlation.
        public var correlation: Double
        /// The lag in ms: the window's mouth-to-ear latency.
        public var latencyMilliseconds: Double
        /// When the middle of the window was played, seconds (simulation time).
        public var playoutSeconds: Double
        /// correlation ≥ threshold.
        public var accepted: Bool
    }

    /// Every window loud enough to analyse, accepted or not, in time order.
    public static func analyze(source: [Float], track: [Float], settings: Settings = .init()) -> [Window] {
        let rate = settings.sampleRate.isFinite && settings.sampleRate > 0 ? settings.sampleRate : Double(AudioFormat.sampleRate)
        let factor = max(1, settings.decimation)
        // Window and hop are whole numbers of decimated samples so both passes see the same span.
        let windowLength = max(1, Int((settings.windowSeconds * rate / Double(factor)).rounded())) * factor
        let hop = max(1, Int((settings.hopSeconds * rate / Double(factor)).rounded())) * factor
        let maximumLag = max(0, Int((max(0, settings.maximumLagMilliseconds) * rate / 1000).rounded()))
        guard source.count >= windowLength, settings.windowSeconds.isFinite,
            settings.hopSeconds.isFinite, settings.maximumLagMilliseconds.isFinite
        else { return [] }

        // Signals at every resolution of the search: coarse (×factor), ×4 when that lies in
        // between, full rate.
        var factors = [factor]
        if factor > 4, factor % 4 == 0 { factors.append(4) }
        if factor > 1 { factors.append(1) }
        let levels = factors.map { Level(source: source, track: track, factor: $0) }
        let coarse = levels[0]
        let shifted = Level(source: source, track: Array(track.dropFirst(factor / 2)), factor: factor)
        let coarseLength = windowLength / factor
        let coarseMaximumLag = (maximumLag + factor - 1) / factor
        var fft = FFT()
        let fftSize = FFT.nextPowerOfTwo(atLeast: coarseLength + coarseMaximumLag + 1)
        var scratch = ComplexBuffer(count: 0)
        let minimumEnergy = settings.minimumRMS * settings.minimumRMS * Double(windowLength)

        var windows: [Window] = []
        var start = 0
        while start + windowLength <= source.count {
            defer { start += hop }
            let sourceEnergy = energy(source, start, windowLength)
            guard sourceEnergy >= minimumEnergy, sourceEnergy > 0 else { continue }

            // Coarse pass over the whole lag range, by FFT, on two grids: the track decimated in
            // step with the source, and shifted by half a coarse step. The box filter is a poor
            // anti-alias filter, so a true lag halfway between two coarse steps can correlate
            // poorly on the first grid (content near the coarse Nyquist frequency is 90° out); it
            // falls on the second.
            let coarseStart = start / factor
            let coarseSourceEnergy = energy(coarse.source, coarseStart, coarseLength)
            var interleaved = [Double](repeating: 0, count: 2 * (coarseMaximumLag + 1))
            for (grid, level) in [coarse, shifted].enumerated() {
                let trackEnd = min(level.track.count, coarseStart + coarseLength + coarseMaximumLag)
                let products = fft.crossCorrelation(
                    level.source[coarseStart..<(coarseStart + coarseLength)],
                    coarseStart < trackEnd ? level.track[coarseStart..<trackEnd] : [],
                    lags: coarseMaximumLag + 1, size: fftSize, scratch: &scratch)
                for lag in 0..<min(products.count, coarseMaximumLag + 1) {
                    let trackEnergy = level.trackEnergy.energy(coarseStart + lag, coarseLength)
                    let denominator = (coarseSourceEnergy * trackEnergy).squareRoot()
                    interleaved[2 * lag + grid] = denominator > 1e-20 ? min(1, max(-1, products[lag] / denominator)) : 0
                }
            }
            // Several candidates, for the same reason and for voiced windows whose coarse peak
            // lands a pitch period off.
            var candidates = localMaxima(interleaved, count: max(1, settings.candidates)).map {
                (lag: $0 / 2 * factor + ($0 % 2) * (factor / 2), rho: interleaved[$0])
            }

            // Each finer level searches ±2 steps of the previous level around each candidate;
            // below the coarse level only the best candidate goes on.
            var previousFactor = factor
            var evaluated: [Int: Double] = [:]
            for level in levels.dropFirst() {
                var refined: [(lag: Int, rho: Double)] = []
                let levelEnergy =
                    level.factor == 1
                    ? sourceEnergy : energy(level.source, start / level.factor, windowLength / level.factor)
                for candidate in candidates {
                    let lower = max(0, (candidate.lag - 2 * previousFactor) / level.factor)
                    let upper = min(maximumLag / level.factor, (candidate.lag + 2 * previousFactor) / level.factor)
                    guard lower <= upper else { continue }
                    var best = (lag: -1, rho: -Double.infinity)
                    for lag in lower...upper {
                        let value = level.correlation(start: start, lag: lag, windowLength: windowLength, sourceEnergy: levelEnergy)
                        if level.factor == 1 { evaluated[lag] = value }
                        if value > best.rho { best = (lag * level.factor, value) }
                    }
                    if best.lag >= 0 { refined.append(best) }
                }
                refined.sort { $0.rho > $1.rho }
                candidates = Array(refined.prefix(1))
                previousFactor = level.factor
            }
            guard let winner = candidates.first, winner.rho.isFinite, winner.rho > 0 else {
                // Nothing in the track correlates positively: analysed, and rejected.
                windows.append(
                    Window(
                        sourceStart: start, lagSamples: 0, correlation: 0, latencyMilliseconds: 0,
                        playoutSeconds: (Double(start) + Double(windowLength) / 2) / rate, accepted: false))
                continue
            }

            // Parabolic interpolation through the full-rate neighbours (kept inside half a sample).
            var lag = Double(winner.lag)
            let full = levels[levels.count - 1]
            if full.factor == 1, winner.lag > 0, winner.lag < maximumLag {
                let before = evaluated[winner.lag - 1] ?? full.correlation(start: start, lag: winner.lag - 1, windowLength: windowLength, sourceEnergy: sourceEnergy)
                let after = evaluated[winner.lag + 1] ?? full.correlation(start: start, lag: winner.lag + 1, windowLength: windowLength, sourceEnergy: sourceEnergy)
                let curvature = before - 2 * winner.rho + after
                if curvature < 0 {
                    lag += min(0.5, max(-0.5, 0.5 * (before - after) / curvature))
                }
            }
            windows.append(
                Window(
                    sourceStart: start, lagSamples: lag, correlation: winner.rho, latencyMilliseconds: lag * 1000 / rate,
                    playoutSeconds: (Double(start) + Double(windowLength) / 2 + lag) / rate,
                    accepted: winner.rho >= settings.threshold))
        }
        return windows
    }

    /// Source and track at one resolution of the search.
    struct Level {
        let factor: Int
        let source: [Float]
        let track: [Float]
        let trackEnergy: PrefixEnergy

        init(source: [Float], track: [Float], factor: Int) {
            self.factor = factor
            self.source = decimate(source, factor)
            self.track = decimate(track, factor)
            trackEnergy = PrefixEnergy(self.track)
        }

        /// ρ of the window starting at full-rate sample `start` at lag `lag` (in this level's
        /// steps), `sourceEnergy` being the window's energy at this level.
        func correlation(start: Int, lag: Int, windowLength: Int, sourceEnergy: Double) -> Double {
            let from = start / factor, length = windowLength / factor
            return normalisedCorrelation(
                source, from, track, from + lag, length, sourceEnergy: sourceEnergy, trackEnergy: trackEnergy)
        }
    }

    // MARK: - Signal helpers

    /// Means of consecutive blocks of `factor` samples (a box filter, then decimation).
    static func decimate(_ signal: [Float], _ factor: Int) -> [Float] {
        guard factor > 1 else { return signal }
        let count = signal.count / factor
        var out = [Float](repeating: 0, count: count)
        let scale = 1 / Float(factor)
        signal.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                for k in 0..<count {
                    var sum: Float = 0
                    let base = k * factor
                    for i in 0..<factor { sum += input[base + i] }
                    output[k] = sum * scale
                }
            }
        }
        return out
    }

    /// Σ x² over [start, start + length), in Double.
    static func energy(_ signal: [Float], _ start: Int, _ length: Int) -> Double {
        let lower = max(0, start), upper = min(signal.count, start + length)
        guard lower < upper else { return 0 }
        return signal.withUnsafeBufferPointer { x in dot(x.baseAddress! + lower, x.baseAddress! + lower, upper - lower) }
    }

    /// Prefix sums of x², for the track energy under every lag in O(1).
    struct PrefixEnergy {
        var sums: [Double]
        init(_ signal: [Float]) {
            var sums = [Double](repeating: 0, count: signal.count + 1)
            signal.withUnsafeBufferPointer { input in
                sums.withUnsafeMutableBufferPointer { output in
                    var running = 0.0
                    for index in 0..<input.count {
                        let value = Double(input[index])
                        running += value * value
                        output[index + 1] = running
                    }
                }
            }
            self.sums = sums
        }
        /// Σ x² over [start, start + length) ∩ the signal.
        func energy(_ start: Int, _ length: Int) -> Double {
            let lower = min(max(0, start), sums.count - 1)
            let upper = min(max(0, start + length), sums.count - 1)
            return max(0, sums[upper] - sums[lower])
        }
    }

    /// ρ between `a[aStart…]` and `b[bStart…]` over `length` samples, `b` taken as zero past its
    /// end; 0 where either side is silent.
    static func normalisedCorrelation(
        _ a: [Float], _ aStart: Int, _ b: [Float], _ bStart: Int, _ length: Int, sourceEnergy: Double,
        trackEnergy: PrefixEnergy
    ) -> Double {
        let overlap = min(length, b.count - bStart, a.count - aStart)
        guard overlap > 0 else { return 0 }
        let bEnergy = trackEnergy.energy(bStart, overlap)
        let denominator = (sourceEnergy * bEnergy).squareRoot()
        guard denominator > 1e-20 else { return 0 }
        let product = a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                dot(x.baseAddress! + aStart, y.baseAddress! + bStart, overlap)
            }
        }
        return min(1, max(-1, product / denominator))
    }

    /// Σ a[i]·b[i], vectorised with four 8-lane accumulators (sums in Float, totals in Double).
    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
        let rawA = UnsafeRawPointer(a), rawB = UnsafeRawPointer(b)
        let stride = MemoryLayout<Float>.stride
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var i = 0
        while i + 32 <= count {
            let offset = i * stride
            acc0 += rawA.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset, as: SIMD8<Float>.self)
            acc1 += rawA.loadUnaligned(fromByteOffset: offset + 8 * stride, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset + 8 * stride, as: SIMD8<Float>.self)
            acc2 += rawA.loadUnaligned(fromByteOffset: offset + 16 * stride, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset + 16 * stride, as: SIMD8<Float>.self)
            acc3 += rawA.loadUnaligned(fromByteOffset: offset + 24 * stride, as: SIMD8<Float>.self)
                * rawB.loadUnaligned(fromByteOffset: offset + 24 * stride, as: SIMD8<Float>.self)
            i += 32
        }
        var total = Double(acc0.sum()) + Double(acc1.sum()) + Double(acc2.sum()) + Double(acc3.sum())
        while i < count {
            total += Double(a[i]) * Double(b[i])
            i += 1
        }
        return total
    }

    /// Indices of the `count` largest positive local maxima (plateaus and ends included).
    static func localMaxima(_ values: [Double], count: Int) -> [Int] {
        var peaks: [(index: Int, value: Double)] = []
        for index in values.indices {
            let value = values[index]
            guard value > 0 else { continue }
            if index > 0, values[index - 1] > value { continue }
            if index + 1 < values.count, values[index + 1] > value { continue }
            peaks.append((index, value))
        }
        peaks.sort { $0.value > $1.value || ($0.value == $1.value && $0.index < $1.index) }
        return peaks.prefix(count).map(\.index)
    }
}
