import Foundation

/// `report.json` (and any other JSON the bench writes): pretty-printed with sorted keys so that
/// two runs with the same seed diff cleanly, and never containing NaN or infinity, which JSON
/// cannot represent and which would make every downstream parser (jq, Python, browsers) fail.
public enum ReportJSON {
    /// A number in the value was NaN or infinite. Names each field by its JSON path so a
    /// metrics bug can be found without a debugger.
    public struct NonFiniteNumberError: Error, CustomStringConvertible, Equatable {
        /// JSON paths such as `streams[1].latency_ms.p95`, with the offending value.
        public var fields: [String]
        public var description: String {
            "non-finite numbers (JSON cannot hold NaN or infinity) in: " + fields.joined(separator: ", ")
        }
    }

    /// Encodes strictly: throws `NonFiniteNumberError` listing every NaN/infinite field.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let (data, fields) = try encodeReplacingNonFinite(value)
        if !fields.isEmpty { throw NonFiniteNumberError(fields: fields) }
        return data
    }

    /// Encodes leniently: every NaN or infinite number is written as `0` (the reports' convention
    /// for "nothing measured"), and the replaced fields are returned so the caller can warn.
    /// A long simulation should not lose its whole report to one degenerate metric.
    public static func encodeSanitized<T: Encodable>(_ value: T) throws -> (data: Data, replaced: [String]) {
        try encodeReplacingNonFinite(value)
    }

    /// The JSON paths of all non-finite numbers in `value` (empty when it is clean).
    public static func nonFiniteFields<T: Encodable>(in value: T) throws -> [String] {
        try encodeReplacingNonFinite(value).replaced
    }

    /// `value` with its non-finite numbers replaced by 0, through a JSON round trip; lets the
    /// CSV and HTML writers show exactly the numbers that `report.json` holds.
    public static func sanitized<T: Codable>(_ value: T) throws -> (value: T, replaced: [String]) {
        let (data, replaced) = try encodeReplacingNonFinite(value)
        if replaced.isEmpty { return (value, []) }
        return (try JSONDecoder().decode(T.self, from: data), replaced)
    }

    /// Reads a `report.json` back.
    public static func decodeReport(_ data: Data) throws -> BenchReport {
        try JSONDecoder().decode(BenchReport.self, from: data)
    }

    /// Encodes with non-finite numbers written as a per-call random marker string, finds the
    /// markers' paths, then replaces each quoted marker by `0`. A fresh UUID means no name in
    /// the report can collide with a marker.
    private static func encodeReplacingNonFinite<T: Encodable>(_ value: T) throws -> (data: Data, replaced: [String]) {
        let token = UUID().uuidString
        let nan = "nan-\(token)", plus = "+inf-\(token)", minus = "-inf-\(token)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: plus, negativeInfinity: minus, nan: nan)
        let data = try encoder.encode(value)
        guard var text = String(data: data, encoding: .utf8), text.contains(token) else { return (data, []) }

        var replaced: [String] = []
        let tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        collectMarkers(tree, path: "", markers: [nan: "NaN", plus: "+inf", minus: "-inf"], into: &replaced)
        for marker in [nan, plus, minus] {
            text = text.replacingOccurrences(of: "\"\(marker)\"", with: "0")
        }
        return (Data(text.utf8), replaced)
    }

    private static func collectMarkers(_ node: Any, path: String, markers: [String: String], into found: inout [String]) {
        if let dictionary = node as? [String: Any] {
            for key in dictionary.keys.sorted() {
                collectMarkers(dictionary[key]!, path: path.isEmpty ? key : "\(path).\(key)", markers: markers, into: &found)
            }
        } else if let array = node as? [Any] {
            for (index, element) in array.enumerated() {
                collectMarkers(element, path: "\(path)[\(index)]", markers: markers, into: &found)
            }
        } else if let string = node as? String, let shown = markers[string] {
            found.append("\(path.isEmpty ? "<value>" : path) = \(shown)")
        }
    }
}
