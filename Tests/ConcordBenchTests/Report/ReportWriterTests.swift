import Foundation
import Testing

@testable import ConcordBench

@Suite("Report: ReportWriter")
struct ReportWriterTests {
    private func temporaryDirectory() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("report-\(UUID().uuidString)").path
    }

    @Test func writesTheThreeFilesIntoANewDirectory() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let directory = root + "/a/b"
        let report = ReportFixtures.sampleReport()
        let replaced = try ReportWriter.write(report: report, timelines: ReportFixtures.sampleTimelines(for: report), to: directory)
        #expect(replaced.isEmpty)
        let json = try Data(contentsOf: URL(fileURLWithPath: directory + "/report.json"))
        #expect(try ReportJSON.decodeReport(json) == report)
        let csv = try String(contentsOfFile: directory + "/report.csv", encoding: .utf8)
        #expect(ReportFixtures.parseCSV(csv).count == 7)
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        #expect(html.components(separatedBy: "<svg").count - 1 == ReportHTML.chartCount(streams: 6))

        // Writing again over an existing directory is fine.
        try ReportWriter.write(report: report, timelines: [], to: directory)
    }

    @Test func nonFiniteMetricsAreWrittenAsZeroAndReported() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var report = ReportFixtures.sampleReport()
        report.streams[3].concealmentRatio = .nan
        let replaced = try ReportWriter.write(report: report, timelines: [], to: directory)
        #expect(replaced == ["streams[3].concealment_ratio = NaN"])
        let json = try String(contentsOfFile: directory + "/report.json", encoding: .utf8)
        #expect(!json.lowercased().contains("nan"))
        let html = try String(contentsOfFile: directory + "/report.html", encoding: .utf8)
        #expect(html.contains("streams[3].concealment_ratio"))
        #expect(!html.contains("n/a"))  // the tables show the sanitized 0, not an unformattable NaN
    }

    @Test func errorsNameTheFileAndReason() throws {
        let file = temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        #expect {
            try ReportWriter.write(report: ReportFixtures.sampleReport(), timelines: [], to: file)
        } throws: { error in
            guard let error = error as? ReportWriteError else { return false }
            return error.file == file && error.description.contains(file) && error.description.contains("not a directory")
        }
        #expect {
            try ReportWriter.write(report: ReportFixtures.sampleReport(), timelines: [], to: file + "/sub")
        } throws: { error in
            guard let error = error as? ReportWriteError else { return false }
            return error.description.hasPrefix("cannot write \(file)/sub")
        }
    }

    /// Writes a realistic report for eyeballing when CONCORD_REPORT_PREVIEW names a directory,
    /// e.g. `CONCORD_REPORT_PREVIEW=/tmp/x swift test --filter ReportWriter`.
    @Test func previewForHumans() throws {
        guard let directory = ProcessInfo.processInfo.environment["CONCORD_REPORT_PREVIEW"] else { return }
        let report = ReportFixtures.sampleReport()
        try ReportWriter.write(report: report, timelines: ReportFixtures.sampleTimelines(for: report), to: directory)
        let sweepRows = ["0", "1", "2", "5", "10"].enumerated().map { i, value in
            SweepRow.aggregate(parameter: "loss_percent", value: value, reports: (0..<3).map { seed in
                ReportFixtures.report(streams: [ReportFixtures.stream(
                    from: "a", to: "b", latency: 80 + Double(i * 4 + seed), loss: Double(value)! / 100,
                    concealment: Double(value)! / 100 * (0.7 + 0.1 * Double(seed)), mos: 4.4 - Double(value)! * 0.12 - Double(seed) * 0.04)])
            })
        }
        try SweepReport.write(rows: sweepRows, to: directory + "/sweep", title: "two-person call")
        let categorical = ["adaptive", "fixed:40", "fixed:80", "fixed:120"].enumerated().map { i, value in
            SweepRow.aggregate(parameter: "jitter_buffer", value: value, reports: (0..<3).map { seed in
                ReportFixtures.report(streams: [ReportFixtures.stream(
                    from: "a", to: "b", latency: 70 + Double(i * 35 + seed * 3), concealment: 0.05 / Double(i + 1), mos: 3.6 + Double(i) * 0.1 - Double(seed) * 0.05)])
            })
        }
        try SweepReport.write(rows: categorical, to: directory + "/sweep-jb")
        print(ReportWriter.summary(report))
    }
}
