import Foundation

/// Gains that take down what the echo canceller leaves of the echo, where the microphone holds
/// little but echo and noise.
///
/// AEC3 in a fan's noise lets the echo through nearly whole (2–5 dB down) in stretches of
/// 0.2–0.4 s (README, "What holds the fixture back is the fan"), and nothing it can be configured
/// with changed that without hurting a near end. This looks at the microphone, not at AEC3's
/// output, so it does not depend on how AEC3 fails. Per band:
///
///     E = L · R        the echo expected at the microphone
///     S = max(0, D − β·E − N)      what the microphone holds beyond echo and noise: the near end
///     g = (S + N) / (S + N + α·β·E)
///
/// with D the microphone's power, R the loudspeaker's at the echo's delay (from `EchoPresence`)
/// with a reverberant tail, L the echo return loss, N the noise floor, β (`overestimate`) the
/// margin by which E can fall short, α (`residualShare`) the share of the echo AEC3 lets through
/// where it fails. Echo alone: g ≈ N / (α·β·E), the residual taken down to about the noise; a
/// near end well above the echo: g ≈ 1. Decided on `EchoPresence`'s 64 ms frames at 16 kHz over
/// 200–4000 Hz, six of its bins to each of `SpectralGainFilter`'s; below, the lowest band's
/// gain, above, the geometric mean (the mean in dB) of the gains over 2–4 kHz — the typical
/// band's, so that one band holding a near end or AEC3's noise does not open the whole of
/// 4–24 kHz to the echo, as their plain mean did (a single band at 1 among twenty at −40 dB
/// made it −25 dB), nor one band of echo close it to a near end's fricatives, as their least
/// would.
///
/// Why each figure (tuned on the bench's laptop fixture and `far-end-alone` room, chosen with the
/// `selection-*` rooms; README "Residual echo suppression"): E falls short of the microphone's
/// power in echo-alone frames of the tuning room by 3.3 dB at the median, 7.1 at p90 and 10.5
/// at p99. β is the least of 6, 12, 24, 48 with which the fixture's ERLE reaches the goal of
/// 30 dB on every seed: 12 read 27.8, 24.0, 32.6 dB (seeds 1–3), residual max −24 to −33 dBFS;
/// 24 reads 36.4–38.4 dB and −37 to −41 dBFS, what the far end hears 2.48 → 2.54. Asked again
/// once `EchoPresence.bandPowers` read the loudspeaker at two chunks: 12 reads 35.2, 27.0, 42.6
/// dB, 24 reads 46.0, 47.0, 47.9 (residual max −52, −49, −55 dBFS). The price is
/// the near end under an echo: in `ResidualEchoTests` (echo at −10 dB) its ViSQOL fell 0.58
/// below AEC3 alone's (0.34 at 12; 0.53 with the high band and the two chunks below), in the
/// held-out close-speaker room 1.52 → 1.38 (AEC3 alone 1.71; 1.46 now). Tried and not kept: subtracting a smaller multiple than the gain's (β 3–6 under a
/// gain of 6 E) saved no double talk — the bench's double talk counts residual echo as damage —
/// and cost 3–6 dB of ERLE; β 12 where a frame's excess over 12 E is broad (a near end) and 24
/// elsewhere kept the close speaker at 1.50 only where it let seed 2's echo through (−24 dBFS);
/// switching on the share of bands above 6 E instead (30 or 50 %) spared it 0.03–0.05 at most.
/// Above 4 kHz (chosen among the plain mean, the geometric mean and the least of the 2–4 kHz
/// gains on the tuning and selection rooms, seeds 1–3): the geometric mean raised double talk on
/// the fixture 1.48 → 1.51 and in the selection rooms 1.00 → 1.19 and 1.00 → 1.05 (the least:
/// 1.51, 1.24, 1.06) at 0.03 of what the fixture's far end hears (the least: 0.08), and in the
/// held-out rooms 1.38 → 1.48 and 1.68 → 1.80; `ResidualEchoTests` 1.53 → 1.61 (with the
/// loudspeaker read at one chunk, before `EchoPresence.bandPowers` read two).
final class ResidualEchoSuppressor {
    /// Gains per bin of `SpectralGainFilter`, as of the last active `update`.
    private(set) var gains: [Float]
    static let overestimate: Float = 24
    static let residualShare: Float = 0.5
    /// −40 dB: in practice the noise floor decides how far a band goes down.
    static let floor: Float = 0.01
    /// Per 10 ms chunk. The noise floor falls to the band's power at once and rises 2 dB a second.
    static let noiseRise: Float = 1.0046
    /// The tail: −2.2 dB per 10 ms, an RT60 of 270 ms (the laptop fixture's room is 300 ms).
    static let tailDecay: Float = 0.6
    /// The echo return loss follows the least ratio at once and rises 4.3 dB a second, so that
    /// it follows a louder echo path within a second or two.
    static let lossRise: Float = 1.01
    /// The ratio is taken between powers smoothed over about 100 ms: the ratio of single 64 ms
    /// frames spreads too far for its minimum to mean much.
    static let ratioSmoothing: Float = 0.1
    /// The ratio is learnt only while the loudspeaker (with its tail) is within 30 dB of the
    /// loudest it has been lately (its peak decays 4.3 dB a second).
    static let activeBelowPeak: Float = 1e-3
    static let peakDecay: Float = 0.999
    /// The microphone's smoothed power must be this far above its noise floor (3 dB) to learn
    /// from; an echo return loss below −60 dB is taken as −60 dB (an echo that quiet does not
    /// matter, and a path that grows louder is followed from there).
    static let aboveNoise: Float = 2
    static let leastLoss: Float = 1e-6

    /// `EchoPresence` band b (16 kHz bin `firstBin + b`) falls in filter bin `group[b]`.
    private let group: [Int]
    private let firstGroup: Int
    private let lastGroup: Int
    /// The first filter bin of the 2–4 kHz range whose gains decide those above 4 kHz.
    private let highFrom: Int
    private let capture: UnsafeMutableBufferPointer<Float>
    private let render: UnsafeMutableBufferPointer<Float>
    // Per filter bin; only `firstGroup...lastGroup` are used.
    private var microphonePower: [Float]
    private var renderPower: [Float]
    private var reverberantRender: [Float]
    private var renderPeak: [Float]
    private var smoothedMicrophone: [Float]
    private var smoothedRender: [Float]
    private var echoReturnLoss: [Float]
    private var noise: [Float]

    init() {
        let bins = SpectralGainFilter.bins
        gains = [Float](repeating: 1, count: bins)
        let binsPerGroup = Double(EchoPresence.frame) / 16_000 * 48_000 / Double(SpectralGainFilter.fftSize)
        group = (0..<EchoPresence.bins).map { Int((Double(EchoPresence.firstBin + $0) / binsPerGroup).rounded()) }
        firstGroup = group.first ?? 0
        lastGroup = group.last ?? 0
        highFrom = Int((2000 * Double(SpectralGainFilter.fftSize) / 48_000).rounded())
        capture = .allocate(capacity: EchoPresence.bins)
        capture.initialize(repeating: 0)
        render = .allocate(capacity: EchoPresence.bins)
        render.initialize(repeating: 0)
        let zeros = [Float](repeating: 0, count: bins)
        microphonePower = zeros
        renderPower = zeros
        reverberantRender = zeros
        renderPeak = zeros
        smoothedMicrophone = zeros
        smoothedRender = zeros
        echoReturnLoss = zeros
        noise = zeros
    }

    deinit {
        capture.deallocate()
        render.deallocate()
    }

    /// The gains for the chunk `presence` last saw, if `active` (otherwise `gains` is stale and
    /// not to be used). The noise floor and the smoothed powers are followed either way, the
    /// echo return loss only while `active` (before an echo is heard its delay is not known).
    func update(from presence: EchoPresence, active: Bool) {
        presence.bandPowers(capture: capture, render: render)
        for m in firstGroup...lastGroup {
            microphonePower[m] = 0
            renderPower[m] = 0
        }
        for b in 0..<EchoPresence.bins {
            microphonePower[group[b]] += capture[b]
            renderPower[group[b]] += render[b]
        }
        let beta = Self.overestimate, alpha = Self.residualShare
        var highLogGains: Float = 0
        var highCount = 0
        for m in firstGroup...lastGroup {
            let d = microphonePower[m]
            noise[m] = d < noise[m] || noise[m] == 0 ? d : noise[m] * Self.noiseRise
            let r = max(renderPower[m], Self.tailDecay * reverberantRender[m])
            reverberantRender[m] = r
            renderPeak[m] = max(r, renderPeak[m] * Self.peakDecay)
            smoothedMicrophone[m] += Self.ratioSmoothing * (d - smoothedMicrophone[m])
            smoothedRender[m] += Self.ratioSmoothing * (r - smoothedRender[m])
            guard active else { continue }
            // Learnt only where the microphone is above its noise: a ratio of noise (or of the
            // digital silence before an echo arrives) to the loudspeaker says nothing of the path.
            if r > Self.activeBelowPeak * renderPeak[m] && smoothedRender[m] > 0 && smoothedMicrophone[m] > Self.aboveNoise * noise[m] {
                let ratio = max(Self.leastLoss, smoothedMicrophone[m] / smoothedRender[m])
                echoReturnLoss[m] = ratio < echoReturnLoss[m] || echoReturnLoss[m] == 0 ? ratio : echoReturnLoss[m] * Self.lossRise
            }
            let e = beta * echoReturnLoss[m] * r, n = noise[m]
            let speech = max(0, d - e - n)
            let denominator = speech + n + alpha * e
            let g = denominator > 0 ? min(1, max(Self.floor, (speech + n) / denominator)) : 1
            gains[m] = g
            if m >= highFrom {
                highLogGains += log(g)  // g ≥ `floor`: finite
                highCount += 1
            }
        }
        guard active else { return }
        for m in 0..<firstGroup { gains[m] = gains[firstGroup] }
        let highGain = highCount > 0 ? exp(highLogGains / Float(highCount)) : 1
        for m in (lastGroup + 1)..<gains.count { gains[m] = highGain }
    }
}
