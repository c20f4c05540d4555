import Foundation
import Testing

@testable import ConcordBench

/// The room at a glance: heatmaps whose cells are the streams, scenario events and warm-up on
/// every timeline, and the per-second series as files a notebook can read back.
@Suite("Report: room overview and time series")
struct RoomOverviewTests {
    private func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    static func timelines(for report: BenchReport) -> [StreamTimeline] {
        ReportFixtures.sampleTimelines(for: report).enumerated().map { i, timeline in
            var t = timeline
            t.steadyFromSeconds = 3.5 + Double(i)
            var seconds = StreamSeconds()
            for k in 0..<60 {
                seconds.concealment.append(k == 7 ? nil : Double(k % 5) / 100)
                seconds.latencyMs.append(80 + Double(k))
                seconds.targetDelayMs.append(40)
                seconds.stretchMs.append(k % 10 == 3 ? -4 : 0)
                seconds.oneWayDelayMs.append(k == 20 ? nil : 30 + Double(i))
                seconds.loss.append(k == 20 ? 1 : 0.01 * Double(i))
                seconds.queueMs.append(k == 20 ? nil : Double(k % 3))
                seconds.packetsSent.append(50)
            }
            t.seconds = seconds
            return t
        }
    }

    @Test func heatmapCellsAreTheStreams() {
        var report = ReportFixtures.sampleReport()
        report.streams[0].quality = SpeechQualityReport(visqolMos: 4.1)
        report.streams[1].quality = .notScored("not scored (--speech-quality none)")
        let html = ReportHTML.render(report: report, timelines: [])
        // Three heatmaps of six streams each; every cell links to its stream.
        #expect(occurrences(of: "class=\"\(Heatmap.cellClass)\"", in: html) == 3 * report.streams.count)
        for index in report.streams.indices {
            #expect(occurrences(of: "<a href=\"#stream-\(index)\"><rect class=\"cell\"", in: html) == 3)
        }
        let (first, second) = (report.streams[0], report.streams[1])
        #expect(html.contains("\(first.from) → \(first.to): 4.10"))
        #expect(html.contains("\(second.from) → \(second.to): not scored (--speech-quality none)"))
        // The heatmaps come before the summary table.
        let overview = html.range(of: "The room at a glance")?.lowerBound, table = html.range(of: "<h2>Streams</h2>")?.lowerBound
        #expect(overview != nil && table != nil && overview! < table!)
    }

    @Test func everyTimelineMarksEveryScenarioEventAndTheWarmUp() {
        var report = ReportFixtures.sampleReport()
        report.scenarioEvents = [
            ScenarioEventReport(atSeconds: 15, kind: .partition, detail: "alice | bob,carol"),
            ScenarioEventReport(atSeconds: 25, kind: .heal, detail: "every link"),
            ScenarioEventReport(atSeconds: 30, kind: .crash, detail: "carol"),
        ]
        let html = ReportHTML.render(report: report, timelines: Self.timelines(for: report))
        // Eight time charts per stream (latency, buffer, events, five lanes), each with every event.
        #expect(occurrences(of: "<g class=\"marker\">", in: html) == 3 * 8 * report.streams.count)
        #expect(occurrences(of: "<rect class=\"band\"", in: html) == 8 * report.streams.count)
        #expect(html.contains("partition: alice | bob,carol at 15 s"))
    }

    @Test func aStreamThatNeverSettledIsShadedWholly() {
        let t = StreamTimeline(from: "a", to: "b", steadyFromSeconds: nil)
        #expect(StreamDetailSection.warmUp(t, end: 60) == [SVGChart.Band(from: 0, to: 60, label: "jitter buffer never settled")])
        let settled = StreamTimeline(from: "a", to: "b", steadyFromSeconds: 2.5)
        #expect(StreamDetailSection.warmUp(settled, end: 60) == [SVGChart.Band(from: 0, to: 2.5, label: "warm-up")])
    }

    @Test func timeSeriesCSVParsesBack() throws {
        let report = ReportFixtures.sampleReport()
        let timelines = Self.timelines(for: report)
        let rows = ReportFixtures.parseCSV(TimeSeriesFiles.csv(timelines))
        #expect(rows.first == TimeSeriesFiles.columns)
        #expect(rows.count - 1 == timelines.map(\.seconds.count).reduce(0, +))
        let column = Dictionary(uniqueKeysWithValues: TimeSeriesFiles.columns.enumerated().map { ($1, $0) })
        for row in rows.dropFirst() {
            let t = try #require(timelines.first { $0.from == row[column["from"]!] && $0.to == row[column["to"]!] })
            let k = try #require(Int(row[column["second"]!]))
            func parsed(_ name: String) -> Double? { Double(row[column[name]!]) }
            #expect(parsed("concealment") == t.seconds.concealment[k])
            #expect(parsed("one_way_delay_ms") == t.seconds.oneWayDelayMs[k])
            #expect(parsed("loss") == t.seconds.loss[k])
            #expect(parsed("queue_ms") == t.seconds.queueMs[k])
            #expect(parsed("stretch_ms") == t.seconds.stretchMs[k])
            #expect(Int(row[column["packets_sent"]!]) == t.seconds.packetsSent[k])
        }
    }

    @Test func timeSeriesJSONDecodesBack() throws {
        var report = ReportFixtures.sampleReport()
        report.scenarioEvents = [ScenarioEventReport(atSeconds: 12, kind: .linkChange, detail: "alice → bob")]
        let timelines = Self.timelines(for: report)
        let data = try TimeSeriesFiles.json(timelines, events: report.scenarioEvents ?? [])
        let document = try JSONDecoder().decode(TimeSeriesFiles.Document.self, from: data)
        #expect(document.scenarioEvents == report.scenarioEvents)
        #expect(document.streams.map(\.seconds) == timelines.map(\.seconds))
        #expect(document.streams.map(\.steadyStateFromSeconds) == timelines.map(\.steadyFromSeconds))
        // Absent values are explicit nulls, so every array is as long as the stream.
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let first = try #require((object["streams"] as? [[String: Any]])?.first?["seconds"] as? [String: Any])
        #expect((first["concealment"] as? [Any])?.count == 60)
        #expect((first["concealment"] as? [Any])?[7] is NSNull)
    }
}
