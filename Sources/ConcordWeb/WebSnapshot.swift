import ConcordLive

/// `LiveSnapshot` as the page receives it, JSON over its WebSocket: the same figures the
/// terminal view shows, named for the page. Levels are dBFS, times milliseconds, shares percent;
/// a figure not known yet is absent (null).
struct WebSnapshot: Encodable, Equatable {
    struct Member: Encodable, Equatable {
        var clientID: String
        var name: String
        var address: String
        var fingerprint: String?
        var keyChanged: Bool
        var status: String
        var speaking: Bool
        var muted: Bool
        var volumePercent: Double
        var levelDBFS: Double?
        var lossPercent: Double
        /// What this member reports losing of your voice (its receiver reports).
        var outboundLossPercent: Double?
        var concealedPercent: Double?
        var roundTripMs: Double?
        var jitterBufferMs: Double?
        var latencyMs: Double?
    }

    struct Message: Encodable, Equatable {
        var seconds: Double
        var from: String
        var text: String
        /// "text", "notice" or "error".
        var kind: String
    }

    var room: String
    var clientID: String
    var fingerprint: String
    var address: String
    /// "discovering", "member", "left".
    var phase: String
    var muted: Bool
    var inputLevelDBFS: Double?
    var sentLevelDBFS: Double?
    var speaking: Bool
    var echoCancellation: Bool
    var echoPathMs: Int?
    var echoHeard: Bool?
    var protection: String?
    var members: [Member]
    var messages: [Message]
    var handshakes: Int
    var impersonations: Int
    var garbageDatagrams: Int
    var uptimeSeconds: Double

    init(_ s: LiveSnapshot) {
        func finite(_ value: Float?) -> Double? { value.flatMap { $0.isFinite ? Double($0) : nil } }
        func finite(_ value: Double?) -> Double? { value.flatMap { $0.isFinite ? $0 : nil } }
        room = s.roomID
        clientID = s.clientID
        fingerprint = s.fingerprint
        address = s.address
        phase = s.phase.rawValue
        muted = s.muted
        inputLevelDBFS = finite(s.inputLevelDBFS)
        sentLevelDBFS = finite(s.capture?.sentLevelDBFS)
        speaking = s.youAreSpeaking
        echoCancellation = s.capture?.echoCancellation ?? false
        echoPathMs = s.capture?.echoDelayMilliseconds
        echoHeard = s.capture?.echoHeard
        protection = s.protection
        members = s.members.map { m in
            Member(
                clientID: m.clientID, name: m.displayName, address: m.address, fingerprint: m.fingerprint,
                keyChanged: m.keyChanged, status: m.status, speaking: m.speaking, muted: m.muted,
                volumePercent: Double(m.volume) * 100, levelDBFS: finite(m.levelDBFS), lossPercent: m.voice.lossPercent,
                outboundLossPercent: finite(m.voice.outboundLossPercent), concealedPercent: finite(m.voice.concealedPercent), roundTripMs: finite(m.voice.rttMs),
                jitterBufferMs: finite(m.voice.jitterBufferDelayMs), latencyMs: finite(m.voice.latencyEstimate?.totalMs))
        }
        messages = s.messages.suffix(200).map { m in
            let kind: String
            switch m.kind {
            case .text: kind = "text"
            case .notice: kind = "notice"
            case .error: kind = "error"
            }
            return Message(seconds: m.secondsSinceStart, from: m.from, text: m.text, kind: kind)
        }
        handshakes = s.handshakes
        impersonations = s.impersonations
        garbageDatagrams = s.garbageDatagrams
        uptimeSeconds = s.uptimeSeconds
    }
}
