import AudioFiles
import Concord
import Foundation
import SpeechQuality

/// The two tests of scripts/time-stretch-quality on a set of recordings: each row is one
/// stretcher at one rate, scored on every recording.
struct StretchExperiment {
    struct Row {
        var stretcher: String
        var test: String
        /// Length change of the stretched recording against the original, per recording (the
        /// first pass of a round trip).
        var achieved: [Double]
        /// Length change of what was scored against the original, per recording.
        var scoredLength: [Double]
        var mos: [Double]
        /// CPU seconds per second of audio stretched, over all recordings and passes.
        var cpuPerSecond: Double?
    }

    let recordings: [(name: String, samples: [Float])]
    let repeats: Int
    let segment: Int
    let outputDirectory: String?
    private let visqol: ViSQOL

    init(recordings: [(name: String, samples: [Float])], repeats: Int, segment: Int, outputDirectory: String?) throws {
        self.recordings = recordings
        self.repeats = repeats
        self.segment = segment
        self.outputDirectory = outputDirectory
        visqol = try ViSQOL()
    }

    /// Each recording scored against itself: the ceiling every other row is read against.
    func unstretched() throws -> Row {
        let mos = try recordings.map { try score($0.samples, against: $0.samples, recording: $0.name, test: "unstretched") }
        let zeros = [Double](repeating: 0, count: recordings.count)
        return Row(stretcher: "none", test: "unstretched", achieved: zeros, scoredLength: zeros, mos: mos, cpuPerSecond: nil)
    }

    /// Stretched by `rate`, then back by the inverse factor; the original is the reference.
    func roundTrip(_ stretcher: any SpeechStretcher, rate: Double) throws -> Row {
        let factor = 1 + rate
        var row = Row(
            stretcher: stretcher.name, test: "round trip \(Self.percent(rate))", achieved: [], scoredLength: [], mos: [])
        var cpu = 0.0, seconds = 0.0
        for (name, original) in recordings {
            let (there, thereCPU) = timed(stretcher, original, .constant(factor))
            let (back, backCPU) = timed(stretcher, there, .constant(1 / factor))
            cpu += thereCPU + backCPU
            seconds += Double(original.count + there.count) / Double(AudioFormat.sampleRate)
            row.achieved.append(Double(there.count) / Double(original.count) - 1)
            row.scoredLength.append(Double(back.count) / Double(original.count) - 1)
            row.mos.append(try score(back, against: original, recording: name, test: "\(row.stretcher) \(row.test)"))
            try save(back, stretcher: stretcher.name, test: "roundtrip\(Int((rate * 100).rounded()))", recording: name)
        }
        row.cpuPerSecond = cpu / seconds
        return row
    }

    /// One pass whose segments alternate between 1 − rate and 1 + rate.
    func alternating(_ stretcher: any SpeechStretcher, rate: Double) throws -> Row {
        var row = Row(
            stretcher: stretcher.name, test: "alternating ±\(Self.percent(rate).dropFirst())", achieved: [], scoredLength: [], mos: [])
        var cpu = 0.0, seconds = 0.0
        for (name, original) in recordings {
            let schedule = RateSchedule.alternating(1 - rate, segment: segment, length: original.count)
            let (stretched, stretchedCPU) = timed(stretcher, original, schedule)
            cpu += stretchedCPU
            seconds += Double(original.count) / Double(AudioFormat.sampleRate)
            let wanted = Double(original.count) + schedule.wantedChange(before: original.count)
            row.achieved.append(Double(stretched.count) / wanted - 1)
            row.scoredLength.append(Double(stretched.count) / Double(original.count) - 1)
            row.mos.append(try score(stretched, against: original, recording: name, test: "\(row.stretcher) \(row.test)"))
            try save(stretched, stretcher: stretcher.name, test: "alternating\(Int((rate * 100).rounded()))", recording: name)
        }
        row.cpuPerSecond = cpu / seconds
        return row
    }

    struct ScoringError: Error, CustomStringConvertible {
        var recording: String
        var test: String
        var reason: ViSQOLError
        var description: String { "\(recording), \(test): cannot be scored: \(reason)" }
    }

    private func score(_ degraded: [Float], against reference: [Float], recording: String, test: String) throws -> Double {
        do {
            return try visqol.score(reference: reference, degraded: degraded, sampleRate: AudioFormat.sampleRate).mos
        } catch {
            throw ScoringError(recording: recording, test: test, reason: error)
        }
    }

    /// The output of one stretch and the least thread CPU time of `repeats` identical runs: the
    /// least is the run the other processes on the machine disturbed least.
    private func timed(_ stretcher: any SpeechStretcher, _ input: [Float], _ schedule: RateSchedule) -> ([Float], Double) {
        var output: [Float] = []
        var least = Double.infinity
        for _ in 0..<repeats {
            var fresh = stretcher
            let start = Self.threadCPUSeconds()
            output = fresh.stretch(input, schedule: schedule)
            least = min(least, Self.threadCPUSeconds() - start)
        }
        return (output, least)
    }

    private func save(_ samples: [Float], stretcher: String, test: String, recording: String) throws {
        guard let outputDirectory else { return }
        let stem = (recording as NSString).deletingPathExtension
        try WAVWriter.write(path: "\(outputDirectory)/\(stem).\(stretcher).\(test).wav", samples: samples)
    }

    private static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    static func percent(_ rate: Double) -> String {
        String(format: "%+.0f %%", rate * 100)
    }

    /// A Markdown table: one row per stretcher and test, one MOS column per recording.
    static func table(_ rows: [Row], recordings: [String]) -> String {
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        let recordingColumns = recordings.map { "MOS \(($0 as NSString).deletingPathExtension)" }
        var lines = [
            "| stretcher | test | achieved | scored length | " + recordingColumns.joined(separator: " | ") + " | MOS mean | CPU ms per s |",
            "|---|---|--:|--:|" + String(repeating: "--:|", count: recordings.count) + "--:|--:|",
        ]
        for row in rows {
            let cpu = row.cpuPerSecond.map { String(format: "%.2f", $0 * 1000) } ?? "–"
            let cells = [
                row.stretcher, row.test,
                String(format: "%+.1f %%", mean(row.achieved) * 100),
                String(format: "%+.2f %%", mean(row.scoredLength) * 100),
            ] + row.mos.map { String(format: "%.3f", $0) } + [String(format: "%.3f", mean(row.mos)), cpu]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }
}
