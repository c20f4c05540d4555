import Testing
@testable import Concord

/// `ViewChangeReporter` on its own: one event per visible change since the last report.
@Suite struct ViewChangeReporterTests {
    func peer(_ id: String, _ status: MemberStatus = .alive) -> RoomPeer {
        RoomPeer(
            clientID: id, displayName: id, address: .ipv4(1, port: 1), incarnation: 0, joinedAt: .zero,
            lastHeard: .zero, status: status)
    }

    func version(_ structure: UInt64) -> ViewChangeReporter.Version { .init(structure: structure, disbelief: 0) }

    @Test func joinsUpdatesAndTheViewInOrder() {
        var r = ViewChangeReporter()
        let currentBefore = r.isCurrent(version(1))
        let first = r.report(version(1), view: ["a", "me"], digest: 7, peers: [peer("a")], status: { _ in .alive })
        #expect(!currentBefore && r.isCurrent(version(1)))
        #expect(first.events == [.peerJoined(peer("a")), .viewChanged(view: ["a", "me"], digest: 7)] && first.viewChanged)

        let suspect = peer("a", .suspect)
        let second = r.report(version(2), view: ["a", "me"], digest: 8, peers: [suspect], status: { _ in .suspect })
        #expect(second.events == [.peerUpdated(suspect)] && !second.viewChanged)

        let third = r.report(version(3), view: ["a", "me"], digest: 8, peers: [suspect], status: { _ in .suspect })
        #expect(third.events.isEmpty && !third.viewChanged)
    }

    /// Members that left the view are reported by client id with why they left.
    @Test func departuresWithTheirReasons() {
        var r = ViewChangeReporter()
        _ = r.report(
            version(1), view: ["a", "b", "c", "me"], digest: 1, peers: [peer("a"), peer("b"), peer("c")],
            status: { _ in .alive })
        let statuses: [String: MemberStatus] = ["a": .dead, "b": .left]
        let report = r.report(version(2), view: ["me"], digest: 2, peers: [], status: { statuses[$0] })
        let expected: [RoomEvent] = [
            .peerLeft(clientID: "a", reason: .failed), .peerLeft(clientID: "b", reason: .left),
            .peerLeft(clientID: "c", reason: .forgotten), .viewChanged(view: ["me"], digest: 2),
        ]
        #expect(report.events == expected && report.viewChanged)
    }
}
