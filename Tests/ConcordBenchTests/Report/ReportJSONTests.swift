import Foundation
import Testing

@testable import ConcordBench

@Suite("Report: ReportJSON")
struct ReportJSONTests {
    @Test func roundTripsThroughJSONDecoder() throws {
        let report = ReportFixtures.sampleReport()
        let data = try ReportJSON.encode(report)
        #expect(try JSONDecoder().decode(BenchReport.self, from: data) == report)
        #expect(try ReportJSON.decodeReport(data) == report)
    }

    @Test func hasTheStableKeyNamesOfIssue4() throws {
        let data = try ReportJSON.encode(ReportFixtures.sampleReport())
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["scenario", "seed", "simulated_seconds", "wall_seconds", "cpu_seconds", "streams"] {
            #expect(object[key] != nil, "missing top-level \(key)")
        }
        let streams = try #require(object["streams"] as? [[String: Any]])
        #expect(streams.count == 6)
        let paths = ReportFixtures.keyPaths(streams[0])
        let required = [
            "from", "to", "latency_ms.mean", "latency_ms.p50", "latency_ms.p95", "latency_ms.p99", "latency_ms.max",
            "latency_xcorr_ms.mean", "latency_xcorr_ms.p50", "latency_xcorr_ms.p95", "jitter_rfc3550_ms", "packet_loss",
            "late_loss", "concealment_ratio", "jitter_buffer_delay_ms.mean", "jitter_buffer_delay_ms.p95",
            "fec_recovered_frames", "bitrate_kbps", "mos_emodel",
        ]
        for key in required {
            #expect(paths.contains(key), "missing stream key \(key)")
        }
        // No camelCase leaks into the file, except the W3C getStats names kept as W3C spells them.
        #expect(!paths.filter { !$0.hasPrefix("get_stats.") }.contains { $0.contains { $0.isUppercase } })
        #expect(paths.contains("get_stats.concealedSamples") && paths.contains("quality.visqol_mos"))
    }

    @Test func isPrettyWithSortedKeys() throws {
        let text = String(decoding: try ReportJSON.encode(ReportFixtures.sampleReport()), as: UTF8.self)
        #expect(text.contains("\n  \""))
        let cpu = try #require(text.range(of: "\"cpu_seconds\""))
        let scenario = try #require(text.range(of: "\"scenario\""))
        #expect(cpu.lowerBound < scenario.lowerBound)
    }

    @Test func strictEncodingNamesEveryNonFiniteField() throws {
        var report = ReportFixtures.sampleReport()
        report.streams[1].latencyMs?.p95 = .nan
        report.streams[2].bitrateKbps = .infinity
        report.wallSeconds = -.infinity
        do {
            _ = try ReportJSON.encode(report)
            Issue.record("expected NonFiniteNumberError")
        } catch let error as ReportJSON.NonFiniteNumberError {
            #expect(error.fields.contains("streams[1].latency_ms.p95 = NaN"))
            #expect(error.fields.contains("streams[2].bitrate_kbps = +inf"))
            #expect(error.fields.contains("wall_seconds = -inf"))
            #expect(error.fields.count == 3)
            #expect(error.description.contains("streams[1].latency_ms.p95"))
        }
    }

    @Test func sanitizingWritesZeroAndStillDecodes() throws {
        var report = ReportFixtures.sampleReport()
        report.streams[0].mosEmodel = .nan
        report.streams[0].latencyXcorrMs?.mean = .infinity
        let (data, replaced) = try ReportJSON.encodeSanitized(report)
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.lowercased().contains("nan") && !text.lowercased().contains("inf"))
        #expect(replaced.sorted() == ["streams[0].latency_xcorr_ms.mean = +inf", "streams[0].mos_emodel = NaN"])
        let decoded = try ReportJSON.decodeReport(data)
        #expect(decoded.streams[0].mosEmodel == 0)
        #expect(decoded.streams[0].latencyXcorrMs?.mean == 0)
        #expect(decoded.streams[1] == report.streams[1])

        let (value, listed) = try ReportJSON.sanitized(report)
        #expect(value == decoded && listed == replaced)
        #expect(try ReportJSON.sanitized(ReportFixtures.sampleReport()).replaced.isEmpty)
    }

    @Test func keepsSlashesAndUnicodeNamesReadable() throws {
        let report = ReportFixtures.report(streams: [ReportFixtures.stream(from: "a/b", to: "zoë")])
        let text = String(decoding: try ReportJSON.encode(report), as: UTF8.self)
        #expect(text.contains("\"a/b\""))
        #expect(try ReportJSON.decodeReport(Data(text.utf8)) == report)
    }
}
