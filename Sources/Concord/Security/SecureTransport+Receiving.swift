import Crypto
import Logging

/// Opening datagrams: pair datagrams under a session, and the bootstrap ones (broadcasts and the
/// handshake) that make sessions.
extension SecureTransport {
    func receivePair(_ bytes: [UInt8], headerLength: Int, from address: RoomAddress, now: Instant) {
        let opened: (header: [UInt8], body: [UInt8])
        do {
            opened = try opener.openUncounted(bytes, headerLength: headerLength, sender: .pair(address))
            if let session = peers.session(at: address) {
                session.lastOpenedAt = now
                if !session.peerSpoke { session.peerSpoke = true }
            }
        } catch {
            guard peers.handshakes(at: address).unconfirmed != nil,
                let result = try? opener.openUncounted(bytes, headerLength: headerLength, sender: .pending(address))
            else {
                opener.record(classify(error, bytes, headerLength: headerLength, from: address))
                return
            }
            confirm(address, now: now)
            opened = result
        }
        opener.record(nil)
        guard PacketType(of: bytes) != .security,  // a confirm: its work is done
            let session = peers.session(at: address)
        else { return }
        var plain = opened.header
        plain[2] &= ~0x80
        plain.append(contentsOf: opened.body)
        delivered.append(Delivered(bytes: plain, from: address, clientID: session.agreement.clientID, identity: session.agreement.identity))
    }

    /// A pair datagram for our room from an address we hold no keys for is a peer's traffic
    /// from before this run (we restarted, or dropped the session): `stale`, not `wrongRoom`.
    /// So is one that fails under a session we just made while the peer has not yet said a
    /// word under it: the peer is still sending under the session it is replacing (it learns
    /// of the new one a round trip later).
    private func classify(_ error: SecurityError, _ bytes: [UInt8], headerLength: Int, from address: RoomAddress) -> SecurityError {
        let session = peers.session(at: address)
        if error == .forged, session?.peerSpoke == false { return .stale }
        guard error == .wrongRoom || error == .unknownKey, session == nil, peers.handshakes(at: address).unconfirmed == nil,
            bytes.count >= headerLength + 2
        else { return error }
        let tag = UInt16(bytes[headerLength]) << 8 | UInt16(bytes[headerLength + 1])
        return tag == roomKey.roomTag ? .stale : error
    }

    /// One token of handshake work for the datagram being received (at most one per datagram).
    private func affordWork(from address: RoomAddress, now: Instant) -> Bool {
        if chargedThisDatagram { return true }
        switch budget.take(from: address, now: now) {
        case .granted:
            chargedThisDatagram = true
            statistics.handshakeWork += 1
            return true
        case let verdict:
            throttledThisDatagram = true
            logger.trace("handshake work refused", metadata: ["peer": "\(address)", "reason": "\(verdict)"])
            return false
        }
    }

    func receiveBootstrap(_ bytes: [UInt8], kind: SecureWire.Kind, from address: RoomAddress, now: Instant) {
        // Cheapest checks first: the room tag (another room's traffic is not a forgery), then
        // the room mac (one HMAC). Nothing before them derives or stores anything.
        let tagAt = SecureWire.bootstrapHeaderLength
        guard UInt16(bytes[tagAt]) << 8 | UInt16(bytes[tagAt + 1]) == roomKey.roomTag else {
            opener.record(.wrongRoom)
            return
        }
        guard macIsValid(bytes) else {
            opener.record(.forged)
            return
        }
        let senderSalt = Array(bytes[4..<SecureWire.bootstrapHeaderLength])
        guard senderSalt != salt else {  // our own broadcast, looped back
            opener.record(nil)
            return
        }
        let channel = Channel.bootstrap(senderSalt)
        let isNew = !opener.hasKey(for: channel)
        if isNew {
            guard affordWork(from: address, now: now) else {
                opener.record(.throttled)
                return
            }
            opener.install(roomKey.bootstrapKey(sessionSalt: senderSalt), for: channel)
            statistics.bootstrapKeysDerived += 1
        }
        let plaintext: [UInt8]
        do {
            plaintext = try opener.openUncounted(
                Array(bytes[0..<(bytes.count - SecureWire.macLength)]), headerLength: SecureWire.bootstrapHeaderLength,
                sender: channel
            ).body
        } catch {
            if isNew { opener.remove(sender: channel) }  // forgeries must not fill the table
            opener.record(error)
            return
        }
        if isNew { rememberBootstrapSender(senderSalt) }
        if let body = SecureWire.unpadded(plaintext) {
            switch kind {
            case .broadcast:
                receiveBroadcast(body, size: bytes.count, from: address, now: now)
            case .initiation:
                receiveInitiation(body, from: address, now: now)
            case .response:
                if body.count > 32 {
                    receiveResponse(answering: Array(body[0..<32]), offer: Array(body[32...]), from: address, now: now)
                } else {
                    statistics.handshakesRejected += 1
                }
            case .confirm:
                break
            }
        } else {
            statistics.handshakesRejected += 1
        }
        opener.record(throttledThisDatagram ? .throttled : nil)
    }

    private func rememberBootstrapSender(_ senderSalt: [UInt8]) {
        bootstrapSenders.append(senderSalt)
        if bootstrapSenders.count > settings.bootstrapSenderLimit {
            opener.remove(sender: .bootstrap(bootstrapSenders.removeFirst()))
        }
    }

    private func receiveBroadcast(_ body: [UInt8], size: Int, from address: RoomAddress, now: Instant) {
        if let session = peers.session(at: address) {
            delivered.append(Delivered(bytes: body, from: address, clientID: session.agreement.clientID, identity: session.agreement.identity))
            return
        }
        if let initiation = peers.handshakes(at: address).initiation {
            if let credit = initiation.credit {
                peers.modifyHandshakes(at: address) { $0.initiation?.credit = credit + size }
            }
        } else {
            // An unverified address: one initiation, paid by this broadcast (never larger).
            guard peers.pendingCounts.heardInitiations < settings.pendingHandshakeLimit else {
                statistics.pendingEvicted += 1
                return
            }
            guard affordWork(from: address, now: now) else { return }
            initiate(address, credit: size, now: now)
        }
        peers.modifyHandshakes(at: address) { handshakes in
            if let count = handshakes.initiation?.held.count, count < settings.heldBroadcastLimit {
                handshakes.initiation?.held.append(body)
            }
        }
    }

    /// Parses and checks a peer's offer; nil (and counted) if it must be ignored.
    private func verifiedOffer(_ bytes: [UInt8]) -> (HandshakeOffer, String)? {
        guard let offer = try? HandshakeOffer.parse(bytes), offer.roomTag == roomKey.roomTag,
            let id = String(validating: offer.sender, as: UTF8.self), !id.isEmpty,
            id.utf8.count <= RoomMessage.maxIdentifierBytes, id != clientID
        else {
            statistics.handshakesRejected += 1
            return nil
        }
        return (offer, id)
    }

    private func receiveInitiation(_ bytes: [UInt8], from address: RoomAddress, now: Instant) {
        // A retransmission of the offer we already answered: answer again (at most once per
        // half retry interval), the answer may have been lost. One reply per datagram, never
        // larger: no budget needed.
        let handshakes = peers.handshakes(at: address)
        if let unconfirmed = handshakes.unconfirmed, unconfirmed.agreement.peerOffer == bytes {
            if now.milliseconds(since: unconfirmed.respondedAt) < settings.handshakeRetryInterval / 2 { return }
            peers.modifyHandshakes(at: address) { $0.unconfirmed?.respondedAt = now }
            respond(answering: bytes, with: unconfirmed.agreement.ownOffer, to: address)
            return
        }
        if let session = peers.session(at: address), session.agreement.peerOffer == bytes {
            if let last = session.lastResponseAt, now.milliseconds(since: last) < settings.handshakeRetryInterval / 2 { return }
            session.lastResponseAt = now
            respond(answering: bytes, with: session.agreement.ownOffer, to: address)
            return
        }
        guard let (offer, id) = verifiedOffer(bytes), affordWork(from: address, now: now) else { return }
        // Our own initiation in flight: derive with it (both sides use each one's offer), but
        // keep its ephemeral key until the peer's response shows which offer it really holds.
        let keys: PairKeys
        let ownOffer: [UInt8]
        do {
            if let initiation = handshakes.initiation {
                ownOffer = initiation.offer
                keys = try initiation.handshake.derive(with: offer)
            } else {
                let handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
                ownOffer = handshake.offer.serialize()
                keys = try handshake.complete(with: offer)
            }
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        if handshakes.unconfirmed == nil, peers.pendingCounts.unconfirmed >= settings.pendingHandshakeLimit,
            let oldest = peers.oldestUnconfirmed
        {
            dropUnconfirmed(oldest)
            statistics.pendingEvicted += 1
        }
        opener.remove(sender: .pending(address))
        opener.install(keys.receiving, for: .pending(address))
        let unconfirmed = PeerSecurityState.UnconfirmedAgreement(
            agreement: PeerSecurityState.PairAgreement(
                clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: ownOffer,
                sealer: PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets)),
            ownOfferHash: Array(SHA256.hash(data: ownOffer)), createdAt: now, respondedAt: now)
        peers.modifyHandshakes(at: address) { $0.unconfirmed = unconfirmed }
        respond(answering: bytes, with: ownOffer, to: address)
    }

    private func receiveResponse(answering hash: [UInt8], offer bytes: [UInt8], from address: RoomAddress, now: Instant) {
        let handshakes = peers.handshakes(at: address)
        guard let initiation = handshakes.initiation, initiation.hash == hash else {
            if peers.session(at: address)?.agreement.peerOffer == bytes { return }  // a duplicate of the one that completed
            statistics.staleResponses += 1
            return
        }
        let rtt = now.milliseconds(since: initiation.lastSentAt)
        // Simultaneous initiations: we already derived with this very offer; its response to
        // ours proves the peer received our offer.
        if let unconfirmed = handshakes.unconfirmed, unconfirmed.ownOfferHash == hash, unconfirmed.agreement.peerOffer == bytes {
            confirm(address, now: now, rtt: rtt)
            return
        }
        guard let (offer, id) = verifiedOffer(bytes), affordWork(from: address, now: now) else { return }
        let keys: PairKeys
        do {
            keys = try initiation.handshake.complete(with: offer)
        } catch {
            statistics.handshakesRejected += 1
            logger.debug("handshake response rejected", metadata: ["peer": "\(address)", "reason": "\(error)"])
            return
        }
        let ended = endInitiation(address)
        dropUnconfirmed(address)  // superseded by this completed handshake
        checkIdentity(id, offer.identity, address: address)
        establish(
            PeerSecurityState.PairSession(
                agreement: PeerSecurityState.PairAgreement(
                    clientID: id, identity: offer.identity, peerOffer: bytes, ownOffer: initiation.offer,
                    sealer: PacketSealer(key: keys.sending, rekeyAfterPackets: settings.rekeyAfterPackets)),
                establishedAt: now, lastOpenedAt: now, lastResponseAt: nil, rtt: rtt, peerSpoke: false),
            at: address)
        opener.install(keys.receiving, for: .pair(address))  // the old keys stay as previous for in-flight packets
        sendConfirm(to: address)
        flush(ended, to: address, now: now)
    }

    private func establish(_ session: PeerSecurityState.PairSession, at address: RoomAddress) {
        if peers.establish(session, at: address) { statistics.sessionsReplaced += 1 }
        statistics.handshakesCompleted += 1
        logger.debug("pair session established", metadata: ["peer": "\(address)", "client": "\(session.agreement.clientID)"])
    }

    /// The peer proved it holds our offer (a packet under the unconfirmed keys, or its response
    /// to our crossing offer): the unconfirmed keys become the session. The responder's RTT runs
    /// from its last response to this proof.
    private func confirm(_ address: RoomAddress, now: Instant, rtt: Double? = nil) {
        let taken = peers.modifyHandshakes(at: address) { handshakes -> PeerSecurityState.UnconfirmedAgreement? in
            defer { handshakes.unconfirmed = nil }
            return handshakes.unconfirmed
        }
        guard let unconfirmed = taken else { return }
        opener.promote(from: .pending(address), to: .pair(address))
        let ended = endInitiation(address)
        checkIdentity(unconfirmed.agreement.clientID, unconfirmed.agreement.identity, address: address)
        establish(
            PeerSecurityState.PairSession(
                agreement: unconfirmed.agreement, establishedAt: unconfirmed.createdAt, lastOpenedAt: now,
                lastResponseAt: unconfirmed.respondedAt, rtt: rtt ?? now.milliseconds(since: unconfirmed.respondedAt),
                peerSpoke: rtt == nil),
            at: address)
        flush(ended, to: address, now: now)
    }

    func dropUnconfirmed(_ address: RoomAddress) {
        let dropped = peers.modifyHandshakes(at: address) { handshakes -> Bool in
            defer { handshakes.unconfirmed = nil }
            return handshakes.unconfirmed != nil
        }
        if dropped { opener.remove(sender: .pending(address)) }
    }
}
