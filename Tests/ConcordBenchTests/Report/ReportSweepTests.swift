import Foundation
import Testing

@testable import ConcordBench

@Suite("Report: SweepReport")
struct ReportSweepTests {
    /// Three seeds; each run has two streams whose metrics average to 10, 20 and 60.
    private func runs() -> [BenchReport] {
        [10.0, 20, 60].map { m in
            ReportFixtures.report(streams: [
                ReportFixtures.stream(from: "a", to: "b", latency: m - 2, loss: m / 1000 - 0.001, mos: m / 100),
                ReportFixtures.stream(from: "b", to: "a", latency: m + 2, loss: m / 1000 + 0.001, mos: m / 100),
            ])
        }
    }

    @Test func aggregatesMeanMinMaxAndSDAcrossSeeds() {
        let row = SweepRow.aggregate(parameter: "loss", value: "5", reports: runs())
        #expect(row.parameter == "loss" && row.value == "5" && row.seeds == 3)
        #expect(abs(row.latencyMsMean.mean - 30) < 1e-9)
        #expect(row.latencyMsMean.min == 10 && row.latencyMsMean.max == 60)
        // Sample sd of 10, 20, 60: deviations -20, -10, 30 → (400 + 100 + 900) / 2 = 700.
        #expect(abs(row.latencyMsMean.sd - 700.0.squareRoot()) < 1e-9)
        // The fixture's p95 is mean + 10.
        #expect(abs(row.latencyMsP95.mean - 40) < 1e-9 && row.latencyMsP95.max == 70)
        #expect(abs(row.packetLoss.mean - 0.03) < 1e-12 && abs(row.packetLoss.min - 0.01) < 1e-12)
        #expect(abs(row.mosEmodel.mean - 0.3) < 1e-12 && row.mosEmodel.max == 0.6)
        #expect(row.bitrateKbps == SweepStatistic(mean: 32, min: 32, max: 32, sd: 0))
    }

    @Test func oneSeedAndNoStreamsAreWellDefined() {
        let single = SweepRow.aggregate(parameter: "p", value: "1", reports: [runs()[0]])
        #expect(single.latencyMsMean == SweepStatistic(mean: 10, min: 10, max: 10, sd: 0))
        let empty = SweepRow.aggregate(parameter: "p", value: "1", reports: [ReportFixtures.report(streams: [])])
        #expect(empty.seeds == 1 && empty.mosEmodel == SweepStatistic(mean: 0, min: 0, max: 0, sd: 0))
        #expect(SweepStatistic([.nan, 2, 4]) == SweepStatistic(mean: 3, min: 2, max: 4, sd: 2.0.squareRoot()))
    }

    private func rows(_ values: [String]) -> [SweepRow] {
        values.map { SweepRow.aggregate(parameter: "jitter_buffer", value: $0, reports: runs()) }
    }

    @Test func csvHasARowPerValueAndFlattenedNames() throws {
        let text = try SweepReport.csv(rows(["adaptive", "fixed:40", "fixed, slow"]))
        let parsed = ReportFixtures.parseCSV(text)
        #expect(parsed.count == 4)
        let header = parsed[0]
        #expect(Array(header.prefix(3)) == ["parameter", "value", "seeds"])
        for name in ["latency_ms_mean_mean", "latency_ms_p95_max", "mos_emodel_mean", "mos_emodel_sd", "concealment_ratio_min", "bitrate_kbps_mean", "jitter_buffer_delay_ms_mean_mean"] {
            #expect(header.contains(name), "missing \(name)")
        }
        #expect(parsed[3][1] == "fixed, slow")
        #expect(try ReportFixtures.parseCSV(SweepReport.csv([])).first == header)
    }

    @Test func jsonRoundTrips() throws {
        let original = rows(["1", "2"])
        let object = try #require(try JSONSerialization.jsonObject(with: try SweepReport.json(original)) as? [String: Any])
        #expect(object["parameter"] as? String == "jitter_buffer")
        let rowsData = try JSONSerialization.data(withJSONObject: try #require(object["rows"]))
        #expect(try JSONDecoder().decode([SweepRow].self, from: rowsData) == original)
    }

    @Test func numericValuesAreSpacedToScaleAndCategoriesInOrder() {
        let numeric = SweepReport.xPositions(rows(["10", "1", "2.5"]))
        #expect(numeric.categories == nil && numeric.positions == [10, 1, 2.5])
        let categorical = SweepReport.xPositions(rows(["adaptive", "fixed:40"]))
        #expect(categorical.categories == ["adaptive", "fixed:40"] && categorical.positions == [0, 1])
    }

    @Test func htmlHasThreeChartsAndNoURLs() {
        for values in [["0", "5", "10"], ["adaptive", "fixed:40", "<fixed & 80>"]] {
            let html = SweepReport.html(rows(values), title: "room")
            #expect(html.components(separatedBy: "<svg").count - 1 == 3)
            #expect(!html.contains("http://") && !html.contains("https://"))
            #expect(html.contains("E-model MOS") && html.contains("Latency p95") && html.contains("Concealment"))
            #expect(!html.contains("<fixed"))
        }
        #expect(SweepReport.html([]).contains("no data"))
    }

    @Test func writesTheThreeFiles() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sweep-\(UUID().uuidString)/nested").path
        defer { try? FileManager.default.removeItem(atPath: (directory as NSString).deletingLastPathComponent) }
        try SweepReport.write(rows: rows(["0", "5"]), to: directory)
        for name in ["sweep.csv", "sweep.json", "sweep.html"] {
            #expect(FileManager.default.fileExists(atPath: directory + "/" + name))
        }
    }
}
