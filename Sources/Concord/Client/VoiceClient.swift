import Logging

/// One person's voice client: who is in the room (a `RoomNode`, or a fixed list of members),
/// the voice pipeline (`Participant`: sender, a receiver per peer, mixer) and the sealing of
/// every datagram (none, or pair sessions through a `SecureTransport`). This is the one place
/// they are wired together; drivers — the simulation over SimNet, the live client over UDP, the
/// tests' in-memory network — only move datagrams and frames and keep time.
///
/// Like every engine type it is a state machine: each call takes `now`, returns what to put on
/// the wire (`RoomEffect.send` / `.broadcast`, already sealed) and what happened (`.event`), in
/// order. Nothing here reads a clock, sleeps, spawns tasks or takes locks.
///
/// **Voice follows membership.** When a member enters the view it becomes a voice peer (the
/// participant sends to it and has a receiver for it); when it leaves or fails, its stream stops
/// and its decoder and jitter buffer are released. Voice ids are derived from client ids
/// (`VoicePeers.voiceID(for:)`); see `VoicePeers` for what happens when two collide.
///
/// **Authenticity before anything.** With pair sessions, a datagram reaches the room or the
/// voice pipeline only after it opened under its sender's session *and* names that session's
/// client as its sender; anything else is counted (`SecureTransport.counters`, impersonations)
/// and dropped.
public final class VoiceClient {
    /// Where the members come from.
    public enum Membership {
        /// Found and followed by the room protocol.
        case room(RoomNode)
        /// A mesh fixed in advance: these members, in this order (their receivers are mixed in
        /// it), for as long as the client runs. Its own entry, if listed, is skipped.
        case fixed([Member])
    }

    /// A member of a fixed mesh.
    public struct Member: Sendable, Equatable {
        public var clientID: String
        public var address: RoomAddress
        public init(clientID: String, address: RoomAddress) {
            self.clientID = clientID
            self.address = address
        }
    }

    /// How datagrams are protected on the wire.
    public enum Sealing {
        /// In the clear: tests of the room protocol and unsealed benchmark scenarios.
        case plain
        /// Pair sessions for unicast and the room's bootstrap key for broadcasts: what a real
        /// client runs. See SECURITY.md.
        case paired(SecureTransport)
    }

    public enum ClientError: Error, Equatable, Sendable, CustomStringConvertible {
        /// The transport seals for another client id or room than this client's.
        case transportMismatch(String)
        /// `join` on a fixed mesh, which has no room to join.
        case fixedMembership

        public var description: String {
            switch self {
            case .transportMismatch(let reason): return reason
            case .fixedMembership: return "a fixed mesh has no room to join"
            }
        }
    }

    /// One voice datagram as it arrived, before it was opened or checked: what the network
    /// delivered, for a driver that records the packets' fates (the benchmark).
    public struct VoiceArrival: Sendable, Equatable {
        /// The sender id the clear header claims.
        public var senderID: PeerID
        public var sequenceNumber: UInt16
        public var timestamp: UInt32
        /// The datagram's size on the wire.
        public var bytes: Int
        public var at: Instant
    }

    /// One captured frame, encoded, and the voice peers it goes to (resolved when it was encoded).
    public struct EncodedFrame: Sendable {
        public struct Destination: Sendable, Equatable {
            public var peer: PeerID
            public var address: RoomAddress
            /// The plain datagram for this peer: the frame with the copies this peer gets.
            public var bytes: [UInt8]
            /// What it costs on the wire (the datagram plus its seal).
            public var wireBytes: Int
        }
        /// The plain voice datagram with every copy the sender made; nil when nothing is sent
        /// (muted, nobody to send to, or the encoder suppressed the frame).
        public var bytes: [UInt8]?
        public var sequenceNumber: UInt16
        public var timestamp: UInt32
        public var destinations: [Destination]
    }

    public let clientID: String
    public let participant: Participant
    public let membership: Membership
    public let sealing: Sealing
    /// Who has voice, and the address each is reached at.
    public private(set) var voicePeers: VoicePeers
    /// Authentic voice per voice peer, for the loss a listener sees; a stream's figures go when
    /// it stops.
    var arrivalsByVoiceID: [PeerID: VoiceArrivals] = [:]
    /// Receiver reports, both ways, per voice peer (see `VoiceClient+Reports`).
    var reportsByVoiceID: [PeerID: ReportState] = [:]
    public internal(set) var reportCounters = ReportCounters()
    /// Told about every receiver report taken (see `ReceivedReport`).
    public var onReceiverReport: ((ReceivedReport) -> Void)?
    /// Told about every voice datagram that arrives, before it is opened (see `VoiceArrival`).
    public var onVoiceArrival: ((VoiceArrival) -> Void)?
    /// Decides the loss protection from the listeners' reports; nil: the codec settings and
    /// `redundantFrames` hold for the whole call (see `VoiceClient+Protection`).
    public internal(set) var protectionPolicy: ProtectionPolicy?
    /// Told about every change the policy makes.
    public var onProtectionChange: ((ProtectionChange) -> Void)?
    /// What the sender sends with adaptive protection: the policy's setting fitted into the
    /// listeners' bandwidth estimates (`RateBudget`); nil with fixed protection.
    public internal(set) var sendSetting: ProtectionPolicy.Setting?
    /// Per listener, with adaptive protection: how fast its path carries this client's voice.
    public internal(set) var bandwidthEstimates: [PeerID: BandwidthEstimator] = [:]
    /// The primary bitrate `codec` asked for: the most the sender spends.
    let configuredBitrate: Int
    let logger: Logger

    /// - Parameters:
    ///   - clientID: this client's id in the room; its voice id is `VoicePeers.voiceID(for: clientID)`.
    ///   - membership: a fixed mesh's voice peers exist from here on; a room's once it is joined.
    ///   - playout: what plays each remote stream (see `Participant.MakePlayout`); nil: Concord's
    ///     jitter buffer with `jitterBuffer`.
    ///   - copyBitrate: the bitrate of the redundant copies (`VoiceSender.copyBitrate`).
    ///   - protection: adaptive loss protection; the sender starts at the policy's setting (the
    ///     provisional FEC of a new path), whatever `codec` and `redundantFrames` say about FEC
    ///     and copies.
    public init(
        clientID: String, codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
        redundantFrames: Int = 0, copyBitrate: Int? = nil, protection: ProtectionPolicy? = nil, playout: Participant.MakePlayout? = nil,
        membership: Membership, sealing: Sealing = .plain, logger: Logger = Logger(label: "concord.client")
    ) throws {
        if case .paired(let transport) = sealing, transport.clientID != clientID {
            throw ClientError.transportMismatch(
                "the transport seals as \(transport.clientID), the client is \(clientID)")
        }
        self.clientID = clientID
        self.participant = try Participant(
            id: VoicePeers.voiceID(for: clientID), codec: codec, jitterBuffer: jitterBuffer, redundantFrames: redundantFrames,
            copyBitrate: copyBitrate,
            playout: playout, logger: logger)
        self.membership = membership
        self.sealing = sealing
        self.voicePeers = VoicePeers(ownID: clientID)
        self.logger = logger
        self.protectionPolicy = protection
        self.configuredBitrate = codec.bitrate
        if let protection {
            try apply(protection.setting, copyBitrate: protection.copyBitrate)
            sendSetting = protection.setting
        }
        if case .fixed(let members) = membership {
            follow(members.filter { $0.clientID != clientID }.map { ($0.clientID, $0.address) })
        }
    }

    /// The room node, when members come from the room protocol.
    public var node: RoomNode? {
        if case .room(let node) = membership { return node }
        return nil
    }

    /// The security layer, when datagrams are sealed.
    public var transport: SecureTransport? {
        if case .paired(let transport) = sealing { return transport }
        return nil
    }

    // MARK: The room

    /// Joins `roomID` (see `RoomNode.join`), reachable at `address`. With pair sessions the room
    /// is the one the transport's key belongs to.
    public func join(roomID: String, displayName: String = "", address: RoomAddress, now: Instant) throws -> [RoomEffect] {
        guard let node else { throw ClientError.fixedMembership }
        if let transport, transport.roomKey.roomID != roomID {
            throw ClientError.transportMismatch("the transport's key is for room \(transport.roomKey.roomID), not \(roomID)")
        }
        return seal(
            followRoom(try node.join(roomID: roomID, clientID: clientID, displayName: displayName, address: address, now: now)),
            now: now)
    }

    /// Runs the timers of the room and of the security layer; call at least every
    /// `RoomSettings.tickInterval`.
    public func tick(now: Instant) -> [RoomEffect] {
        let security = (transport?.tick(now: now) ?? []).map(RoomEffect.init)
        let reports = seal(dueReports(now: now), now: now)
        guard let node else { return security + reports }
        return security + seal(followRoom(node.tick(now: now)), now: now) + reports
    }

    public func sendText(_ text: String, now: Instant) throws(RoomError) -> [RoomEffect] {
        guard let node else { throw .notInRoom }
        return seal(followRoom(try node.sendText(text, now: now)), now: now)
    }

    /// Leaves the room and stops every voice stream.
    public func leave(now: Instant) -> [RoomEffect] {
        let effects = node.map { seal($0.leave(now: now), now: now) } ?? []
        follow([])
        return effects
    }

    /// The members (without this client): the room's view, or the fixed mesh.
    public func peers() -> [RoomPeer] {
        switch membership {
        case .room(let node): return node.peers()
        case .fixed(let members):
            return members.filter { $0.clientID != clientID }.map {
                RoomPeer(
                    clientID: $0.clientID, displayName: "", address: $0.address, incarnation: 0, joinedAt: .zero,
                    lastHeard: .zero, status: .alive)
            }
        }
    }

    /// The authentic voice that arrived from `clientID` while it was a voice peer.
    public func arrivals(from clientID: String) -> VoiceArrivals? {
        voicePeers.voiceID(of: clientID).flatMap { arrivalsByVoiceID[$0] }
    }

    /// The receiver playing `clientID`'s voice, if it is a voice peer.
    public func receiver(for clientID: String) -> VoiceReceiver? {
        voicePeers.voiceID(of: clientID).flatMap { participant.receiver(for: $0) }
    }

    // MARK: Datagrams

    /// Any datagram that arrived on the client's port.
    public func receive(bytes: [UInt8], from: RoomAddress, now: Instant) -> [RoomEffect] {
        let type = PacketType(of: bytes)
        if type == .voice, let onVoiceArrival, let header = try? VoicePacket.Header.parse(bytes) {
            onVoiceArrival(
                VoiceArrival(
                    senderID: header.senderID, sequenceNumber: header.sequenceNumber, timestamp: header.timestamp,
                    bytes: bytes.count, at: now))
        }
        guard let transport else { return deliver(bytes, type: type, from: from, sender: nil, now: now) }
        let (delivered, datagrams) = transport.receive(bytes, from: from, now: now)
        var out = datagrams.map(RoomEffect.init)
        for d in delivered {
            out += seal(deliver(d.bytes, type: PacketType(of: d.bytes), from: d.from, sender: d, now: now), now: now)
        }
        return out
    }

    /// Hands one plain datagram to the room or the voice pipeline. `sender` is the session it
    /// opened under, when sealed: the datagram must name that session's client as its sender.
    private func deliver(
        _ bytes: [UInt8], type: PacketType?, from: RoomAddress, sender: SecureTransport.Delivered?, now: Instant
    ) -> [RoomEffect] {
        switch type {
        case .voice:
            let packet: VoicePacket
            do {
                packet = try VoicePacket.parse(bytes)
            } catch {
                participant.noteMalformed(error)
                return []
            }
            if let sender {
                guard packet.senderID == VoicePeers.voiceID(for: sender.clientID) else {
                    transport?.noteImpersonation(sender, claimed: "voice id \(packet.senderID)")
                    return []
                }
            }
            if voicePeers.clientID(of: packet.senderID) != nil {
                arrivalsByVoiceID[packet.senderID, default: VoiceArrivals()].note(
                    packet.sequenceNumber, timestamp: packet.timestamp, at: now)
            }
            participant.receive(packet, now: now)
            return []
        case .receiverReport:
            take(reportBytes: bytes, sender: sender, now: now)
            return []
        case .roomControl, .roomText, .security, nil:
            guard let node else {
                // A fixed mesh speaks voice only.
                participant.noteMalformed(nil)
                return []
            }
            let parsed = Result { () throws(WireError) in try RoomMessage.parse(bytes) }
            if let sender, case .success(let message) = parsed, message.senderID != sender.clientID {
                transport?.noteImpersonation(sender, claimed: message.senderID)
                return []
            }
            return followRoom(node.receive(parsed, size: bytes.count, from: from, now: now))
        }
    }

    // MARK: Voice

    /// Encodes one captured frame for the current voice peers. Touches only this client's
    /// sender, so several clients may encode at once on different threads.
    ///
    /// Each peer gets the frame with the copies it needs (`copies(for:)`): with fixed protection
    /// all of them, with adaptive protection only those its reports ask for.
    public func encode(_ frame: [Float], now: Instant) throws -> EncodedFrame {
        guard let packet = try participant.encodePacket(frame) else {
            return EncodedFrame(bytes: nil, sequenceNumber: 0, timestamp: 0, destinations: [])
        }
        let bytes = participant.sender.serialize(packet)
        let seal = transport == nil ? 0 : SealedFormat.overhead
        // One datagram per number of copies, made once however many peers get it. A copy is a
        // packet back: its frames sit F·o … F·o + F − 1 frames before the primary (F frames a packet).
        let frameSamples = participant.sender.frameSamples
        func packetsBack(_ block: VoicePacket.RedundantFrame) -> Int {
            Int(block.timestampOffset) / frameSamples / packet.frameCount
        }
        let carried = Set(packet.redundancy.map(packetsBack)).count
        var variants: [Int: [UInt8]] = [carried: bytes]
        var destinations: [EncodedFrame.Destination] = []
        destinations.reserveCapacity(participant.receivers.count)
        for r in participant.receivers {
            guard let address = voicePeers.address(of: r.peer) else { continue }
            let copies = min(copies(for: r.peer), carried)
            let datagram: [UInt8]
            if let made = variants[copies] {
                datagram = made
            } else {
                let offsets = ProtectionPolicy.copyOffsets(copies)
                var fewer = packet
                fewer.redundancy = packet.redundancy.filter { offsets.contains(packetsBack($0)) }
                datagram = fewer.serialize()
                variants[copies] = datagram
            }
            destinations.append(.init(peer: r.peer, address: address, bytes: datagram, wireBytes: datagram.count + seal))
        }
        return EncodedFrame(
            bytes: bytes, sequenceNumber: packet.sequenceNumber, timestamp: packet.timestamp, destinations: destinations)
    }

    /// Sends an encoded frame to the peers it was encoded for, sealing each datagram.
    public func send(_ frame: EncodedFrame, now: Instant) -> [RoomEffect] {
        guard frame.bytes != nil else { return [] }
        if protectionPolicy != nil {
            for destination in frame.destinations {
                reportsByVoiceID[destination.peer, default: ReportState(nextAt: now)].sent.add(wireBytes: destination.wireBytes)
            }
        }
        guard let transport else { return frame.destinations.map { .send(bytes: $0.bytes, to: $0.address) } }
        var out: [RoomEffect] = []
        out.reserveCapacity(frame.destinations.count)
        for destination in frame.destinations {
            for datagram in transport.send(destination.bytes, to: destination.address, now: now) {
                out.append(RoomEffect(datagram))
            }
        }
        return out
    }

    /// `encode` and `send` in one.
    public func capture(_ frame: [Float], now: Instant) throws -> [RoomEffect] {
        send(try encode(frame, now: now), now: now)
    }

    /// Plays one frame of every voice peer and mixes them; returns the mix.
    public func playout(now: Instant) -> [Float] {
        participant.playout(now: now)
        return participant.mix
    }

    // MARK: Following the members

    private func followRoom(_ effects: [RoomEffect]) -> [RoomEffect] {
        guard let node else { return effects }
        let changed = effects.contains { effect in
            guard case .event(let e) = effect else { return false }
            switch e {
            case .peerJoined, .peerLeft, .peerUpdated, .viewChanged, .leftRoom: return true
            default: return false
            }
        }
        if changed { follow(node.peers().map { ($0.clientID, $0.address) }) }
        return effects
    }

    /// Brings the voice peers in line with `members` (in the order their receivers are added).
    private func follow(_ members: [(clientID: String, address: RoomAddress)]) {
        let change = voicePeers.update(members)
        for (clientID, id) in change.removed {
            participant.removePeer(id)
            arrivalsByVoiceID[id] = nil
            reportsByVoiceID[id] = nil
            protectionPolicy?.forget(id)
            bandwidthEstimates[id] = nil
            logger.debug("voice peer removed", metadata: ["client": "\(clientID)", "voice id": "\(id)"])
        }
        for (clientID, id) in change.added {
            do {
                try participant.addPeer(id)
                logger.debug("voice peer added", metadata: ["client": "\(clientID)", "voice id": "\(id)"])
            } catch {
                voicePeers.remove(clientID)
                logger.error("could not add voice peer", metadata: ["client": "\(clientID)", "error": "\(error)"])
            }
        }
    }

    private func seal(_ effects: [RoomEffect], now: Instant) -> [RoomEffect] {
        guard let transport else { return effects }
        var out: [RoomEffect] = []
        out.reserveCapacity(effects.count)
        for effect in effects {
            switch effect {
            case let .send(bytes, to):
                for datagram in transport.send(bytes, to: to, now: now) { out.append(RoomEffect(datagram)) }
            case let .broadcast(bytes):
                for datagram in transport.broadcast(bytes, now: now) { out.append(RoomEffect(datagram)) }
            case .event: out.append(effect)
            }
        }
        return out
    }
}
