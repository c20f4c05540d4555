// ViSQOL v3 in speech mode (Hines et al. 2015; Chinen et al. 2020), with Google's deep-lattice mapping
// from per-band similarity features to MOS-LQO. Pure Swift; see docs/SpeechQuality.md.

import Foundation

public enum ViSQOLError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A signal is empty or shorter than what ViSQOL needs to score.
    case tooShort(signal: String, seconds: Double, minimumSeconds: Double)
    /// A signal is longer than `maximumSeconds` (scoring time and memory grow with length).
    case tooLong(signal: String, seconds: Double, maximumSeconds: Double)
    /// A signal holds NaN or an infinity.
    case notFinite(signal: String, sampleIndex: Int)
    /// Only 16 kHz and 48 kHz input is accepted.
    case unsupportedSampleRate(Int)
    /// The reference is digital silence: there is nothing to compare with.
    case silentReference
    /// No reference patch could be matched in the degraded signal (too short or misaligned).
    case degradedUnmatched
    /// The lattice model could not be loaded or evaluated.
    case model(String)

    public var description: String {
        switch self {
        case let .tooShort(signal, seconds, minimum):
            return "\(signal): \(String(format: "%.3f", seconds)) s of audio; ViSQOL needs at least \(String(format: "%.2f", minimum)) s"
        case let .tooLong(signal, seconds, maximum):
            return "\(signal): \(String(format: "%.1f", seconds)) s of audio; at most \(String(format: "%.0f", maximum)) s can be scored at once"
        case let .notFinite(signal, index):
            return "\(signal): sample \(index) is not a finite number"
        case let .unsupportedSampleRate(rate):
            return "sample rate \(rate) Hz is not supported (\(ViSQOL.sampleRate) or \(ViSQOL.fullBandSampleRate))"
        case .silentReference:
            return "reference: digital silence throughout, nothing to score against"
        case .degradedUnmatched:
            return "degraded: too short, different or misaligned to match any reference patch"
        case let .model(reason):
            return "lattice model: \(reason)"
        }
    }
}

public struct ViSQOLResult: Sendable, Equatable {
    /// MOS-LQO from the deep-lattice mapping, 1…5 (1 when the mean similarity is under 0.15).
    public var mos: Double
    /// Mean NSIM over bands (ViSQOL's "vnsim").
    public var meanSimilarity: Double
    /// Per-band mean NSIM, lowest band first ("fvnsim").
    public var bandSimilarity: [Double]
    /// Per-band mean of the 10 % worst patches ("fvnsim10").
    public var bandSimilarityWorstTenth: [Double]
    /// Per-band pooled standard deviation of NSIM ("fstdnsim").
    public var bandSimilarityDeviation: [Double]
    /// Per-band mean degraded level, dB above the floor ("fvdegenergy").
    public var bandDegradedEnergy: [Double]
    public var centreFrequencies: [Double]
    /// Number of reference patches scored.
    public var patchCount: Int
    /// Global alignment found, seconds (negative when the degraded signal was late).
    public var lagSeconds: Double
}

public struct ViSQOL: Sendable {
    /// The rate ViSQOL's speech mode analyses at.
    public static let sampleRate = 16_000
    /// The other rate `score` accepts (Concord's), decimated by 3 to `sampleRate` first.
    public static let fullBandSampleRate = 48_000
    /// Longest signal scored in one call: one hour (time grows linearly, the DP back-pointers too).
    public static let maximumSeconds = 3_600
    static let bandCount = 21
    static let minimumFrequency = 50.0
    static let maximumFrequency = 8_000.0
    /// Google's default quantile input to the lattice model.
    static let tau: Float = 0.5

    let filterbank: GammatoneFilterbank
    let model: LatticeModel

    /// Loads the bundled lattice model.
    public init() throws(ViSQOLError) {
        do { model = try LatticeModel.bundled() } catch let error as LatticeModelError {
            throw .model(error.description)
        } catch {
            throw .model("\(error)")
        }
        filterbank = GammatoneFilterbank(sampleRate: Self.sampleRate, bandCount: Self.bandCount,
                                         lowFrequency: Self.minimumFrequency, highFrequency: Self.maximumFrequency)
    }

    /// Scores `degraded` against `reference` (mono, same rate, 16 kHz or 48 kHz; 48 kHz is resampled).
    /// Lengths may differ: the degraded signal is aligned globally and patch by patch.
    public func score(reference: [Float], degraded: [Float], sampleRate: Int) throws(ViSQOLError) -> ViSQOLResult {
        let (reference, degraded) = try analysisRate(reference, degraded, sampleRate: sampleRate)
        return try score(reference: reference, degraded: consume degraded)
    }

    public func score(reference: [Double], degraded: [Double], sampleRate: Int) throws(ViSQOLError) -> ViSQOLResult {
        let (reference, degraded) = try analysisRate(reference, degraded, sampleRate: sampleRate)
        return try score(reference: reference, degraded: consume degraded)
    }

    /// Both signals checked and at `sampleRate` (16 kHz); 48 kHz input is read once, by the resampler.
    private func analysisRate<Sample: BinaryFloatingPoint>(_ reference: [Sample], _ degraded: [Sample], sampleRate: Int)
        throws(ViSQOLError) -> (reference: [Double], degraded: [Double]) {
        guard sampleRate == Self.sampleRate || sampleRate == Self.fullBandSampleRate else { throw .unsupportedSampleRate(sampleRate) }
        for (name, signal) in [("reference", reference), ("degraded", degraded)] where signal.count > Self.maximumSeconds * sampleRate {
            throw .tooLong(signal: name, seconds: Double(signal.count) / Double(sampleRate), maximumSeconds: Double(Self.maximumSeconds))
        }
        for (name, signal) in [("reference", reference), ("degraded", degraded)] {
            if let bad = signal.firstIndex(where: { !$0.isFinite }) { throw .notFinite(signal: name, sampleIndex: bad) }
        }
        if sampleRate == Self.fullBandSampleRate {
            return (Resampler.decimateBy3(reference), Resampler.decimateBy3(degraded))
        }
        return (reference.map { Double($0) }, degraded.map { Double($0) })
    }

    /// `degraded` is consumed: it is aligned and level-matched in place (a minute of it is 8 MB).
    private func score(reference ref: [Double], degraded deg: consuming [Double]) throws(ViSQOLError) -> ViSQOLResult {
        // One patch plus the half patch before the first one, and more than an analysis window.
        let minimumFrames = PatchSelection.patchFrames + PatchSelection.patchFrames / 2
        let minimumSamples = filterbank.windowSize + (minimumFrames - 1) * filterbank.hopSize
        let minimumSeconds = Double(minimumSamples) / Double(Self.sampleRate)
        for (name, count) in [("reference", ref.count), ("degraded", deg.count)] where count < minimumSamples {
            throw .tooShort(signal: name, seconds: Double(count) / Double(Self.sampleRate), minimumSeconds: minimumSeconds)
        }

        // ViSQOL's VAD always keeps the first patch, so a silent reference would be "scored"; refuse it.
        guard ref.contains(where: { $0 != 0 }) else { throw .silentReference }

        let plans = FourierPlans<Double>()
        let lag = Alignment.globalLag(reference: ref, degraded: deg, plans: plans)
        Alignment.shift(&deg, by: lag)
        Self.matchLevel(of: &deg, to: ref)

        guard let refSpectrogram = filterbank.spectrogram(ref), let degSpectrogram = filterbank.spectrogram(deg) else {
            throw .tooShort(signal: "degraded", seconds: Double(deg.count) / Double(Self.sampleRate), minimumSeconds: minimumSeconds)
        }
        let (refPrepared, degPrepared) = GammatoneFilterbank.prepareForComparison(refSpectrogram, degSpectrogram)
        let starts = PatchSelection.voiceActivePatchStarts(reference: ref, frameCount: refPrepared.frameCount, hopSize: filterbank.hopSize)
        guard !starts.isEmpty else { throw .silentReference }
        let frameDuration = Double(filterbank.hopSize) / Double(Self.sampleRate)
        let referencePatches = starts.map { start in
            refPrepared.values.map { Array($0[start..<min(start + PatchSelection.patchFrames, $0.count)]) }
        }
        guard referencePatches.allSatisfy({ $0.allSatisfy { $0.count == PatchSelection.patchFrames } }),
              let matches = PatchSelection.bestDegradedPatches(referencePatches: referencePatches, starts: starts,
                                                                 degraded: degPrepared, frameDuration: frameDuration)
        else { throw .degradedUnmatched }
        let patches = PatchSelection.finelyAlign(
            matches, reference: ref, degraded: deg, sampleRate: Self.sampleRate,
            referenceSpectrogram: refSpectrogram, degradedSpectrogram: degSpectrogram, filterbank: filterbank, plans: plans)

        let features = Features(patches: patches, bandCount: Self.bandCount, frameDuration: frameDuration)
        var inputs: [String: Float] = ["tau": Self.tau]
        for band in 0..<Self.bandCount {
            inputs["fvnsim\(band)"] = Float(features.mean[band])
            inputs["fvnsim10_\(band)"] = Float(features.worstTenth[band])
            inputs["fstdnsim\(band)"] = Float(features.deviation[band])
            inputs["fvdegenergy\(band)"] = Float(features.degradedEnergy[band])
        }
        let predicted: Float
        do { predicted = try model.predict(inputs) } catch let error as LatticeModelError {
            throw .model(error.description)
        } catch {
            throw .model("\(error)")
        }
        let meanSimilarity = features.mean.reduce(0, +) / Double(Self.bandCount)
        // Google's AlterForSimilarityExtremes: almost nothing in common is the bottom of the scale.
        let mos = meanSimilarity < 0.15 ? 1.0 : Double(predicted)
        return ViSQOLResult(
            mos: mos, meanSimilarity: meanSimilarity, bandSimilarity: features.mean,
            bandSimilarityWorstTenth: features.worstTenth, bandSimilarityDeviation: features.deviation,
            bandDegradedEnergy: features.degradedEnergy, centreFrequencies: filterbank.bands.map(\.centreFrequency),
            patchCount: patches.count, lagSeconds: Double(lag) / Double(Self.sampleRate))
    }

    /// Scales `signal` to the RMS level of `target` (ViSQOL compares at equal sound pressure level).
    static func matchLevel(of signal: inout [Double], to target: [Double]) {
        func rms(_ s: [Double]) -> Double { (s.reduce(0) { $0 + $1 * $1 } / Double(max(s.count, 1))).squareRoot() }
        let signalRMS = rms(signal), targetRMS = rms(target)
        guard signalRMS > 0, targetRMS > 0 else { return }
        let scale = targetRMS / signalRMS
        for i in signal.indices { signal[i] *= scale }
    }

    /// The four per-band feature vectors the lattice model reads.
    struct Features {
        var mean: [Double]
        var worstTenth: [Double]
        var deviation: [Double]
        var degradedEnergy: [Double]

        init(patches: [PatchSimilarity], bandCount: Int, frameDuration: Double) {
            let count = Double(patches.count)
            mean = (0..<bandCount).map { band in patches.reduce(0) { $0 + $1.bandMeans[band] } / count }
            degradedEnergy = (0..<bandCount).map { band in patches.reduce(0) { $0 + $1.bandDegradedEnergy[band] } / count }
            worstTenth = (0..<bandCount).map { band in
                let sorted = patches.map { $0.bandMeans[band] }.sorted()
                let taken = max(1, Int(Double(sorted.count) * 0.10))
                return sorted.prefix(taken).reduce(0, +) / Double(taken)
            }
            // Pooled standard deviation over patches, weighting each by its frame count.
            var totalFrames = 0
            var contribution = [Double](repeating: 0, count: bandCount)
            for patch in patches {
                let frames = Int((( patch.referenceEnd - patch.referenceStart) / frameDuration).rounded(.up))
                totalFrames += frames
                for band in 0..<bandCount {
                    let sd = patch.bandStandardDeviations[band], m = patch.bandMeans[band]
                    contribution[band] += Double(frames - 1) * sd * sd
                    contribution[band] += Double(frames) * m * m
                }
            }
            let means = mean
            deviation = (0..<bandCount).map { band in
                guard totalFrames > 1 else { return 0 }
                let variance = (contribution[band] - means[band] * means[band] * Double(totalFrames)) / Double(totalFrames - 1)
                return variance < 0 ? 0 : variance.squareRoot()
            }
        }
    }
}

/// 48 kHz → 16 kHz: a linear-phase windowed-sinc (Kaiser) low-pass at 7.6 kHz, then every third sample.
enum Resampler {
    static let taps: [Double] = {
        let length = 193  // odd, so the filter has an integer delay of 96 input samples (2 ms)
        let cutoff = 7_600.0 / Double(ViSQOL.fullBandSampleRate)  // cycles per input sample
        let beta = 8.6  // ≈ 86 dB stop-band
        func besselI0(_ x: Double) -> Double {
            var sum = 1.0, term = 1.0, k = 1.0
            while term > 1e-12 * sum {
                term *= (x / (2 * k)) * (x / (2 * k))
                sum += term
                k += 1
            }
            return sum
        }
        let centre = Double(length - 1) / 2
        var h = (0..<length).map { i -> Double in
            // |offset from the centre|: the taps are exactly symmetric, which decimateBy3 relies on.
            let n = abs(Double(i) - centre)
            let sinc = n == 0 ? 2 * cutoff : sin(2 * Double.pi * cutoff * n) / (Double.pi * n)
            let ratio = n / centre
            return sinc * besselI0(beta * (1 - ratio * ratio).squareRoot()) / besselI0(beta)
        }
        let sum = h.reduce(0, +)
        h = h.map { $0 / sum }
        return h
    }()

    /// Output sample k is centred on input sample 3k, so the two signals stay time-aligned:
    /// y[k] = h[half]·x[3k] + Σ_{t < half} h[t]·(x[3k + half − t] + x[3k − half + t]), x zero outside the
    /// signal (the taps are symmetric, so each multiplies two inputs' sum). Block by block, the inputs
    /// a block needs are split into their three phases x[3i], x[3i + 1], x[3i + 2]: every tap then reads
    /// consecutive values of one phase, eight outputs at a time in SIMD lanes.
    static func decimateBy3<Sample: BinaryFloatingPoint>(_ input: [Sample]) -> [Double] {
        let n = input.count
        let outputCount = (n + 2) / 3
        let half = taps.count / 2
        let block = 1_024  // outputs per block, a multiple of the lane count
        // Phase position i of a block starting at output k0 holds x[3·k0 − half + 3i + phase].
        let phaseLength = block + (2 * half) / 3 + 1
        var phases = [Double](repeating: 0, count: 3 * phaseLength)
        // x[3k + d] for the block's output kk = k − k0 is phase (half + d) mod 3 at kk + (half + d) / 3:
        // where tap t's two inputs (d = half − t and d = t − half) start, and the centre's (d = 0).
        func start(_ d: Int) -> Int { (half + d) % 3 * phaseLength + (half + d) / 3 }
        let later = (0..<half).map { start(half - $0) }, earlier = (0..<half).map { start($0 - half) }
        let centre = start(0)
        return [Double](largeCount: outputCount) { output in
            input.withUnsafeBufferPointer { x in
            taps.withUnsafeBufferPointer { h in
            later.withUnsafeBufferPointer { later in
            earlier.withUnsafeBufferPointer { earlier in
            phases.withUnsafeMutableBufferPointer { phaseBuffer in
                guard let y = output.baseAddress, let p = phaseBuffer.baseAddress, let samples = x.baseAddress else { return }
                // Eight outputs: four independent chains of additions, so the taps' sums are not
                // held up by the latency of the one before.
                typealias Lanes = SIMD8<Double>
                var k0 = 0
                while k0 < outputCount {
                    let from = 3 * k0 - half
                    if from >= 0 && from + 3 * phaseLength <= n {
                        let source = samples + from
                        for i in 0..<phaseLength {
                            p[i] = Double(source[3 * i])
                            p[phaseLength + i] = Double(source[3 * i + 1])
                            p[2 * phaseLength + i] = Double(source[3 * i + 2])
                        }
                    } else {
                        for i in 0..<phaseLength {
                            for phase in 0..<3 {
                                let j = from + 3 * i + phase
                                p[phase * phaseLength + i] = j >= 0 && j < n ? Double(x[j]) : 0
                            }
                        }
                    }
                    let count = min(block, outputCount - k0)
                    var kk = 0
                    while kk < count {
                        let q = p + kk
                        var sum = h[half] * Lanes.load(q + centre)
                        for t in 0..<half {
                            sum += h[t] * (Lanes.load(q + later[t]) + Lanes.load(q + earlier[t]))
                        }
                        if kk + Lanes.scalarCount <= count {
                            sum.store(to: y + k0 + kk)
                        } else {
                            for lane in 0..<(count - kk) { (y + k0 + kk + lane).initialize(to: sum[lane]) }
                        }
                        kk += Lanes.scalarCount
                    }
                    k0 += block
                }
            }}}}}
        }
    }
}
