import ConcordTesting
import Foundation
import Testing

/// `scripts/constant-delay-bound`, which the README's NetEq section quotes: it runs the bench
/// with `--pcap` and reads the capture back, so this runs it end to end on short calls.
@Suite struct ConstantDelayBoundTests {
    static let script = BuiltProduct(path: BenchFixtures.root.appendingPathComponent("scripts/constant-delay-bound").path)

    /// The mean line's late share, in percent.
    static func lateShare(_ output: String) throws -> Double {
        let line = try #require(output.split(separator: "\n").last { $0.hasPrefix("mean over 2 streams: late ") })
        let figure = line.dropFirst("mean over 2 streams: late ".count).prefix { $0 != " " }
        return try #require(Double(figure))
    }

    @Test func aLongerWaitLeavesFewerPacketsLate() throws {
        // Wi-Fi's jitter (1.5 ms, paretonormal) leaves a quarter of the packets late at a 1 ms
        // mean wait (24.8 % on this seed), and a 20 ms wait covers nearly all of them.
        let bench = BuiltProduct.concordBench.path
        let short = try Self.script.run(["wifi", "1", bench, "1", "3"])
        #expect(short.status == 0, "\(short.output)")
        let long = try Self.script.run(["wifi", "20", bench, "1", "3"])
        #expect(long.status == 0, "\(long.output)")
        let shortLate = try Self.lateShare(short.output)
        let longLate = try Self.lateShare(long.output)
        #expect(shortLate > 10 && shortLate < 40, "\(short.output)")
        #expect(longLate < shortLate, "\(long.output)")
        // One line per stream: both directions of the one seed.
        #expect(short.output.contains("10.147.17.10 -> 10.147.17.11: delay "), "\(short.output)")
        #expect(short.output.contains("10.147.17.11 -> 10.147.17.10: delay "), "\(short.output)")
    }

    @Test func aLosslessPathWithoutJitterHasNothingLateOrLost() throws {
        let result = try Self.script.run(["lan", "5", BuiltProduct.concordBench.path, "1", "2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("mean over 2 streams: late 0.00 % of the packets that arrived"), "\(result.output)")
        #expect(result.output.contains("lost 0.00 %"), "\(result.output)")
    }

    @Test func misuseGetsTheUsageAndExit64() throws {
        let result = try Self.script.run(["satellite"])
        #expect(result.status == 64)
        #expect(result.output.contains("usage: scripts/constant-delay-bound"), "\(result.output)")
    }
}
