import AudioFiles
import ArgumentParser
import Concord
import Foundation
import SpeechQuality

/// `time-stretch-bench FILE…`: stretches speech with Concord's `TimeStretcher`, libsonic and
/// SoundTouch and scores what the stretching damaged with ViSQOL; see scripts/time-stretch-quality
/// for why the two tests are built as they are.
@main
struct TimeStretchBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "time-stretch-bench",
        abstract: "Speech quality and CPU cost of time-scale modification: Concord's stretcher, libsonic, SoundTouch.")

    @Argument(help: "Speech recordings (any format libsndfile reads; scored at 48 kHz mono).")
    var files: [String]

    @Option(help: "Length changes to test, in percent, comma-separated (negative plays faster).")
    var rates = "-25,-10,-5,5,10,25"

    @Option(help: """
        Stretchers to run, comma-separated: concord, libsonic, soundtouch; concord-<N>ms drives Concord's as a \
        low-delay buffer fed packets would, with at least N (5–30) ms ahead per call; \
        concord-<N>ms-history also passes the last 15 ms played as history.
        """)
    var stretchers = "concord,libsonic,soundtouch"

    @Option(help: "Milliseconds of audio per packet fed to concord-<N>ms (5–60).")
    var packetMilliseconds = 20

    @Option(help: "Seconds of input per segment of the alternating test.")
    var segmentSeconds = 0.2

    @Option(help: "Times each stretch is run for the CPU figure (the least is kept).")
    var repeats = 3

    @Option(help: "Writes every stretched recording here, for listening.")
    var write: String?

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("no recordings given") }
        guard repeats >= 1 else { throw ValidationError("--repeats \(repeats): must be at least 1") }
        guard segmentSeconds >= 0.05, segmentSeconds <= 60 else {
            throw ValidationError("--segment-seconds \(segmentSeconds): must be between 0.05 and 60")
        }
        guard (5...60).contains(packetMilliseconds) else {
            throw ValidationError("--packet-milliseconds \(packetMilliseconds): must be between 5 and 60")
        }
        _ = try parsedRates()
        _ = try chosenStretchers()
    }

    func chosenStretchers() throws -> [any SpeechStretcher] {
        try stretchers.split(separator: ",").map { name -> any SpeechStretcher in
            let name = name.trimmingCharacters(in: .whitespaces)
            switch name {
            case "libsonic": return SonicStretch()
            case "soundtouch": return SoundTouchStretch()
            default:
                guard let concord = Self.concordStretch(named: name, packetMilliseconds: packetMilliseconds) else {
                    throw ValidationError(
                        "--stretchers: '\(name)' is not one of concord, concord-<N>ms, concord-<N>ms-history (N from 5 to 30), libsonic, soundtouch")
                }
                return concord
            }
        }
    }

    /// `concord`, `concord-<N>ms` or `concord-<N>ms-history`.
    static func concordStretch(named name: String, packetMilliseconds: Int) -> ConcordStretch? {
        guard name.hasPrefix("concord") else { return nil }
        var rest = name.dropFirst("concord".count)
        let keepsHistory = rest.hasSuffix("-history")
        if keepsHistory { rest = rest.dropLast("-history".count) }
        guard !rest.isEmpty else { return keepsHistory ? nil : ConcordStretch() }
        guard rest.hasPrefix("-"), rest.hasSuffix("ms"), let milliseconds = Int(rest.dropFirst().dropLast(2)),
            (5...30).contains(milliseconds)
        else { return nil }
        return ConcordStretch(
            lookAheadMilliseconds: milliseconds, keepsHistory: keepsHistory, packetMilliseconds: packetMilliseconds)
    }

    func parsedRates() throws -> [Double] {
        try rates.split(separator: ",").map { text in
            guard let percent = Double(text.trimmingCharacters(in: .whitespaces)), percent > -50, percent < 100, percent != 0 else {
                throw ValidationError("--rates: '\(text)' is not a percentage between -50 and 100, other than 0")
            }
            return percent / 100
        }
    }

    func run() throws {
        let recordings: [(name: String, samples: [Float])]
        do {
            recordings = try files.map { path in
                ((path as NSString).lastPathComponent, try WAVReader.readMono48k(path: path))
            }
        } catch {
            FileHandle.standardError.write(Data("time-stretch-bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
        do {
            if let write {
                try FileManager.default.createDirectory(atPath: write, withIntermediateDirectories: true)
            }
            let experiment = try StretchExperiment(
                recordings: recordings, repeats: repeats, segment: Int(segmentSeconds * Double(AudioFormat.sampleRate)),
                outputDirectory: write)
            let rates = try parsedRates()
            var rows: [StretchExperiment.Row] = [try experiment.unstretched()]
            for stretcher in try chosenStretchers() {
                for rate in rates {
                    rows.append(try experiment.roundTrip(stretcher, rate: rate))
                }
                for rate in Set(rates.map(abs)).sorted() {
                    rows.append(try experiment.alternating(stretcher, rate: rate))
                }
            }
            print(StretchExperiment.table(rows, recordings: recordings.map(\.name)))
        } catch {
            FileHandle.standardError.write(Data("time-stretch-bench: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
