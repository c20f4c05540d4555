import Foundation
import Testing

@testable import ConcordBench

@Suite("Report: ReportHTML")
struct ReportHTMLTests {
    private func occurrences(of needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func isSelfContained() {
        let report = ReportFixtures.sampleReport()
        let html = ReportHTML.render(report: report, timelines: ReportFixtures.sampleTimelines(for: report))
        #expect(!html.contains("http://"))
        #expect(!html.contains("https://"))
        #expect(!html.contains("<link"))
        // The one kind of reference: audio players of the WAVs beside the report, by bare file name.
        let sources = html.components(separatedBy: "src=\"").dropFirst().map { String($0.prefix { $0 != "\"" }) }
        #expect(!sources.isEmpty)
        #expect(sources.allSatisfy { $0.hasSuffix(".wav") && !$0.contains("/") && !$0.contains(":") }, "\(sources)")
        #expect(occurrences(of: "src=", in: html) == occurrences(of: "<audio ", in: html))
        #expect(!html.contains("@import"))
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<style>"))
    }

    @Test func showsEachStreamsClockDrift() {
        let report = ReportFixtures.sampleReport()
        let html = ReportHTML.render(report: report, timelines: ReportFixtures.sampleTimelines(for: report))
        #expect(occurrences(of: "<p class=\"drift\">", in: html) == report.streams.count)
        #expect(html.contains("0.4 ppm measured from the packets"))
    }

    @Test func drawsOneSVGPerPlot() {
        let report = ReportFixtures.sampleReport()
        let html = ReportHTML.render(report: report, timelines: ReportFixtures.sampleTimelines(for: report))
        // Three heatmaps, the CDF, then for each of the six streams latency, jitter buffer,
        // events, four per-second lanes and two waveforms.
        #expect(occurrences(of: "<svg", in: html) == 3 + 1 + 10 * 6)
        #expect(occurrences(of: "</svg>", in: html) == ReportHTML.chartCount(streams: 6))
        #expect(html.contains("Latency CDF"))
        for stream in report.streams {
            #expect(html.contains("\(stream.from) → \(stream.to): mouth-to-ear latency"))
            #expect(html.contains("\(stream.from) → \(stream.to): jitter-buffer delay"))
            #expect(html.contains("\(stream.from) → \(stream.to): loss and concealment events"))
        }
    }

    @Test func headerShowsTheRun() {
        let html = ReportHTML.render(report: ReportFixtures.sampleReport(), timelines: [])
        for text in ["four-person room on wifi", ">42<", ">wifi<", "60.0 s", "7.50 s", "8.0× real time", "11.20 s (codec 8.90 s"] {
            #expect(html.contains(text), "header lacks \(text)")
        }
    }

    @Test func escapesNames() {
        let evil = "<alice & \"bob\">"
        let report = ReportFixtures.report(streams: [ReportFixtures.stream(from: evil, to: "carol")], scenario: "<script>x</script>")
        let html = ReportHTML.render(report: report, timelines: [ReportFixtures.timeline(from: evil, to: "carol", seed: 1)])
        #expect(!html.contains(evil))
        #expect(!html.contains("<alice"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("&lt;alice &amp; &quot;bob&quot;&gt;"))
        #expect(html.contains("&lt;script&gt;x&lt;/script&gt;"))
        // The timeline was matched to its stream despite the odd name: its chart has data.
        #expect(occurrences(of: ">no data<", in: html) == 0)
    }

    @Test func colourCodesMOS() {
        let report = ReportFixtures.report(streams: [
            ReportFixtures.stream(from: "a", to: "b", mos: 4.3), ReportFixtures.stream(from: "b", to: "a", mos: 2.1),
        ])
        let html = ReportHTML.render(report: report, timelines: [])
        #expect(html.contains("<td class=\"mos mos-a\" title=\"satisfied\">4.30</td>"))
        #expect(html.contains("<td class=\"mos mos-e\" title=\"not recommended\">2.10</td>"))
        #expect(ReportHTML.mosClass(3.7).css == "mos-b")
        #expect(ReportHTML.mosClass(3.2).css == "mos-c")
        #expect(ReportHTML.mosClass(2.6).css == "mos-d")
    }

    @Test func missingTimelinesAndNonFinitePointsAreHarmless() {
        let report = ReportFixtures.sampleReport()
        var timeline = ReportFixtures.timeline(from: "bob", to: "alice", seed: 3)
        timeline.latency.append(.init(t: .nan, value: 3))
        timeline.bufferDelay.append(.init(t: 4, value: .infinity))
        let html = ReportHTML.render(report: report, timelines: [timeline], notes: ["a note"])
        #expect(!html.contains("NaN") && !html.contains("nan") && !html.contains("inf\""))
        #expect(occurrences(of: "<svg", in: html) == ReportHTML.chartCount(streams: 6))
        #expect(html.contains("a note"))
    }

    @Test func cdfIsMonotoneAndBounded() {
        let points = ReportHTML.cdf((0..<5000).map(Double.init))
        #expect(points.count <= 402)
        #expect(points.first?.y == 0 && points.last?.y == 1)
        #expect(zip(points, points.dropFirst()).allSatisfy { $0.x <= $1.x && $0.y <= $1.y })
        #expect(ReportHTML.cdf([]).isEmpty)
        #expect(ReportHTML.cdf([7]).map(\.y) == [0, 1])
    }
}
