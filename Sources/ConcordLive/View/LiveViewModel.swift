import CaptureProcessing
import Concord

/// The live view's state, built from the voice client on the engine thread: what the user
/// asked for (volumes), the notices for what happened in the room, and at each snapshot the
/// `LiveSnapshot` and the summary's peers. The per-member figures come from
/// `LiveSnapshotBuilder`, which takes plain values.
struct LiveViewModel {
    let roomID: String
    let clientID: String
    let fingerprint: String
    let address: String
    private(set) var builder: LiveSnapshotBuilder
    /// Gains set with /volume, by client id.
    private(set) var volumes: [String: Float] = [:]
    private var noticedKeyChanges = 0

    init(roomID: String, clientID: String, fingerprint: String, address: String, builder: LiveSnapshotBuilder) {
        self.roomID = roomID
        self.clientID = clientID
        self.fingerprint = fingerprint
        self.address = address
        self.builder = builder
    }

    /// The snapshot before the engine ran.
    var initialSnapshot: LiveSnapshot {
        LiveSnapshot(
            roomID: roomID, clientID: clientID, fingerprint: fingerprint, address: address,
            frameMilliseconds: builder.frameMilliseconds, codecLookaheadMilliseconds: builder.codecLookaheadMilliseconds)
    }

    mutating func record(_ kind: LiveSnapshot.Message.Kind, from: String = "", _ text: String, at now: Instant) {
        builder.record(kind, from: from, text, at: now)
    }

    mutating func setVolume(_ gain: Float, of clientID: String) { volumes[clientID] = gain }

    /// The line to show for a room event, if any; texts are recorded as messages.
    mutating func notice(for event: RoomEvent, at now: Instant) -> String? {
        switch event {
        case .roomCreated(let id): return "created room \(id) (nobody answered)"
        case .roomJoined(let id): return "joined room \(id)"
        case .peerJoined(let p): return "\(p.clientID) joined"
        case let .peerLeft(id, reason): return "\(id) \(reason == .left ? "left" : "is gone (no answer)")"
        case .messageReceived(let m):
            builder.record(.text, from: m.origin, m.text, at: now)
            return nil
        case .viewChanged, .peerUpdated, .leftRoom:
            return nil
        }
    }

    /// Warnings for identity keys that changed since the last call.
    mutating func keyChangeWarnings(_ transport: SecureTransport) -> [String] {
        let changes = transport.keyChanges
        defer { noticedKeyChanges = changes.count }
        return changes.dropFirst(noticedKeyChanges).map {
            "WARNING: \($0.clientID) presents another identity key: was \($0.previousFingerprint), now \($0.newFingerprint)"
        }
    }

    /// The view's snapshot and the summary's peers, now.
    mutating func snapshot(of client: VoiceClient, inputLevel: Float?, now: Instant) -> (LiveSnapshot, [LiveSummary.Peer]) {
        let transport = client.transport
        let changed = Set((transport?.keyChanges ?? []).map(\.clientID))
        var members: [LiveSnapshot.Member] = []
        var peers: [LiveSummary.Peer] = []
        for peer in client.peers() {
            let receiver = client.receiver(for: peer.clientID)
            let security = transport?.peer(at: peer.address)
            let (member, summary) = builder.member(
                .init(
                    clientID: peer.clientID, displayName: peer.displayName, address: "\(peer.address)",
                    fingerprint: security?.fingerprint, keyChanged: changed.contains(peer.clientID), status: "\(peer.status)",
                    volume: volumes[peer.clientID], statistics: receiver?.statistics,
                    lossRatio: client.arrivals(from: peer.clientID)?.lossRatio,
                    levelDBFS: receiver.map { InputLevel(measuring: $0.frame).rmsDBFS },
                    rttMs: security?.handshakeRTTMilliseconds, reportedPath: client.reportedPath(from: peer.clientID)))
            members.append(member)
            peers.append(summary)
        }
        builder.keepOnly(Set(members.map(\.clientID)))
        let phase: LiveSnapshot.Phase
        switch client.node?.phase {
        case .idle, .discovering, nil: phase = .discovering
        case .member: phase = .member
        case .left: phase = .left
        }
        var rejections = transport?.counters ?? SecurityCounters()
        rejections.malformed = 0  // shown on its own, as garbage
        let snapshot = LiveSnapshot(
            roomID: roomID, clientID: clientID, fingerprint: fingerprint, address: address, phase: phase,
            muted: client.participant.muted, inputLevelDBFS: inputLevel, members: members, messages: builder.messages,
            security: rejections, handshakes: transport?.statistics.handshakesCompleted ?? 0,
            impersonations: transport?.statistics.impersonations ?? 0, garbageDatagrams: transport?.counters.malformed ?? 0,
            uptimeSeconds: now.seconds - builder.startedAt.seconds, frameMilliseconds: builder.frameMilliseconds,
            codecLookaheadMilliseconds: builder.codecLookaheadMilliseconds)
        var withProtection = snapshot
        withProtection.protection = client.sendSetting.map { "\($0)" }
        if let processor = client.participant.captureProcessor as? WebRTCAudioProcessor {
            let last = client.participant.lastCapture
            withProtection.capture = CaptureFigures(
                sentLevelDBFS: Float(last?.outputLevelDBFS ?? -100), echoCancellation: processor.settings.echoCancellation,
                echoDelayMilliseconds: last?.echoDelayMilliseconds, echoHeard: last?.echoHeard, speaking: client.participant.voiceActivity.isSpeaking)
        }
        return (withProtection, peers)
    }
}
