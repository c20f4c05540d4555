import Foundation

/// A report file could not be written; names the file and the reason.
public struct ReportWriteError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var reason: String
    public var description: String { "cannot write \(file): \(reason)" }
    public init(file: String, reason: String) {
        self.file = file
        self.reason = reason
    }
}

/// Writes a run's report files and formats its stdout summary.
public enum ReportWriter {
    /// Writes `report.json`, `report.csv`, `report.html` and the per-second series
    /// (`timeseries.csv`, `timeseries.json`) into `directory`, creating it.
    ///
    /// Non-finite metrics (a degenerate stream, a division by zero in a metric) are written as 0
    /// in all three files rather than failing the run, and listed in the HTML's warning box; the
    /// list is returned so the CLI can warn on stderr too.
    @discardableResult
    public static func write(report: BenchReport, timelines: [StreamTimeline], to directory: String) throws -> [String] {
        try createDirectory(directory)
        let sanitized: BenchReport
        let replaced: [String]
        do {
            (sanitized, replaced) = try ReportJSON.sanitized(report)
        } catch {
            throw ReportWriteError(file: path("report.json", in: directory), reason: "cannot encode the report: \(error)")
        }
        let notes = replaced.isEmpty ? [] : ["Non-finite values written as 0: " + replaced.joined(separator: ", ")]
        try writeFile("report.json", in: directory) { try ReportJSON.encode(sanitized) }
        try writeFile("report.csv", in: directory) { Data(try ReportCSV.render(sanitized).utf8) }
        try writeFile("report.html", in: directory) {
            Data(ReportHTML.render(report: sanitized, timelines: timelines, notes: notes).utf8)
        }
        try writeFile("timeseries.csv", in: directory) { Data(TimeSeriesFiles.csv(timelines).utf8) }
        try writeFile("timeseries.json", in: directory) { try TimeSeriesFiles.json(timelines, events: report.scenarioEvents ?? []) }
        return replaced
    }

    /// The fixed-width table for stdout.
    public static func summary(_ report: BenchReport) -> String {
        SummaryTable.render(report)
    }

    // MARK: - File helpers shared with the sweep writer

    static func path(_ name: String, in directory: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(name).path
    }

    public static func createDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw ReportWriteError(file: directory, reason: "exists and is not a directory")
            }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw ReportWriteError(file: directory, reason: "cannot create the directory (\(reason(of: error)))")
        }
    }

    /// Builds and writes one file atomically (no half-written report after a crash or ^C),
    /// attributing any failure, in building or writing, to that file.
    static func writeFile(_ name: String, in directory: String, _ contents: () throws -> Data) throws {
        let target = path(name, in: directory)
        let data: Data
        do {
            data = try contents()
        } catch let error as ReportWriteError {
            throw error
        } catch {
            throw ReportWriteError(file: target, reason: "cannot produce the contents (\(error))")
        }
        do {
            try data.write(to: URL(fileURLWithPath: target), options: .atomic)
        } catch {
            throw ReportWriteError(file: target, reason: reason(of: error))
        }
    }

    /// The underlying POSIX reason when Foundation wraps one (e.g. "Permission denied"): a plain
    /// sentence part instead of an NSCocoaErrorDomain dump.
    public static func reason(of error: any Error) -> String {
        let ns = error as NSError
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
