import Concord
import ConcordLive
import ConcordTesting
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A member that pauses (SIGSTOP: a laptop lid, a debugger) for 4 s and resumes must not break
/// the room for the others: the two healthy members never drop each other from their views,
/// and the paused one is back in every view soon after it resumes.
@Suite(.serialized) struct PauseResumeTests {
    static let names = ["ana", "ben", "cai"]
    static let sources = ["a.wav", "b.wav", "c.wav"]

    @Test func aPausedMemberDoesNotMakeTheOthersDropEachOther() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-pause-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = UInt16(20_000 + Int.random(in: 0..<20_000))
        let hosts = (0..<3).map { "127.0.0.\($0 + 12)" }
        let invite = RoomSecret.generate().inviteString
        var clients: [(process: RunningProcess, summary: String)] = []
        for i in 0..<3 {
            let summary = dir.appendingPathComponent("\(Self.names[i]).json").path
            var arguments = [
                "join", "pause", "--client-id", Self.names[i], "--bind", hosts[i], "--port", "\(port)", "--invite", invite,
                "--input-wav", ThreeClientsTests.fixtures.appendingPathComponent(Self.sources[i]).path,
                "--output-wav", dir.appendingPathComponent("\(Self.names[i]).wav").path, "--summary-json", summary,
                "--duration", "12",
            ]
            for j in 0..<3 where j != i { arguments += ["--peer", "\(hosts[j]):\(port)"] }
            let process = try BuiltProduct.concord.start(
                arguments,
                environment: ["CONCORD_HOME": dir.appendingPathComponent("home-\(i)").path, "PATH": "/usr/bin:/bin"])
            clients.append((process, summary))
        }
        // cai pauses from 4 s to 8 s, well after the room has formed.
        try await Task.sleep(for: .seconds(4))
        let pausedAt = MonotonicClock.now()
        kill(clients[2].process.process.processIdentifier, SIGSTOP)
        try await Task.sleep(for: .seconds(4))
        kill(clients[2].process.process.processIdentifier, SIGCONT)
        let resumedAt = MonotonicClock.now()
        for c in clients { c.process.finish() }
        for (i, c) in clients.enumerated() {
            #expect(c.process.process.terminationStatus == 0, "\(Self.names[i]) exited \(c.process.process.terminationStatus):\n\(c.process.output)")
        }
        let summaries = try clients.map {
            try JSONDecoder().decode(LiveSummary.self, from: Data(contentsOf: URL(fileURLWithPath: $0.summary)))
        }
        for (i, s) in summaries.enumerated() {
            print("pause: \(Self.names[i]) views: " + s.viewChanges.map { String(format: "%+.2f", Double($0.atNanoseconds - pausedAt.nanoseconds) / 1e9) + " \($0.view)" }.joined(separator: ", "))
        }
        // The paused engine measured its own stall: about as long as the pause.
        let paused = summaries[2].engineTiming
        #expect(paused.stalls >= 1 && paused.longestStallMs > 3_500, "\(Self.names[2]): \(paused)")
        // The healthy pair: once both are in each other's views, never out again (until the
        // calls end, 4 s after the resume).
        let callsEnd = resumedAt.nanoseconds + 3_500_000_000
        for (me, other) in [(0, 1), (1, 0)] {
            let changes = summaries[me].viewChanges.filter { $0.atNanoseconds < callsEnd }
            guard let first = changes.firstIndex(where: { $0.view.contains(Self.names[other]) }) else {
                Issue.record("\(Self.names[me]) never saw \(Self.names[other]): \(changes)")
                continue
            }
            let dropped = changes[first...].filter { !$0.view.contains(Self.names[other]) }
            #expect(dropped.isEmpty, "\(Self.names[me]) dropped \(Self.names[other]) at \(dropped.map { Double($0.atNanoseconds - pausedAt.nanoseconds) / 1e9 }) s after the pause")
        }
        // The paused member is back in every view within 2 s of resuming, and stays.
        let settled = resumedAt.nanoseconds + 2_000_000_000
        let end = callsEnd
        for (i, s) in summaries.enumerated() {
            #expect(s.view(at: settled) == Self.names, "\(Self.names[i]) 2 s after the resume: \(String(describing: s.view(at: settled)))")
            #expect(s.view(at: end) == Self.names, "\(Self.names[i]) 3.5 s after the resume: \(String(describing: s.view(at: end)))")
        }
    }
}
