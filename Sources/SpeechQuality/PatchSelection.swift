// Speech-mode patch selection and alignment: voice-active reference patches, the dynamic-programming
// search for the degraded patch sequence that maximises total similarity (a dropped patch scores
// zero), then per-patch fine alignment in the time domain.

import Foundation

enum PatchSelection {
    static let patchFrames = 20
    static let searchWindowPatches = 60

    /// Start frames of reference patches that hold voice activity (ViSQOL's RMS VAD on 16-bit samples,
    /// one chunk per frame hop, a chunk silent only after three quiet chunks in a row).
    static func voiceActivePatchStarts(reference: [Double], frameCount: Int, hopSize: Int) -> [Int] {
        let peak = reference.max() ?? 0
        let normalised = peak == 0 ? [Double](repeating: 0, count: reference.count) : reference.map { $0 / peak }
        let firstPatch = patchFrames / 2 - 1
        guard frameCount > firstPatch else { return [] }
        let patchCount = (frameCount - firstPatch) / patchFrames
        let totalSamples = patchCount * patchFrames * hopSize
        // Google's implementation starts the VAD at sample `firstPatch` (a frame index used as a
        // sample index); kept so the chosen patches match.
        let start = min(firstPatch, normalised.count)
        let samples = normalised[start..<min(normalised.count, start + totalSamples)]
        var chunkActive: [Bool] = []
        var chunkStart = samples.startIndex
        while chunkStart + hopSize <= samples.endIndex {
            var squares = 0.0
            for value in samples[chunkStart..<(chunkStart + hopSize)] {
                let scaled = min(max(value * 32768, -32768), 32767)
                let integer = Double(Int(scaled))
                squares += integer * integer
            }
            chunkActive.append((squares / Double(hopSize)).squareRoot() >= 5000)
            chunkStart += hopSize
        }
        var activity = [true, true]
        if chunkActive.count > 2 {
            for i in 2..<chunkActive.count {
                activity.append(chunkActive[i] || chunkActive[i - 1] || chunkActive[i - 2])
            }
        }
        var starts: [Int] = []
        for patch in 0..<patchCount {
            let from = patch * patchFrames
            let to = min(from + patchFrames, activity.count)
            if from < to, activity[from..<to].contains(true) {
                starts.append(firstPatch + patch * patchFrames)
            }
        }
        return starts
    }

    /// Flat bands × frames copy of a spectrogram for the inner loop.
    struct FlatSpectrogram {
        let bands: Int
        let frames: Int
        let values: [Double]

        init(_ s: Spectrogram) {
            bands = s.values.count
            frames = s.frameCount
            values = s.values.flatMap { $0 }
        }

        /// The `patchFrames`-wide patch starting at `offset`, zero past the end.
        func patch(at offset: Int, width: Int) -> [[Double]] {
            (0..<bands).map { band in
                (0..<width).map { c in
                    let frame = offset + c
                    return frame >= 0 && frame < frames ? values[band * frames + frame] : 0
                }
            }
        }
    }

    /// The degraded spectrogram prepared for the DP's hot loop: zero-extended by one patch width (and
    /// one lane group), with every cell's Gaussian-window local mean, variance and √|variance|, so a
    /// candidate's local statistics are lookups and the loop needs no square root. A patch's first
    /// and last columns replicate themselves outwards, so each statistic comes in three versions:
    /// `Edge.first` (left neighbour = the cell), `.inner`, `Edge.last` (right neighbour = the cell).
    struct DegradedColumns {
        enum Edge: Int { case first = 0, inner = 1, last = 2 }

        let bands: Int
        let width: Int  // frames + patchFrames + Lanes.scalarCount
        let values: [Double]
        let means: [[Double]]  // [edge][row * width + column]
        let variances: [[Double]]
        let deviations: [[Double]]  // √|variance|

        init(_ spectrogram: FlatSpectrogram) {
            bands = spectrogram.bands
            width = spectrogram.frames + patchFrames + Lanes.scalarCount
            var v = [Double](repeating: 0, count: bands * width)
            for r in 0..<bands {
                for j in 0..<spectrogram.frames { v[r * width + j] = spectrogram.values[r * spectrogram.frames + j] }
            }
            values = v
            // Column sums of the window (rows replicated at the band edges) of the values and squares.
            let corner = NSIM.window[0][0], edge = NSIM.window[0][1], centre = NSIM.window[1][1]
            var side = [Double](repeating: 0, count: bands * width), middle = side, sideSq = side, middleSq = side
            for r in 0..<bands {
                let up = max(r - 1, 0), down = min(r + 1, bands - 1)
                for j in 0..<width {
                    let a = v[up * width + j], b = v[r * width + j], c = v[down * width + j]
                    side[r * width + j] = corner * (a + c) + edge * b
                    middle[r * width + j] = edge * (a + c) + centre * b
                    sideSq[r * width + j] = corner * (a * a + c * c) + edge * b * b
                    middleSq[r * width + j] = edge * (a * a + c * c) + centre * b * b
                }
            }
            var means = [[Double]](repeating: [Double](repeating: 0, count: bands * width), count: 3)
            var variances = means, deviations = means
            for version in [Edge.first, .inner, .last] {
                for r in 0..<bands {
                    for column in 0..<width {
                        let j = r * width + column
                        let left = version == .first || column == 0 ? j : j - 1
                        let right = version == .last || column == width - 1 ? j : j + 1
                        let mean = side[left] + middle[j] + side[right]
                        let variance = sideSq[left] + middleSq[j] + sideSq[right] - mean * mean
                        means[version.rawValue][j] = mean
                        variances[version.rawValue][j] = variance
                        deviations[version.rawValue][j] = abs(variance).squareRoot()
                    }
                }
            }
            self.means = means
            self.variances = variances
            self.deviations = deviations
        }
    }

    /// A reference patch prepared for the DP: its local means and variances, and for each cell the
    /// nine window weights times the (edge-replicated) reference values, paired with where the
    /// matching degraded value sits relative to the candidate offset.
    struct ReferenceTerms {
        let means: [Double]
        let variances: [Double]
        let deviations: [Double]  // √|variance|
        let weightedReference: [Double]  // cell * 9 + k
        let neighbour: [Int]  // cell * 9 + k → row * width + column within the patch

        init(_ patch: [[Double]], statistics: NSIM.ReferenceStatistics, width: Int) {
            let rows = patch.count, columns = patchFrames
            means = statistics.mean.flatMap { $0 }
            variances = statistics.variance.flatMap { $0 }
            deviations = variances.map { abs($0).squareRoot() }
            var weighted = [Double](repeating: 0, count: rows * columns * 9)
            var neighbours = [Int](repeating: 0, count: rows * columns * 9)
            for r in 0..<rows {
                for c in 0..<columns {
                    var k = 0
                    for dr in -1...1 {
                        let rr = min(max(r + dr, 0), rows - 1)
                        for dc in -1...1 {
                            let cc = min(max(c + dc, 0), columns - 1)
                            weighted[(r * columns + c) * 9 + k] = NSIM.window[dr + 1][dc + 1] * patch[rr][cc]
                            neighbours[(r * columns + c) * 9 + k] = rr * width + cc
                            k += 1
                        }
                    }
                }
            }
            weightedReference = weighted
            neighbour = neighbours
        }
    }

    typealias Lanes = SIMD4<Double>

    /// Mean NSIM of every candidate offset in `offsets`, into `similarities[offset − offsets.lowerBound]`
    /// (the DP's hot loop). Cell by cell, all offsets at once: the inner loop runs over contiguous
    /// degraded columns, and each offset's arithmetic is the same sequence as for a single patch.
    static func meanSimilarities(_ reference: ReferenceTerms, _ degraded: DegradedColumns, offsets: ClosedRange<Int>,
                                 into similarityStorage: inout [Double], bandSums bandSumStorage: inout [Double]) {
        let rows = degraded.bands, columns = patchFrames, width = degraded.width
        // Whole lanes: the degraded columns are padded so the last lane's reads stay inside.
        let count = (offsets.count + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
        let low = offsets.lowerBound
        let c1 = NSIM.c1, c3 = NSIM.c3
        if similarityStorage.count < count { similarityStorage = [Double](repeating: 0, count: count) }
        if bandSumStorage.count < count { bandSumStorage = [Double](repeating: 0, count: count) }
        similarityStorage.withUnsafeMutableBufferPointer { similarityBuffer in
        bandSumStorage.withUnsafeMutableBufferPointer { bandSumBuffer in
        reference.weightedReference.withUnsafeBufferPointer { weights in
        reference.neighbour.withUnsafeBufferPointer { neighbours in
        reference.means.withUnsafeBufferPointer { means in
        reference.variances.withUnsafeBufferPointer { variances in
        reference.deviations.withUnsafeBufferPointer { referenceDeviations in
        degraded.values.withUnsafeBufferPointer { dValues in
        degraded.means[0].withUnsafeBufferPointer { firstMeans in
        degraded.means[1].withUnsafeBufferPointer { innerMeans in
        degraded.means[2].withUnsafeBufferPointer { lastMeans in
        degraded.variances[0].withUnsafeBufferPointer { firstVariances in
        degraded.variances[1].withUnsafeBufferPointer { innerVariances in
        degraded.variances[2].withUnsafeBufferPointer { lastVariances in
        degraded.deviations[0].withUnsafeBufferPointer { firstDeviations in
        degraded.deviations[1].withUnsafeBufferPointer { innerDeviations in
        degraded.deviations[2].withUnsafeBufferPointer { lastDeviations in
            guard let similarities = similarityBuffer.baseAddress, let bandSums = bandSumBuffer.baseAddress,
                  let d = dValues.baseAddress,
                  let firstMean = firstMeans.baseAddress, let innerMean = innerMeans.baseAddress, let lastMean = lastMeans.baseAddress,
                  let firstVariance = firstVariances.baseAddress, let innerVariance = innerVariances.baseAddress,
                  let lastVariance = lastVariances.baseAddress, let firstDeviation = firstDeviations.baseAddress,
                  let innerDeviation = innerDeviations.baseAddress, let lastDeviation = lastDeviations.baseAddress
            else { return }
            similarities.update(repeating: 0, count: count)
            for r in 0..<rows {
                bandSums.update(repeating: 0, count: count)
                for c in 0..<columns {
                    let j = r * width + c + low
                    let isFirst = c == 0, isLast = c == columns - 1
                    let meanD = (isFirst ? firstMean : isLast ? lastMean : innerMean) + j
                    let varianceDAt = (isFirst ? firstVariance : isLast ? lastVariance : innerVariance) + j
                    let deviationD = (isFirst ? firstDeviation : isLast ? lastDeviation : innerDeviation) + j
                    let cell = r * columns + c
                    let base = cell * 9
                    let w0 = weights[base], w1 = weights[base + 1], w2 = weights[base + 2]
                    let w3 = weights[base + 3], w4 = weights[base + 4], w5 = weights[base + 5]
                    let w6 = weights[base + 6], w7 = weights[base + 7], w8 = weights[base + 8]
                    let d0 = d + neighbours[base] + low, d1 = d + neighbours[base + 1] + low, d2 = d + neighbours[base + 2] + low
                    let d3 = d + neighbours[base + 3] + low, d4 = d + neighbours[base + 4] + low, d5 = d + neighbours[base + 5] + low
                    let d6 = d + neighbours[base + 6] + low, d7 = d + neighbours[base + 7] + low, d8 = d + neighbours[base + 8] + low
                    let mr = means[cell], varianceR = variances[cell], deviationR = referenceDeviations[cell]
                    var o = 0
                    while o < count {
                        let md = Lanes.load(meanD + o)
                        let varianceD = Lanes.load(varianceDAt + o)
                        var cross = Lanes(repeating: 0)
                        cross += w0 * Lanes.load(d0 + o)
                        cross += w1 * Lanes.load(d1 + o)
                        cross += w2 * Lanes.load(d2 + o)
                        cross += w3 * Lanes.load(d3 + o)
                        cross += w4 * Lanes.load(d4 + o)
                        cross += w5 * Lanes.load(d5 + o)
                        cross += w6 * Lanes.load(d6 + o)
                        cross += w7 * Lanes.load(d7 + o)
                        cross += w8 * Lanes.load(d8 + o)
                        let covariance = cross - mr * md
                        // √(σr²·σd²) as √|σr²|·√|σd²|: equal whenever the product is not negative.
                        let denominator = (deviationR * Lanes.load(deviationD + o) + c3)
                            .replacing(with: c3, where: varianceR * varianceD .< 0)
                        let value = (2 * mr * md + c1) * (covariance + c3) / ((mr * mr + md * md + c1) * denominator)
                        (Lanes.load(bandSums + o) + value).store(to: bandSums + o)
                        o += Lanes.scalarCount
                    }
                }
                for o in 0..<count { similarities[o] += bandSums[o] / Double(columns) }
            }
            for o in 0..<count { similarities[o] /= Double(rows) }
        }}}}}}}}}}}}}}}}}
    }

    /// The best degraded patch for each reference patch, by dynamic programming over offsets
    /// (ViSQOL's FindMostOptimalDegPatches). Returns nil when no reference patch fits the degraded signal.
    static func bestDegradedPatches(referencePatches: [[[Double]]], starts: [Int], degraded: Spectrogram, frameDuration: Double) -> [PatchSimilarity]? {
        let flat = FlatSpectrogram(degraded)
        let frames = flat.frames
        let searchWindow = searchWindowPatches * patchFrames
        var patchCount = starts.count
        while patchCount > 0, starts[patchCount - 1] - patchFrames / 2 > frames { patchCount -= 1 }
        guard patchCount > 0, frames > 0 else { return nil }
        let patchDuration = frameDuration * Double(patchFrames)

        // Only the previous row of cumulative scores is needed; back-pointers are kept for each patch's
        // search window only (-1 elsewhere), so memory grows with patches × window, not patches × frames.
        var previousRow = [Double](repeating: 0, count: frames)
        var currentRow = [Double](repeating: 0, count: frames)
        var backtrace = [(low: Int, pointers: [Int32])](repeating: (0, []), count: patchCount)
        func pointer(_ p: Int, _ offset: Int) -> Int {
            let row = backtrace[p]
            let i = offset - row.low
            return i >= 0 && i < row.pointers.count ? Int(row.pointers[i]) : -1
        }
        var prefixValue = [Double](repeating: 0, count: frames)
        var prefixIndex = [Int](repeating: -1, count: frames)
        let columns = DegradedColumns(flat)
        var similarities = [Double](), bandSums = [Double]()
        for p in 0..<patchCount {
            if p > 0 {
                swap(&previousRow, &currentRow)
                for i in 0..<frames { currentRow[i] = 0 }
            }
            let low = max(0, starts[p] - searchWindow)
            let high = min(frames - 1, starts[p] + searchWindow)
            guard low <= high else { continue }
            var pointers = [Int32](repeating: -1, count: high - low + 1)
            let terms = ReferenceTerms(referencePatches[p], statistics: NSIM.referenceStatistics(referencePatches[p]), width: columns.width)
            if p > 0 {
                // Best predecessor strictly before each offset; ties go to the later offset.
                let lowerLimit = max(0, starts[p - 1] - searchWindow)
                var best = -Double.greatestFiniteMagnitude
                var bestOffset = -1
                if lowerLimit <= high {
                    for offset in lowerLimit...high {
                        prefixValue[offset] = best
                        prefixIndex[offset] = bestOffset
                        if previousRow[offset] >= best {
                            best = previousRow[offset]
                            bestOffset = offset
                        }
                    }
                }
            }
            meanSimilarities(terms, columns, offsets: low...high,
                             into: &similarities, bandSums: &bandSums)
            for offset in low...high {
                var value = similarities[offset - low]
                var previous = -1
                if p > 0 {
                    value += prefixValue[offset]
                    previous = prefixIndex[offset]
                    // Staying on the same offset means this reference patch was lost in the degraded signal.
                    if previousRow[offset] > value {
                        value = previousRow[offset]
                        previous = offset
                    }
                }
                currentRow[offset] = value
                pointers[offset - low] = Int32(previous)
            }
            backtrace[p] = (low, pointers)
        }

        let last = patchCount - 1
        let lowerLimit = max(0, starts[last] - searchWindow)
        let upperLimit = min(frames - 1, starts[last] + searchWindow)
        var bestScore = -Double.greatestFiniteMagnitude
        var offset = lowerLimit
        if lowerLimit <= upperLimit {
            for candidate in lowerLimit...upperLimit where currentRow[candidate] > bestScore {
                bestScore = currentRow[candidate]
                offset = candidate
            }
        }
        var results = [PatchSimilarity?](repeating: nil, count: patchCount)
        for p in stride(from: last, through: 0, by: -1) {
            // NumPy indexing in the reference implementation wraps a -1 to the last offset.
            let index = offset < 0 ? offset + frames : offset
            guard index >= 0, index < frames else { return nil }
            var result = NSIM.compare(referencePatches[p], flat.patch(at: index, width: patchFrames))
            if offset == pointer(p, index) {
                result.similarity = 0
                result.bandMeans = [Double](repeating: 0, count: flat.bands)
            } else {
                result.degradedStart = Double(offset) * frameDuration
                result.degradedEnd = result.degradedStart + patchDuration
            }
            result.referenceStart = Double(starts[p]) * frameDuration
            result.referenceEnd = result.referenceStart + patchDuration
            results[p] = result
            offset = pointer(p, index)
        }
        return results.compactMap { $0 }
    }

    /// A slice of `signal` by time, padded with zeros as Google's implementation does.
    static func slice(_ signal: [Double], sampleRate: Int, start: Double, end: Double) -> [Double] {
        let rate = Double(sampleRate)
        let startIndex = max(0, Int(start * rate))
        let endIndex = min(signal.count - 1, Int(end * rate))
        var sliced = startIndex < endIndex ? Array(signal[startIndex..<endIndex]) : []
        // Google's implementation puts the padding for an end past the signal at the front; kept for parity.
        let overrun = end * rate - Double(signal.count)
        if overrun > 0 { sliced = [Double](repeating: 0, count: Int(overrun)) + sliced }
        if start < 0 { sliced = [Double](repeating: 0, count: Int(-start * rate)) + sliced }
        return sliced
    }

    /// Re-aligns each matched pair in the time domain, rebuilds its spectrograms and keeps whichever of
    /// the two similarities is higher (ViSQOL's FinelyAlignAndRecreatePatches). `referenceSpectrogram`
    /// and `degradedSpectrogram` are the whole signals' (before `prepareForComparison`): a re-aligned
    /// piece that is the signal's own content from a frame boundary on reuses their frames.
    static func finelyAlign(_ matches: [PatchSimilarity], reference: [Double], degraded: [Double], sampleRate: Int,
                            referenceSpectrogram: Spectrogram, degradedSpectrogram: Spectrogram,
                            filterbank: GammatoneFilterbank, plans: FourierPlans) -> [PatchSimilarity] {
        let rate = Double(sampleRate)
        return matches.map { match in
            if match.degradedStart == match.degradedEnd && match.degradedStart == 0 { return match }
            let referenceAudio = slice(reference, sampleRate: sampleRate, start: match.referenceStart, end: match.referenceEnd)
            let degradedAudio = slice(degraded, sampleRate: sampleRate, start: match.degradedStart, end: match.degradedEnd)
            guard !referenceAudio.isEmpty, !degradedAudio.isEmpty else { return match }
            let (ref, deg, lag) = Alignment.alignAndTruncate(reference: referenceAudio, degraded: degradedAudio, sampleRate: sampleRate, plans: plans)
            guard ref.count > filterbank.windowSize, deg.count > filterbank.windowSize else { return match }
            // Where the pieces may sit in the signals: the slices' starts, moved by the alignment's lag
            // (alignAndTruncate cuts the degraded head for a negative lag and both heads for a positive one).
            let lagSamples = Int((lag * rate).rounded()), truncatedLag = Int(lag * rate)
            let referenceFrom = max(0, Int(match.referenceStart * rate)), degradedFrom = max(0, Int(match.degradedStart * rate))
            guard let refSpectrogram = filterbank.spectrogram(
                      of: ref, at: [referenceFrom, referenceFrom + truncatedLag], in: reference, whole: referenceSpectrogram),
                  let degSpectrogram = filterbank.spectrogram(
                      of: deg, at: [degradedFrom, degradedFrom - lagSamples, degradedFrom - lagSamples + truncatedLag],
                      in: degraded, whole: degradedSpectrogram)
            else { return match }
            let (refPrepared, degPrepared) = GammatoneFilterbank.prepareForComparison(refSpectrogram, degSpectrogram)
            var realigned = NSIM.compare(refPrepared.values, degPrepared.values)
            if realigned.similarity < match.similarity { return match }
            if lag > 0 {
                realigned.referenceStart = match.referenceStart + lag
                realigned.degradedStart = match.degradedStart
            } else {
                realigned.referenceStart = match.referenceStart
                realigned.degradedStart = match.degradedStart - lag
            }
            realigned.referenceEnd = realigned.referenceStart + Double(ref.count) / rate
            realigned.degradedEnd = realigned.degradedStart + Double(deg.count) / rate
            return realigned
        }
    }
}

extension GammatoneFilterbank {
    /// The spectrogram of `piece`: cut from `whole` (the spectrogram of `signal`) when `piece` equals
    /// `signal`'s samples from one of the candidate starts that falls on a frame boundary — the frames
    /// are then the same computation on the same samples — otherwise computed.
    func spectrogram(of piece: [Double], at candidates: [Int], in signal: [Double], whole: Spectrogram) -> Spectrogram? {
        let frames = frameCount(samples: piece.count)
        for start in candidates where start >= 0 && start % hopSize == 0 && start + piece.count <= signal.count {
            let first = start / hopSize
            guard frames > 0, first + frames <= whole.frameCount,
                  signal[start..<(start + piece.count)].elementsEqual(piece) else { continue }
            return Spectrogram(values: whole.values.map { Array($0[first..<(first + frames)]) })
        }
        return spectrogram(piece)
    }
}

extension SIMD4<Double> {
    @inline(__always) static func load(_ pointer: UnsafePointer<Double>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    @inline(__always) static func load(_ pointer: UnsafeMutablePointer<Double>) -> Self {
        UnsafeRawPointer(pointer).loadUnaligned(as: Self.self)
    }

    @inline(__always) func store(to pointer: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: Self.self)
    }
}
