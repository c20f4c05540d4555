import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@testable import ConcordBench

@Suite("Report: SVGChart")
struct ReportSVGChartTests {
    private func isWellFormedXML(_ svg: String) -> Bool {
        XMLParser(data: Data(svg.utf8)).parse()
    }

    private func chart(_ series: [SVGChart.Series], x: SVGChart.Axis = .init(label: "time (s)")) -> SVGChart {
        SVGChart(title: "t <&>", x: x, y: SVGChart.Axis(label: "latency (ms)"), series: series)
    }

    @Test func emptySeriesDrawAFrameAndSayNoData() {
        for series in [[], [SVGChart.Series(name: "a", points: [])]] {
            let svg = chart(series).render(standalone: true)
            #expect(isWellFormedXML(svg))
            #expect(svg.contains(">no data<"))
            #expect(svg.contains("latency (ms)") && svg.contains("time (s)"))
            #expect(!svg.contains("nan") && !svg.contains("inf"))
        }
    }

    @Test func aSinglePointIsVisible() {
        for mark in [SVGChart.Mark.line, .step, .points] {
            let svg = chart([SVGChart.Series(name: "one", points: [.init(x: 5, y: 80)], mark: mark)]).render(standalone: true)
            #expect(isWellFormedXML(svg))
            #expect(svg.contains("<circle"))
            #expect(!svg.contains(">no data<"))
            #expect(!svg.contains("nan") && !svg.contains("inf"))
        }
    }

    @Test func inlineSVGHasNoNamespaceURL() {
        let svg = chart([SVGChart.Series(name: "a", points: [.init(x: 0, y: 1), .init(x: 1, y: 2)])]).render()
        #expect(!svg.contains("http"))
        #expect(svg.hasPrefix("<svg class=\"chart\""))
    }

    @Test func escapesText() {
        let svg = chart([
            SVGChart.Series(name: "<x & \"y\">", points: [.init(x: 0, y: 1)]), SVGChart.Series(name: "b", points: []),
        ]).render(standalone: true)
        #expect(isWellFormedXML(svg))
        #expect(svg.contains("&lt;x &amp; &quot;y&quot;&gt;"))
        #expect(svg.contains("t &lt;&amp;&gt;"))
    }

    @Test func ticksAreNice() {
        let scale = SVGChart.scale(axis: .init(label: ""), values: [3, 97], targetTicks: 6)
        #expect(scale.low == 0 && scale.high == 100)
        #expect(scale.ticks == [0, 20, 40, 60, 80, 100])
        #expect(scale.ticks.map { scale.label(for: $0) } == ["0", "20", "40", "60", "80", "100"])

        let small = SVGChart.scale(axis: .init(label: "", percent: true), values: [0, 0.043], targetTicks: 5)
        #expect(small.ticks.map { small.label(for: $0) } == ["0%", "1%", "2%", "3%", "4%", "5%"])

        // Fixed ends are kept exactly; ticks fall inside them.
        let fixed = SVGChart.scale(axis: .init(label: "", min: 1, max: 4.5), values: [3.9], targetTicks: 5)
        #expect(fixed.low == 1 && fixed.high == 4.5)
        #expect(fixed.ticks == [1, 2, 3, 4])
        let finer = SVGChart.scale(axis: .init(label: "", min: 1, max: 4.5), values: [3.9], targetTicks: 8)
        #expect(finer.ticks.map { finer.label(for: $0) } == ["1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0", "4.5"])

        let flat = SVGChart.scale(axis: .init(label: ""), values: [80, 80], targetTicks: 5)
        #expect(flat.low < 80 && flat.high > 80)
        let zero = SVGChart.scale(axis: .init(label: "", includeZero: true), values: [0], targetTicks: 5)
        #expect(zero.low == 0 && zero.high > 0)
        #expect(SVGChart.niceNumber(0.37, round: true) == 0.5)
    }

    @Test func categoricalAxesLabelEachCategory() {
        let svg = SVGChart(
            title: "", x: .init(label: "jitter buffer", categories: ["adaptive", "fixed:40", "fixed:80"]), y: .init(label: "MOS"),
            series: [SVGChart.Series(name: "m", points: [.init(x: 0, y: 4.1, low: 4, high: 4.2), .init(x: 2, y: 3.5)], mark: .points)]
        ).render(standalone: true)
        #expect(isWellFormedXML(svg))
        for label in ["adaptive", "fixed:40", "fixed:80"] { #expect(svg.contains(">\(label)<")) }
    }

    @Test func longSeriesAreThinnedButKeepTheirPeaks() {
        var points = (0..<200_000).map { SVGChart.Point(x: Double($0) * 0.001, y: 50 + Double($0 % 7)) }
        points[123_456].y = 900
        let svg = chart([SVGChart.Series(name: "long", points: points)]).render()
        #expect(svg.utf8.count < 120_000)
        // The y axis reaches the spike, and a vertex sits at the top of the plot.
        #expect(svg.contains(">1000<"))
        let thinned = SVGChart.thin(points, maxPoints: 2000, low: 0, high: 200)
        #expect(thinned.count <= 2000)
        #expect(thinned.contains { $0.y == 900 })
    }

    @Test func linesBreakAtGaps() {
        let points = [0.0, 0.02, 0.04, 0.06, 3.0, 3.02, 3.04].map { SVGChart.Point(x: $0, y: 1) }
        #expect(SVGChart.segments(points, gapFactor: 8).map(\.count) == [4, 3])
        #expect(SVGChart.segments(points, gapFactor: 0).map(\.count) == [7])
        let svg = chart([SVGChart.Series(name: "a", points: points)]).render()
        #expect(svg.components(separatedBy: "M").count - 1 >= 2)
    }
}
