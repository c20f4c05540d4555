import Foundation

/// `report.csv`: one row per directed stream, columns named exactly like the JSON fields with
/// nested objects flattened by `_` (`latency_ms.p95` → `latency_ms_p95`), so a spreadsheet or
/// pandas user and a jq user speak of the same metric by the same name.
public enum ReportCSV {
    /// The header names, in column order (`from`, `to`, then the metrics as `StreamReport` declares them).
    public static func columns(for report: BenchReport) throws -> [String] {
        guard let first = report.streams.first else { return try template().map(\.name) }
        return try FlatEncoder.flatten(first).map(\.name)
    }

    /// The whole file: header plus one row per stream, RFC 4180 (CRLF line ends, fields with
    /// commas, quotes or line breaks quoted, quotes doubled). A report without streams still
    /// gets its header, so tools reading a directory of CSVs see a consistent schema.
    public static func render(_ report: BenchReport) throws -> String {
        try table(report.streams, emptyTemplate: template(), fixedColumns: true)
    }

    /// Any list of `Encodable` rows as RFC 4180 CSV; shared with the sweep writer.
    /// `fixedColumns`: the header is the template's, whatever the rows hold; a row's `null`
    /// object (a dead stream's `latency_ms`) leaves that object's columns empty.
    static func table<Row: Encodable>(
        _ rows: [Row], emptyTemplate: [(name: String, value: FlatEncoder.Scalar)], fixedColumns: Bool = false
    ) throws -> String {
        let flattened = try rows.map { try FlatEncoder.flatten($0) }
        // The union of all rows' columns in first-seen order: an optional metric that is
        // absent from one row (omitted by `encodeIfPresent`) must not shift the later cells.
        var header = flattened.isEmpty || fixedColumns ? emptyTemplate.map(\.name) : []
        var seen = Set(header)
        if !fixedColumns {
            for row in flattened {
                for name in row.map(\.name) where seen.insert(name).inserted { header.append(name) }
            }
        }
        var lines = [header.map(field).joined(separator: ",")]
        for row in flattened {
            let cells = Dictionary(row.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            lines.append(header.map { field(cells[$0].map(cell) ?? "") }.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Quotes a field only when RFC 4180 requires it.
    public static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Numbers in their shortest round-tripping form (`0.1`, not `0.10000000000000001`); a
    /// non-finite number (which the report writer has already replaced) would be an empty cell,
    /// CSV's usual "missing".
    static func cell(_ value: FlatEncoder.Scalar) -> String {
        switch value {
        case .string(let s): return s
        case .integer(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return ""
        case .double(let d):
            guard d.isFinite else { return "" }
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        }
    }

    /// The column layout of a stream, for reports with no streams.
    private static func template() throws -> [(name: String, value: FlatEncoder.Scalar)] {
        try FlatEncoder.flatten(ZeroDecoder.zero(StreamReport.self))
    }
}
