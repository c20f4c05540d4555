import Testing

@testable import ConcordBench

@Suite("Report: SummaryTable")
struct ReportSummaryTableTests {
    @Test func listsEveryStreamAndTheRoom() {
        let report = ReportFixtures.sampleReport()
        let text = ReportWriter.summary(report)
        for stream in report.streams {
            #expect(text.contains("\(stream.from) -> \(stream.to)"))
        }
        for column in ["lat mean", "lat p95", "xcorr mean", "loss", "late", "conceal", "jb delay", "MOS"] {
            #expect(text.contains(column))
        }
        #expect(text.contains("room: 3 participants, 6 streams"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func columnsLineUp() {
        let report = ReportFixtures.report(streams: [
            ReportFixtures.stream(from: "a", to: "b", latency: 5, mos: 4.4),
            ReportFixtures.stream(from: "a-much-longer-name", to: "bob", latency: 1234.5, loss: 0.5, mos: 1),
        ])
        let lines = SummaryTable.render(report).split(separator: "\n")
        #expect(lines[0].count == lines[2].count && lines[2].count == lines[3].count)
        #expect(lines[3].contains("1234.5") && lines[3].contains("50.0%") && lines[3].hasSuffix("1.00"))
    }

    @Test func unmeasuredValuesAreMarked() {
        var stream = ReportFixtures.stream(from: "a", to: "b")
        stream.latencyXcorrWindows = 0
        stream.mosEmodel = .nan
        let text = SummaryTable.render(ReportFixtures.report(streams: [stream]))
        #expect(text.contains(" - ") || text.contains(" -  "))
        #expect(text.contains("n/a"))
        #expect(SummaryTable.render(ReportFixtures.report(streams: [])).contains("(no streams)"))
    }
}
