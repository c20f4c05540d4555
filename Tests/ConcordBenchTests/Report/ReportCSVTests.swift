import Foundation
import Testing

@testable import ConcordBench

@Suite("Report: ReportCSV")
struct ReportCSVTests {
    @Test func hasAHeaderAndOneRowPerStream() throws {
        let report = ReportFixtures.sampleReport()
        let text = try ReportCSV.render(report)
        #expect(text.hasSuffix("\r\n"))
        let rows = ReportFixtures.parseCSV(text)
        #expect(rows.count == 1 + report.streams.count)
        #expect(Set(rows.map(\.count)).count == 1)
        for (row, stream) in zip(rows.dropFirst(), report.streams) {
            #expect(row[0] == stream.from && row[1] == stream.to)
        }
    }

    @Test func headerNamesAreTheFlattenedJSONNames() throws {
        let report = ReportFixtures.sampleReport()
        let header = try #require(ReportFixtures.parseCSV(try ReportCSV.render(report)).first)
        #expect(Array(header.prefix(2)) == ["from", "to"])
        #expect(Array(header[2..<7]) == ["latency_ms_mean", "latency_ms_p50", "latency_ms_p95", "latency_ms_p99", "latency_ms_max"])
        #expect(header.contains("mos_emodel") && header.contains("burst_gap_burst_density") && header.contains("jitter_buffer_delay_ms_p95"))

        // Every JSON leaf of a stream, with `.` → `_`, is a column, and nothing else is.
        let object = try #require(try JSONSerialization.jsonObject(with: try ReportJSON.encode(report)) as? [String: Any])
        let stream = try #require((object["streams"] as? [[String: Any]])?.first)
        let leaves = ReportFixtures.keyPaths(stream).filter { path in
            !ReportFixtures.keyPaths(stream).contains { $0.hasPrefix(path + ".") }
        }
        #expect(Set(header) == Set(leaves.map { $0.replacingOccurrences(of: ".", with: "_") }))
        #expect(header.count == leaves.count)
        #expect(try ReportCSV.columns(for: report) == header)
    }

    @Test func valuesMatchTheReport() throws {
        let report = ReportFixtures.sampleReport()
        let rows = ReportFixtures.parseCSV(try ReportCSV.render(report))
        let header = rows[0]
        let row = rows[2]
        func value(_ name: String) -> String { row[header.firstIndex(of: name)!] }
        #expect(Double(value("latency_ms_mean")) == report.streams[1].latencyMs?.mean)
        #expect(Double(value("packet_loss")) == report.streams[1].packetLoss)
        #expect(value("packets_sent") == "3000")
    }

    @Test func quotesNamesPerRFC4180() throws {
        let names = ["smith, jane", "say \"hi\"", "two\nlines", "plain"]
        let report = ReportFixtures.report(streams: names.map { ReportFixtures.stream(from: $0, to: "bob") })
        let text = try ReportCSV.render(report)
        #expect(text.contains("\"smith, jane\",bob,"))
        #expect(text.contains("\"say \"\"hi\"\"\",bob,"))
        #expect(text.contains("\r\nplain,bob,"))
        let rows = ReportFixtures.parseCSV(text)
        #expect(rows.count == 5)
        #expect(rows.dropFirst().map { $0[0] } == names)
        #expect(ReportCSV.field("a,b") == "\"a,b\"" && ReportCSV.field("ab") == "ab")
    }

    @Test func emptyReportStillHasItsHeader() throws {
        let text = try ReportCSV.render(ReportFixtures.report(streams: []))
        let rows = ReportFixtures.parseCSV(text)
        #expect(rows.count == 1)
        let full = ReportFixtures.parseCSV(try ReportCSV.render(ReportFixtures.sampleReport()))[0]
        #expect(rows[0] == full)
    }

    @Test func nonFiniteNumbersBecomeEmptyCells() {
        #expect(ReportCSV.cell(.double(.nan)) == "")
        #expect(ReportCSV.cell(.double(-.infinity)) == "")
        #expect(ReportCSV.cell(.double(0.1)) == "0.1")
        #expect(ReportCSV.cell(.double(3)) == "3")
    }
}
