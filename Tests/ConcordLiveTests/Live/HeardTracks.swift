import AudioFiles
import ConcordBench
import Foundation

/// What a live listener played of each talker, read from its `--stream-log` folder, and how the
/// tests judge that it heard them.
///
/// Why the per-peer tracks rather than the mixed output: when everyone talks at once from files,
/// a 1 s window of the mix where another talker is louder correlates with the one measured below
/// the acceptance threshold (ρ ≈ √(its share of the energy)), and time stretching lowers ρ
/// further — on a loaded CI machine one pair of a three-person call had no window left. The
/// track is that talker alone, so the audio test measures hearing, not loudness ratios; the mix
/// is checked separately to be the sum of the tracks.
struct HeardTracks {
    let folder: String

    func track(of peer: String) throws -> [Float] {
        try WAVReader.readMono48k(path: folder + "/track-\(peer).wav")
    }

    /// Accepted cross-correlation windows (1 s, every 0.5 s) of `talker`'s source against what
    /// the listener played of it, aligned on the two clients' first ticks so the lag is the
    /// mouth-to-ear latency. Unrelated audio correlates at ≪ 0.5 (`CrossCorrelationLatency`),
    /// so three accepted windows are no accident.
    func windows(
        of talker: String, source: [Float], talkerFirstTick: Int64, listenerFirstTick: Int64
    ) throws -> [CrossCorrelationLatency.Window] {
        let aligned = ThreeClientsTests.align(source, talkerFirstTick: talkerFirstTick, listenerFirstTick: listenerFirstTick)
        return CrossCorrelationLatency.analyze(source: aligned, track: try track(of: talker), settings: .init(hopSeconds: 0.5))
            .filter(\.accepted)
    }

    /// Normalised correlation at lag 0 between the listener's output and the sum of its tracks
    /// of `peers`, over the tracks' length: ≈ 1 when the output is their mix (the mixer's limiter
    /// only scales it slowly), ≈ 0 for anything else.
    func mixCorrelation(output: [Float], peers: [String]) throws -> Double {
        var sum = [Float]()
        for peer in peers {
            let t = try track(of: peer)
            if sum.count < t.count { sum += [Float](repeating: 0, count: t.count - sum.count) }
            for i in t.indices { sum[i] += t[i] }
        }
        var product = 0.0, outputEnergy = 0.0, sumEnergy = 0.0
        for i in 0..<min(sum.count, output.count) {
            product += Double(sum[i]) * Double(output[i])
            outputEnergy += Double(output[i]) * Double(output[i])
            sumEnergy += Double(sum[i]) * Double(sum[i])
        }
        guard outputEnergy > 0, sumEnergy > 0 else { return 0 }
        return product / (outputEnergy * sumEnergy).squareRoot()
    }
}
