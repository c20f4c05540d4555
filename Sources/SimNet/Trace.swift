import Foundation  // reading and writing files only

/// A one-way delay/loss trace: the CSV contract shared with `concord-bench --trace`.
///
/// ```
/// seq,send_ms,arrive_ms
/// 0,0,41.5
/// 1,20,        ← empty arrive_ms: lost
/// 2,40,83.25
/// ```
/// - The header is exactly `seq,send_ms,arrive_ms` (surrounding spaces and a UTF-8 BOM tolerated).
/// - `seq` is an integer (kept, not interpreted: rows are used in file order).
/// - `send_ms`, `arrive_ms` are decimal milliseconds (up to 6 fractional digits are exact:
///   nanosecond resolution); `arrive_ms` empty means lost; `arrive_ms` < `send_ms` is an error.
/// - Blank lines are ignored; `\r\n` line ends are accepted.
/// On replay the k-th datagram sent on the path gets row (k mod n)'s delay `arrive − send`, or is lost.
public struct Trace: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var seq: Int64
        public var send: SimTime
        /// `nil` when the datagram was lost.
        public var arrive: SimTime?
        public init(seq: Int64, send: SimTime, arrive: SimTime?) {
            self.seq = seq; self.send = send; self.arrive = arrive
        }
        /// One-way delay, or `nil` if lost.
        public var delay: SimTime? { arrive.map { $0 - send } }
    }

    public var rows: [Row]

    public init(rows: [Row]) { self.rows = rows }

    public var count: Int { rows.count }
    public var lossRate: Double {
        rows.isEmpty ? 0 : Double(rows.lazy.filter { $0.arrive == nil }.count) / Double(rows.count)
    }

    public static let header = "seq,send_ms,arrive_ms"

    /// The trace in the CSV format (header, one row per line, trailing newline).
    public var csv: String {
        var out = Trace.header + "\n"
        for row in rows {
            out += "\(row.seq),\(formatMilliseconds(row.send)),"
            if let arrive = row.arrive { out += formatMilliseconds(arrive) }
            out += "\n"
        }
        return out
    }

    public func write(toFile path: String) throws {
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// Reads and parses a trace file; errors carry the file name, line and reason.
    public static func load(contentsOfFile path: String) throws(TraceError) -> Trace {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw TraceError(file: path, line: 0, reason: .unreadable(String(describing: error)))
        }
        return try parse(text, file: path)
    }

    /// Parses CSV text. `file` is only used in error messages.
    public static func parse(_ text: String, file: String = "<string>") throws(TraceError) -> Trace {
        var rows: [Row] = []
        var sawHeader = false
        var lineNumber = 0
        // "\r\n" is one Character in Swift, so split on both forms.
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNumber += 1
            var line = Substring(rawLine)
            if line.hasSuffix("\r") { line = line.dropLast() }
            if lineNumber == 1, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            if !sawHeader {
                guard fields == ["seq", "send_ms", "arrive_ms"] else {
                    throw TraceError(file: file, line: lineNumber,
                                     reason: .badHeader(found: String(line)))
                }
                sawHeader = true
                continue
            }
            if fields.count == 1 && fields[0].isEmpty { continue }  // blank line
            guard fields.count == 3 else {
                throw TraceError(file: file, line: lineNumber, reason: .wrongFieldCount(fields.count))
            }
            guard let seq = Int64(fields[0]) else {
                throw TraceError(file: file, line: lineNumber, reason: .nonNumeric(field: "seq", value: fields[0]))
            }
            guard let send = parseMilliseconds(fields[1]) else {
                throw TraceError(file: file, line: lineNumber, reason: .nonNumeric(field: "send_ms", value: fields[1]))
            }
            var arrive: SimTime? = nil
            if !fields[2].isEmpty {
                guard let a = parseMilliseconds(fields[2]) else {
                    throw TraceError(file: file, line: lineNumber,
                                     reason: .nonNumeric(field: "arrive_ms", value: fields[2]))
                }
                guard a >= send else {
                    throw TraceError(file: file, line: lineNumber,
                                     reason: .arriveBeforeSend(sendMs: fields[1], arriveMs: fields[2]))
                }
                arrive = a
            }
            rows.append(Row(seq: seq, send: send, arrive: arrive))
        }
        guard sawHeader else { throw TraceError(file: file, line: 1, reason: .badHeader(found: "")) }
        guard !rows.isEmpty else { throw TraceError(file: file, line: lineNumber, reason: .empty) }
        return Trace(rows: rows)
    }
}

/// A malformed trace: where and why.
public struct TraceError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Reason: Equatable, Sendable {
        case unreadable(String)
        case badHeader(found: String)
        case wrongFieldCount(Int)
        case nonNumeric(field: String, value: String)
        case arriveBeforeSend(sendMs: String, arriveMs: String)
        case empty
    }
    public var file: String
    /// 1-based line number (0 when the file could not be read).
    public var line: Int
    public var reason: Reason

    public init(file: String, line: Int, reason: Reason) {
        self.file = file; self.line = line; self.reason = reason
    }

    public var description: String {
        let why: String
        switch reason {
        case .unreadable(let detail): why = "cannot read file: \(detail)"
        case .badHeader(let found): why = "bad header \"\(found)\", expected \"\(Trace.header)\""
        case .wrongFieldCount(let n): why = "expected 3 fields, found \(n)"
        case let .nonNumeric(field, value): why = "\(field) is not a number: \"\(value)\""
        case let .arriveBeforeSend(s, a): why = "arrive_ms \(a) is before send_ms \(s)"
        case .empty: why = "no rows after the header"
        }
        return "\(file):\(line): \(why)"
    }
}

/// Exact decimal milliseconds → nanoseconds ("12.345678" → 12_345_678 ns); rounds beyond 6
/// fractional digits; falls back to Double for exponent forms. `nil` if not a finite number ≥ 0.
func parseMilliseconds(_ text: String) -> SimTime? {
    guard !text.isEmpty else { return nil }
    var whole: Int64 = 0
    var frac: Int64 = 0
    var fracDigits = 0
    var roundUp = false
    var seenDot = false
    var digits = 0
    var exact = true
    for c in text.utf8 {
        if c == UInt8(ascii: ".") {
            if seenDot { return nil }
            seenDot = true
        } else if c >= 48 && c <= 57 {
            let d = Int64(c - 48)
            digits += 1
            if !seenDot {
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (s, o2) = m.addingReportingOverflow(d)
                if o1 || o2 { return nil }
                whole = s
            } else if fracDigits < 6 {
                frac = frac * 10 + d; fracDigits += 1
            } else if fracDigits == 6 {
                roundUp = d >= 5; fracDigits += 1
            }
        } else {
            exact = false
            break
        }
    }
    if exact {
        guard digits > 0 else { return nil }
        while fracDigits < 6 { frac *= 10; fracDigits += 1 }
        let (m, o) = whole.multipliedReportingOverflow(by: 1_000_000)
        if o { return nil }
        return SimTime(nanoseconds: m + frac + (roundUp ? 1 : 0))
    }
    guard let value = Double(text), value.isFinite, value >= 0, value < 9e12 else { return nil }
    return .milliseconds(value)
}

/// Nanoseconds → shortest exact decimal milliseconds ("12.5", "3", "0.000001").
func formatMilliseconds(_ t: SimTime) -> String {
    let ns = t.nanoseconds
    let sign = ns < 0 ? "-" : ""
    let a = ns.magnitude
    let whole = a / 1_000_000
    var frac = a % 1_000_000
    if frac == 0 { return "\(sign)\(whole)" }
    var width = 6
    while frac % 10 == 0 { frac /= 10; width -= 1 }
    let digits = String(frac)
    return "\(sign)\(whole)." + String(repeating: "0", count: width - digits.count) + digits
}
