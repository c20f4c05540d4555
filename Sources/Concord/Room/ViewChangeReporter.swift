/// Turns a room node's view into the events the application sees: members that joined, changed
/// or left, and the view itself when it changed.
///
/// The view changes in many places — merges, failure detection, disbelieved deaths, tombstone
/// expiry — often several times while one datagram is handled. Comparing the view against what
/// was last reported, once at the end of each entry point, gives exactly one event per visible
/// change whatever caused it, and none for the changes that cancel out.
///
/// Pure: the node supplies its view and records and emits the events this returns.
struct ViewChangeReporter {
    /// What the view is computed from: when neither changed there is nothing to report, and the
    /// view (sorting and filtering every record) need not be computed.
    struct Version: Equatable {
        /// `Membership.structureVersion`.
        var structure: UInt64
        /// Bumped whenever a member starts or stops being kept in the view against its dead record.
        var disbelief: UInt64
    }

    /// What the application saw of a member: a change of any of it is a `peerUpdated`.
    private struct Shown: Equatable {
        var status: MemberStatus
        var incarnation: UInt32
        var address: RoomAddress

        init(_ peer: RoomPeer) {
            status = peer.status
            incarnation = peer.incarnation
            address = peer.address
        }
    }

    /// nil until the first report.
    private var reportedVersion: Version?
    private var reportedView: [String] = []
    private var shown: [String: Shown] = [:]

    func isCurrent(_ version: Version) -> Bool { reportedVersion == version }

    /// The events for what changed since the last report: peers joined and updated (in the
    /// order of `peers`), peers left (by client id), then the view change.
    ///
    /// - Parameters:
    ///   - view: the node's view, itself included.
    ///   - peers: the other members of the view, as `RoomNode.peers()` lists them.
    ///   - status: a client's record status, nil if the node holds no record of it.
    /// - Returns: the events, and whether the view itself changed.
    mutating func report(
        _ version: Version, view: [String], digest: UInt64, peers: [RoomPeer], status: (String) -> MemberStatus?
    ) -> (events: [RoomEvent], viewChanged: Bool) {
        reportedVersion = version
        var events: [RoomEvent] = []
        var seen: Set<String> = []
        for peer in peers {
            seen.insert(peer.clientID)
            let now = Shown(peer)
            if let before = shown[peer.clientID] {
                if before != now { events.append(.peerUpdated(peer)) }
            } else {
                events.append(.peerJoined(peer))
            }
            shown[peer.clientID] = now
        }
        for id in shown.keys.sorted(by: utf8Less) where !seen.contains(id) {
            shown[id] = nil
            let reason: LeaveReason
            switch status(id) {
            case .left: reason = .left
            case .dead: reason = .failed
            default: reason = .forgotten
            }
            events.append(.peerLeft(clientID: id, reason: reason))
        }
        guard view != reportedView else { return (events, false) }
        reportedView = view
        events.append(.viewChanged(view: view, digest: digest))
        return (events, true)
    }
}
