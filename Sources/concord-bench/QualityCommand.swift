import ArgumentParser
import AudioFiles
import Foundation
import SpeechQuality

/// `concord-bench quality REFERENCE DEGRADED`: ViSQOL v3 speech-mode MOS-LQO of one recording
/// against its source, in pure Swift (see docs/SpeechQuality.md).
struct QualityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Score a degraded recording against its reference with ViSQOL v3 (speech mode, lattice MOS).")

    @Argument(help: "The reference (clean) recording; any format and rate libsndfile reads.")
    var reference: String

    @Argument(help: "The degraded recording of the same speech.")
    var degraded: String

    @Flag(help: "Print the result as JSON (MOS, mean and per-band similarity).")
    var json = false

    func run() throws {
        let ref: [Float]
        let deg: [Float]
        do {
            ref = try WAVReader.readMono48k(path: reference)
            deg = try WAVReader.readMono48k(path: degraded)
        } catch {
            FileHandle.standardError.write(Data("concord-bench quality: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let result: ViSQOLResult
        do {
            result = try ViSQOL().score(reference: ref, degraded: deg, sampleRate: 48_000)
        } catch {
            FileHandle.standardError.write(Data("concord-bench quality: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        if json {
            let object: [String: Any] = [
                "visqol_mos": result.mos,
                "vnsim": result.meanSimilarity,
                "fvnsim": result.bandSimilarity,
                "fvnsim10": result.bandSimilarityWorstTenth,
                "fstdnsim": result.bandSimilarityDeviation,
                "fvdegenergy": result.bandDegradedEnergy,
                "patches": result.patchCount,
                "lag_seconds": result.lagSeconds,
            ]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(String(format: "MOS-LQO %.3f  (mean NSIM %.4f, %d patches, lag %.3f s)", result.mos, result.meanSimilarity, result.patchCount, result.lagSeconds))
        }
    }
}
