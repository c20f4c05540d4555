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
        let firstPatch = patchFrames / 2 - 1
        guard frameCount > firstPatch else { return [] }
        let patchCount = (frameCount - firstPatch) / patchFrames
        let totalSamples = patchCount * patchFrames * hopSize
        // Google's implementation starts the VAD at sample `firstPatch` (a frame index used as a
        // sample index); kept so the chosen patches match.
        let start = min(firstPatch, reference.count)
        let samples = reference[start..<min(reference.count, start + totalSamples)]
        var chunkActive: [Bool] = []
        var chunkStart = samples.startIndex
        while chunkStart + hopSize <= samples.endIndex {
            var squares = 0.0
            for sample in samples[chunkStart..<(chunkStart + hopSize)] {
                // Normalised to the peak (silence stays silence).
                let value = peak == 0 ? 0 : sample / peak
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

    /// The eight neighbours of a cell in NSIM's 3×3 window, as (row, column) steps.
    static let neighbourSteps = [(-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1)]

    /// The search scores every candidate offset of every patch (about 140 million cells for a minute
    /// of speech), so it runs in Float, twice the SIMD lanes of Double. Only the offsets it picks feed
    /// the score (`NSIM.compare` rescores them in Double), and it is written so that Float's rounding
    /// cannot swamp small variances: the covariance comes from differences between neighbours, never
    /// as a difference of two large sums (dB values near 90 squared, against C3 = 4.5e-4).
    typealias Lanes = SIMD8<Float>

    /// The degraded spectrogram prepared for the search's hot loop: zero-extended by one patch width
    /// (and one lane group), and for every cell (row r, column j) its Gaussian-window local mean, the
    /// mean's square and √|variance| (computed in Double), the mean minus the cell's value, and the
    /// differences D[r + dr][j + dc] − D[r][j] to its eight neighbours (rows replicated at the band edges). A
    /// patch's first and last columns replicate themselves outwards, so the statistics come in three
    /// versions: `Edge.first` (left neighbour = the cell), `.inner`, `Edge.last` (right neighbour =
    /// the cell). Deviations are stored twice, as `positiveDeviations` (0 where the variance is
    /// negative) and `negativeDeviations` (0 where it is positive): a reference cell of either sign
    /// reads the table in which a variance product below zero gives NSIM's C3-only denominator.
    struct DegradedColumns {
        enum Edge: Int { case first = 0, inner = 1, last = 2 }
        enum Table {
            case difference(neighbour: Int)
            case mean(Edge)
            case meanSquared(Edge)
            case meanMinusValue(Edge)
            case positiveDeviation(Edge)
            case negativeDeviation(Edge)
        }

        let bands: Int
        let width: Int  // frames + patchFrames + Lanes.scalarCount
        /// Every table, one after another, `bands · width` values each, row by row (see `offset`).
        let tables: [Float]

        /// Where `table` starts in `tables`.
        func offset(_ table: Table) -> Int {
            Self.offset(table, bands: bands, width: width)
        }

        static func offset(_ table: Table, bands: Int, width: Int) -> Int {
            let index: Int
            switch table {
            case let .difference(neighbour): index = neighbour
            case let .mean(edge): index = 8 + edge.rawValue
            case let .meanSquared(edge): index = 11 + edge.rawValue
            case let .meanMinusValue(edge): index = 14 + edge.rawValue
            case let .positiveDeviation(edge): index = 17 + edge.rawValue
            case let .negativeDeviation(edge): index = 20 + edge.rawValue
            }
            return index * bands * width
        }

        init(_ spectrogram: FlatSpectrogram) {
            let bands = spectrogram.bands, width = spectrogram.frames + patchFrames + Lanes.scalarCount
            self.bands = bands
            self.width = width
            var v = [Double](repeating: 0, count: bands * width)
            for r in 0..<bands {
                for j in 0..<spectrogram.frames { v[r * width + j] = spectrogram.values[r * spectrogram.frames + j] }
            }
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
            // Every one of the 23 tables is written below.
            tables = [Float](largeCount: 23 * bands * width) { tables in
                for (neighbour, (dr, dc)) in neighbourSteps.enumerated() {
                    let base = neighbour * bands * width
                    for r in 0..<bands {
                        let row = min(max(r + dr, 0), bands - 1)
                        for j in 0..<width {
                            let column = min(max(j + dc, 0), width - 1)
                            tables[base + r * width + j] = Float(v[row * width + column] - v[r * width + j])
                        }
                    }
                }
                for version in [Edge.first, .inner, .last] {
                    func at(_ table: Table) -> Int { Self.offset(table, bands: bands, width: width) }
                    let mean = at(.mean(version)), meanSquared = at(.meanSquared(version))
                    let meanMinusValue = at(.meanMinusValue(version))
                    let positive = at(.positiveDeviation(version)), negative = at(.negativeDeviation(version))
                    for r in 0..<bands {
                        for column in 0..<width {
                            let j = r * width + column
                            let left = version == .first || column == 0 ? j : j - 1
                            let right = version == .last || column == width - 1 ? j : j + 1
                            let mu = side[left] + middle[j] + side[right]
                            let variance = sideSq[left] + middleSq[j] + sideSq[right] - mu * mu
                            let deviation = Float(abs(variance).squareRoot())
                            tables[mean + j] = Float(mu)
                            tables[meanSquared + j] = Float(mu * mu)
                            tables[meanMinusValue + j] = Float(mu - v[j])
                            tables[positive + j] = variance < 0 ? 0 : deviation
                            tables[negative + j] = variance > 0 ? 0 : deviation
                        }
                    }
                }
            }
        }
    }

    /// A reference patch prepared for the search. With R and D the reference patch and the degraded
    /// candidate, the window weights w summing to 1, and a cell's own values R₀ and D₀, NSIM's
    /// covariance Σ w·R·D − μR·μD equals Σ w·(R − R₀)·(D − D₀) − (μR − R₀)·(μD − D₀). A neighbour that
    /// the patch edge replicates onto the cell's own row or column is that row's or column's neighbour,
    /// so each cell has eight weights, w·(R − R₀) summed per neighbour, for the degraded differences.
    struct ReferenceTerms {
        let weights: [Float]  // cell * 8 + neighbour
        let means: [Float]
        let meanMinusValue: [Float]
        let deviations: [Float]  // √|variance|
        let negativeVariance: [Bool]

        init(_ patch: [[Double]], statistics: NSIM.ReferenceStatistics) {
            let rows = patch.count, columns = patchFrames
            means = statistics.mean.flatMap { $0 }.map { Float($0) }
            let variances = statistics.variance.flatMap { $0 }
            deviations = variances.map { Float(abs($0).squareRoot()) }
            negativeVariance = variances.map { $0 < 0 }
            var meanMinusValue = [Float](repeating: 0, count: rows * columns)
            var weights = [Double](repeating: 0, count: rows * columns * 8)
            for r in 0..<rows {
                for c in 0..<columns {
                    let cell = r * columns + c
                    meanMinusValue[cell] = Float(statistics.mean[r][c] - patch[r][c])
                    for dr in -1...1 {
                        let rr = min(max(r + dr, 0), rows - 1)
                        for dc in -1...1 {
                            let cc = min(max(c + dc, 0), columns - 1)
                            // The neighbour the degraded side reads: a replicated column is the cell's
                            // own column; a replicated row is the difference table's own clamping.
                            guard let neighbour = neighbourSteps.firstIndex(where: { $0 == (dr, cc - c) }) else { continue }
                            weights[cell * 8 + neighbour] += NSIM.window[dr + 1][dc + 1] * (patch[rr][cc] - patch[r][c])
                        }
                    }
                }
            }
            self.weights = weights.map { Float($0) }
            self.meanMinusValue = meanMinusValue
        }
    }

    /// Mean NSIM of every candidate offset in `offsets`, into `similarities[offset − offsets.lowerBound]`
    /// (the search's hot loop). Cell by cell, all offsets at once: the inner loop runs over contiguous
    /// degraded columns.
    static func meanSimilarities(_ reference: ReferenceTerms, _ degraded: DegradedColumns, offsets: ClosedRange<Int>,
                                 into similarities: inout [Double], bandSums bandSumStorage: inout [Float]) {
        let rows = degraded.bands, columns = patchFrames, width = degraded.width
        // Whole lanes: the degraded columns are padded so the last lane's reads stay inside.
        let count = (offsets.count + Lanes.scalarCount - 1) / Lanes.scalarCount * Lanes.scalarCount
        let low = offsets.lowerBound
        let c1 = Float(NSIM.c1), c3 = Float(NSIM.c3)
        if similarities.count < count { similarities = [Double](repeating: 0, count: count) }
        if bandSumStorage.count < count { bandSumStorage = [Float](repeating: 0, count: count) }
        degraded.tables.withUnsafeBufferPointer { tableBuffer in
        reference.weights.withUnsafeBufferPointer { weightBuffer in
        similarities.withUnsafeMutableBufferPointer { similarityBuffer in
        bandSumStorage.withUnsafeMutableBufferPointer { bandSumBuffer in
            guard let tables = tableBuffer.baseAddress, let weights = weightBuffer.baseAddress,
                  let similarity = similarityBuffer.baseAddress, let bandSums = bandSumBuffer.baseAddress else { return }
            similarity.update(repeating: 0, count: count)
            let d0 = tables + degraded.offset(.difference(neighbour: 0)), d1 = tables + degraded.offset(.difference(neighbour: 1))
            let d2 = tables + degraded.offset(.difference(neighbour: 2)), d3 = tables + degraded.offset(.difference(neighbour: 3))
            let d4 = tables + degraded.offset(.difference(neighbour: 4)), d5 = tables + degraded.offset(.difference(neighbour: 5))
            let d6 = tables + degraded.offset(.difference(neighbour: 6)), d7 = tables + degraded.offset(.difference(neighbour: 7))
            for r in 0..<rows {
                bandSums.update(repeating: 0, count: count)
                for c in 0..<columns {
                    let j = r * width + c + low
                    let edge: DegradedColumns.Edge = c == 0 ? .first : c == columns - 1 ? .last : .inner
                    let cell = r * columns + c
                    let mr = reference.means[cell], mrMinusR = reference.meanMinusValue[cell]
                    let deviationR = reference.deviations[cell]
                    let twoMr = 2 * mr, mrSquaredPlusC1 = mr * mr + c1
                    let meanD = tables + degraded.offset(.mean(edge)) + j
                    let meanSquaredD = tables + degraded.offset(.meanSquared(edge)) + j
                    let meanMinusD = tables + degraded.offset(.meanMinusValue(edge)) + j
                    let deviationD = tables + j + degraded.offset(
                        reference.negativeVariance[cell] ? .negativeDeviation(edge) : .positiveDeviation(edge))
                    let w = weights + cell * 8
                    let w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7]
                    var o = 0
                    while o < count {
                        let md = Lanes.load(meanD + o)
                        // Pairwise, so the eight products are not one chain of additions.
                        let p0: Lanes = w0 * Lanes.load(d0 + j + o), p1: Lanes = w1 * Lanes.load(d1 + j + o)
                        let p2: Lanes = w2 * Lanes.load(d2 + j + o), p3: Lanes = w3 * Lanes.load(d3 + j + o)
                        let p4: Lanes = w4 * Lanes.load(d4 + j + o), p5: Lanes = w5 * Lanes.load(d5 + j + o)
                        let p6: Lanes = w6 * Lanes.load(d6 + j + o), p7: Lanes = w7 * Lanes.load(d7 + j + o)
                        let up: Lanes = (p0 + p1) + (p2 + p3), down: Lanes = (p4 + p5) + (p6 + p7)
                        let covariance: Lanes = (up + down) - mrMinusR * Lanes.load(meanMinusD + o)
                        let numerator: Lanes = (twoMr * md + c1) * (covariance + c3)
                        let denominator: Lanes = (mrSquaredPlusC1 + Lanes.load(meanSquaredD + o)) * (deviationR * Lanes.load(deviationD + o) + c3)
                        (Lanes.load(bandSums + o) + numerator / denominator).store(to: bandSums + o)
                        o += Lanes.scalarCount
                    }
                }
                for o in 0..<count { similarity[o] += Double(bandSums[o]) / Double(columns) }
            }
            for o in 0..<count { similarity[o] /= Double(rows) }
        }}}}
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
        var similarities = [Double](), bandSums = [Float]()
        for p in 0..<patchCount {
            if p > 0 {
                swap(&previousRow, &currentRow)
                for i in 0..<frames { currentRow[i] = 0 }
            }
            let low = max(0, starts[p] - searchWindow)
            let high = min(frames - 1, starts[p] + searchWindow)
            guard low <= high else { continue }
            var pointers = [Int32](repeating: -1, count: high - low + 1)
            let terms = ReferenceTerms(referencePatches[p], statistics: NSIM.referenceStatistics(referencePatches[p]))
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
                            filterbank: GammatoneFilterbank, plans: FourierPlans<Double>) -> [PatchSimilarity] {
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
