import Foundation

/// One metric across the seeds of one sweep value.
public struct SweepStatistic: Codable, Sendable, Equatable {
    public var mean: Double
    public var min: Double
    public var max: Double
    /// Sample standard deviation (n − 1); 0 with fewer than two seeds.
    public var sd: Double

    public init(mean: Double, min: Double, max: Double, sd: Double) {
        self.mean = mean
        self.min = min
        self.max = max
        self.sd = sd
    }

    /// The statistic of `values`; all zero when there are none.
    public init(_ values: [Double]) {
        let finite = values.filter(\.isFinite)
        guard !finite.isEmpty else {
            self.init(mean: 0, min: 0, max: 0, sd: 0)
            return
        }
        let mean = finite.reduce(0, +) / Double(finite.count)
        let variance = finite.count > 1 ? finite.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(finite.count - 1) : 0
        self.init(mean: mean, min: finite.min()!, max: finite.max()!, sd: variance.squareRoot())
    }
}

/// One row of a sweep table: one value of the swept parameter, over several seeds.
///
/// Each run is first reduced to one number per metric, the mean over its streams (a run's
/// `latency_ms_p95` is the mean of its streams' p95s); the row then gives mean, min, max and
/// sd of those numbers across the seeds, so the spread shows how much of a difference between
/// values is the parameter and how much is luck of the draw.
public struct SweepRow: Codable, Sendable, Equatable {
    public var parameter: String
    /// As given on the command line: a number (`5`, `0.5`) or a category (`adaptive`, `fixed:60`).
    public var value: String
    /// Runs aggregated (one per seed).
    public var seeds: Int
    public var latencyMsMean: SweepStatistic
    public var latencyMsP95: SweepStatistic
    public var packetLoss: SweepStatistic
    public var lateLoss: SweepStatistic
    public var concealmentRatio: SweepStatistic
    public var jitterBufferDelayMsMean: SweepStatistic
    public var mosEmodel: SweepStatistic
    public var bitrateKbps: SweepStatistic

    enum CodingKeys: String, CodingKey {
        case parameter, value, seeds
        case latencyMsMean = "latency_ms_mean"
        case latencyMsP95 = "latency_ms_p95"
        case packetLoss = "packet_loss"
        case lateLoss = "late_loss"
        case concealmentRatio = "concealment_ratio"
        case jitterBufferDelayMsMean = "jitter_buffer_delay_ms_mean"
        case mosEmodel = "mos_emodel"
        case bitrateKbps = "bitrate_kbps"
    }

    public init(
        parameter: String, value: String, seeds: Int, latencyMsMean: SweepStatistic, latencyMsP95: SweepStatistic,
        packetLoss: SweepStatistic, lateLoss: SweepStatistic, concealmentRatio: SweepStatistic,
        jitterBufferDelayMsMean: SweepStatistic, mosEmodel: SweepStatistic, bitrateKbps: SweepStatistic
    ) {
        self.parameter = parameter
        self.value = value
        self.seeds = seeds
        self.latencyMsMean = latencyMsMean
        self.latencyMsP95 = latencyMsP95
        self.packetLoss = packetLoss
        self.lateLoss = lateLoss
        self.concealmentRatio = concealmentRatio
        self.jitterBufferDelayMsMean = jitterBufferDelayMsMean
        self.mosEmodel = mosEmodel
        self.bitrateKbps = bitrateKbps
    }

    /// Aggregates the runs (one per seed) of one parameter value. Runs without streams count
    /// as seeds but contribute no metric values.
    public static func aggregate(parameter: String, value: String, reports: [BenchReport]) -> SweepRow {
        // A metric a stream lacks (a dead stream's latency) is left out of that run's mean.
        func stat(_ metric: (StreamReport) -> Double?) -> SweepStatistic {
            SweepStatistic(reports.compactMap { report -> Double? in
                let values = report.streams.compactMap(metric).filter(\.isFinite)
                return values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
            })
        }
        return SweepRow(
            parameter: parameter, value: value, seeds: reports.count,
            latencyMsMean: stat { $0.latencyMs?.mean }, latencyMsP95: stat { $0.latencyMs?.p95 },
            packetLoss: stat(\.packetLoss), lateLoss: stat(\.lateLoss), concealmentRatio: stat(\.concealmentRatio),
            jitterBufferDelayMsMean: stat { $0.jitterBufferDelayMs.mean }, mosEmodel: stat(\.mosEmodel),
            bitrateKbps: stat(\.bitrateKbps))
    }
}

/// The sweep outputs: `sweep.csv` and `sweep.json` (a row per parameter value) and
/// `sweep.html` (MOS, p95 latency and concealment against the value, with min–max whiskers).
public enum SweepReport {
    /// CSV with each statistic flattened as `<metric>_<stat>` (`mos_emodel_mean`, `mos_emodel_sd`…).
    public static func csv(_ rows: [SweepRow]) throws -> String {
        try ReportCSV.table(rows, emptyTemplate: FlatEncoder.flatten(ZeroDecoder.zero(SweepRow.self)))
    }

    /// `{"parameter": …, "rows": [...]}`, pretty and key-sorted like `report.json`.
    public static func json(_ rows: [SweepRow]) throws -> Data {
        try ReportJSON.encodeSanitized(SweepFile(parameter: rows.first?.parameter ?? "", rows: rows)).data
    }

    /// The value positions on the chart's x axis: the numbers themselves when every value parses
    /// as one (sorted, spaced to scale), otherwise categories in the order given.
    static func xPositions(_ rows: [SweepRow]) -> (positions: [Double], categories: [String]?) {
        let numbers = rows.map { Double($0.value.trimmingCharacters(in: .whitespaces)) }
        if !rows.isEmpty, numbers.allSatisfy({ $0?.isFinite == true }) {
            return (numbers.map { $0! }, nil)
        }
        return (rows.indices.map(Double.init), rows.map(\.value))
    }

    public static func html(_ rows: [SweepRow], title: String = "") -> String {
        let parameter = rows.first?.parameter ?? "parameter"
        let (positions, categories) = xPositions(rows)
        let order = positions.indices.sorted { positions[$0] < positions[$1] }
        let xAxis = SVGChart.Axis(label: parameter, categories: categories)

        func chart(_ name: String, _ yAxis: SVGChart.Axis, _ metric: (SweepRow) -> SweepStatistic, colour: String) -> String {
            let points = order.map { i in
                let s = metric(rows[i])
                return SVGChart.Point(x: positions[i], y: s.mean, low: s.min, high: s.max)
            }
            return SVGChart(
                title: name, x: xAxis, y: yAxis,
                series: (categories == nil ? [SVGChart.Series(name: "", points: points, colour: colour, gapFactor: 0)] : [])
                    + [SVGChart.Series(name: "mean over seeds, whiskers min–max", points: points, colour: colour, mark: .points)],
                width: 1100, plotHeight: 220, showLegend: true, leftMargin: 84, xInset: categories == nil ? 14 : 0
            ).render()
        }

        let heading = title.isEmpty ? "Sweep over \(parameter)" : "\(title): sweep over \(parameter)"
        let seeds = Set(rows.map(\.seeds)).sorted().map(String.init).joined(separator: "/")
        var html = """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escapeHTML(heading))</title>
            <style>\(ReportHTML.css)</style>
            </head>
            <body>
            <main>
            <header>
            <p class="eyebrow">Concord bench sweep</p>
            <h1>\(escapeHTML(heading))</h1>
            <dl class="meta"><div><dt>Parameter</dt><dd>\(escapeHTML(parameter))</dd></div><div><dt>Values</dt><dd>\(rows.count)</dd></div><div><dt>Seeds per value</dt><dd>\(escapeHTML(seeds.isEmpty ? "0" : seeds))</dd></div></dl>
            </header>
            <section>
            <h2>Quality against \(escapeHTML(parameter))</h2>
            <figure>\(chart("E-model MOS", SVGChart.Axis(label: "MOS", min: 1, max: 4.5), { $0.mosEmodel }, colour: "#59a14f"))</figure>
            <figure>\(chart("Latency p95", SVGChart.Axis(label: "p95 latency (ms)", includeZero: true), { $0.latencyMsP95 }, colour: "#4e79a7"))</figure>
            <figure>\(chart("Concealment", SVGChart.Axis(label: "concealed share of playout", includeZero: true, percent: true), { $0.concealmentRatio }, colour: "#b07aa1"))</figure>
            <figcaption>Each point is the mean over seeds of the run's stream mean; whiskers span the lowest and highest run.</figcaption>
            </section>
            <section>
            <h2>Table</h2>
            <div class="table-wrap"><table class="summary">
            <thead><tr><th class="left">\(escapeHTML(parameter))</th><th>seeds</th><th>latency mean (ms)</th><th>latency p95 (ms)</th><th>loss</th><th>late</th><th>concealment</th><th>jitter buffer (ms)</th><th>bitrate (kb/s)</th><th>MOS</th></tr></thead>
            <tbody>

            """
        func spread(_ s: SweepStatistic, _ text: (Double) -> String) -> String {
            "<td title=\"min \(escapeHTML(text(s.min))), max \(escapeHTML(text(s.max))), sd \(escapeHTML(text(s.sd)))\">\(escapeHTML(text(s.mean)))</td>"
        }
        let ms = { (v: Double) in ReportHTML.fmt(v, 1) }
        for i in order {
            let r = rows[i]
            let mos = ReportHTML.mosClass(r.mosEmodel.mean)
            html += "<tr><td class=\"left\">\(escapeHTML(r.value))</td><td>\(r.seeds)</td>"
            html += spread(r.latencyMsMean, ms) + spread(r.latencyMsP95, ms) + spread(r.packetLoss, ReportHTML.pct)
            html += spread(r.lateLoss, ReportHTML.pct) + spread(r.concealmentRatio, ReportHTML.pct)
            html += spread(r.jitterBufferDelayMsMean, ms) + spread(r.bitrateKbps, ms)
            html += "<td class=\"mos \(mos.css)\">\(ReportHTML.fmt(r.mosEmodel.mean, 2))</td></tr>\n"
        }
        html += """
            </tbody></table></div>
            <p class="legend-line">Cells show the mean across seeds; hover for min, max and sd.</p>
            </section>
            <footer>Generated by concord-bench. Self-contained: loads nothing from any network.</footer>
            </main>
            </body>
            </html>

            """
        return html
    }

    /// Writes `sweep.csv`, `sweep.json` and `sweep.html` into `directory` (created if needed).
    public static func write(rows: [SweepRow], to directory: String, title: String = "") throws {
        try ReportWriter.createDirectory(directory)
        try ReportWriter.writeFile("sweep.json", in: directory) { try json(rows) }
        try ReportWriter.writeFile("sweep.csv", in: directory) { Data(try csv(rows).utf8) }
        try ReportWriter.writeFile("sweep.html", in: directory) { Data(html(rows, title: title).utf8) }
    }
}

/// The top level of `sweep.json`.
private struct SweepFile: Encodable {
    var parameter: String
    var rows: [SweepRow]
}
