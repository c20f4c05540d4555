import ConcordBench
import Foundation

/// The bench's security cost for one scenario, in release, without the rest of concord-bench:
/// `swift run -c release --package-path Fuzz bench-security fixtures/eight-person-continuous.scenario.json`.
/// Prints what `concord-bench run` reports in its security line (CPU inside the security layer
/// per sealed or opened packet), so two versions of the layer can be compared run by run.
guard CommandLine.arguments.count == 2 else {
    print("usage: bench-security SCENARIO.json")
    exit(64)
}
do {
    let report = try BenchRun.execute(try ScenarioLoader.load(path: CommandLine.arguments[1])).report
    guard let s = report.security else {
        print("the scenario runs unsealed")
        exit(1)
    }
    print(String(
        format: "security: %d sealed + %d opened, %.2f µs CPU/packet (%.1f %% of codec CPU); %d handshakes, %d rejected",
        s.packetsSealed, s.packetsOpened, s.cpuMicrosecondsPerPacket, s.cpuFractionOfCodec * 100, s.handshakesCompleted,
        s.rejected.dropped))
} catch {
    print("bench-security: \(error)")
    exit(1)
}
