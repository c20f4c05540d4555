import Crypto
import Logging

/// Sealing and sending: pair datagrams, the handshake's own messages, and what waited for a session.
extension SecureTransport {
    func sendOrQueue(_ plain: [UInt8], to address: RoomAddress, now: Instant) {
        if let session = peers.session(at: address) {
            if let sealed = sealPair(plain, with: session.agreement.sealer) { effects.append(.send(bytes: sealed, to: address)) }
            return
        }
        if peers.handshakes(at: address).initiation == nil {
            initiate(address, credit: nil, now: now)
        } else {
            // The room itself sends there now: the address is no longer only a broadcast heard.
            peers.modifyHandshakes(at: address) { $0.initiation?.credit = nil }
        }
        dropStaleVoice(queuedFor: address, now: now)
        let queued = peers.modifyHandshakes(at: address) { handshakes -> Bool in
            guard let count = handshakes.initiation?.queued.count, count < settings.queueLimit else { return false }
            handshakes.initiation?.queued.append(QueuedDatagram(plain, at: now))
            return true
        }
        if !queued { statistics.queueDrops += 1 }
    }

    /// Drops the voice waiting for `address`'s handshake that is too old to play (so it
    /// neither fills the queue nor goes out once the session opens).
    private func dropStaleVoice(queuedFor address: RoomAddress, now: Instant) {
        let lifetime = settings.queuedVoiceLifetime
        let stale = peers.modifyHandshakes(at: address) { handshakes -> [QueuedDatagram] in
            guard let queued = handshakes.initiation?.queued,
                queued.contains(where: { $0.isStaleVoice(at: now, lifetime: lifetime) })
            else { return [] }
            var fresh: [QueuedDatagram] = []
            var stale: [QueuedDatagram] = []
            for datagram in queued {
                if datagram.isStaleVoice(at: now, lifetime: lifetime) { stale.append(datagram) } else { fresh.append(datagram) }
            }
            handshakes.initiation?.queued = fresh
            return stale
        }
        for datagram in stale { dropStale(datagram, for: address) }
    }

    private func dropStale(_ datagram: QueuedDatagram, for address: RoomAddress) {
        statistics.staleVoiceDrops += 1
        onStaleVoiceDropped?(datagram.plain, address)
    }

    /// Starts a handshake with `address`: `credit` nil when this node wants the session,
    /// else the bytes of the broadcast heard from it (an unverified address).
    func initiate(_ address: RoomAddress, credit: Int?, now: Instant) {
        let handshake = PairwiseHandshake(identity: signer, roomKey: roomKey, sender: Array(clientID.utf8))
        let offer = handshake.offer.serialize()
        let initiation = PeerSecurityState.Initiation(
            handshake: handshake, offer: offer, hash: Array(SHA256.hash(data: offer)),
            attemptsLeft: settings.handshakeAttempts - 1,
            nextSendAt: now.advanced(byMilliseconds: settings.handshakeRetryInterval), lastSentAt: now, credit: credit)
        peers.modifyHandshakes(at: address) { $0.initiation = initiation }
        statistics.handshakesStarted += 1
        sendInitiation(to: address, now: now)
    }

    /// Sends (again) the initiation in flight to `address`, if its credit allows.
    func sendInitiation(to address: RoomAddress, now: Instant) {
        guard let initiation = peers.handshakes(at: address).initiation, let sealed = sealBootstrap(.initiation, initiation.offer)
        else { return }
        if let credit = initiation.credit {
            guard credit >= sealed.count else {
                statistics.repliesWithheld += 1
                return
            }
            peers.modifyHandshakes(at: address) { $0.initiation?.credit = credit - sealed.count }
        }
        peers.modifyHandshakes(at: address) { $0.initiation?.lastSentAt = now }
        effects.append(.send(bytes: sealed, to: address))
    }

    /// Ends the handshake this node started with `address` and erases its ephemeral key;
    /// returns it with what waited for its session.
    @discardableResult
    func endInitiation(_ address: RoomAddress) -> PeerSecurityState.Initiation? {
        let ended = peers.modifyHandshakes(at: address) { handshakes -> PeerSecurityState.Initiation? in
            defer { handshakes.initiation = nil }
            return handshakes.initiation
        }
        ended?.handshake.erase()
        return ended
    }

    func respond(answering offer: [UInt8], with own: [UInt8], to address: RoomAddress) {
        if let sealed = sealBootstrap(.response, Array(SHA256.hash(data: offer)) + own) {
            effects.append(.send(bytes: sealed, to: address))
        }
    }

    func sendConfirm(to address: RoomAddress) {
        guard let session = peers.session(at: address),
            let sealed = seal(header: SecureWire.header(.confirm), body: [], with: session.agreement.sealer)
        else { return }
        effects.append(.send(bytes: sealed, to: address))
    }

    /// A session exists: send what waited for it (but voice too old to play) and deliver the
    /// broadcasts held for it.
    func flush(_ ended: PeerSecurityState.Initiation?, to address: RoomAddress, now: Instant) {
        guard let ended, let session = peers.session(at: address) else { return }
        for datagram in ended.queued {
            if datagram.isStaleVoice(at: now, lifetime: settings.queuedVoiceLifetime) {
                dropStale(datagram, for: address)
            } else if let sealed = sealPair(datagram.plain, with: session.agreement.sealer) {
                effects.append(.send(bytes: sealed, to: address))
            }
        }
        for plain in ended.held {
            delivered.append(
                Delivered(bytes: plain, from: address, clientID: session.agreement.clientID, identity: session.agreement.identity))
        }
    }

    func sealPair(_ plain: [UInt8], with sealer: PacketSealer) -> [UInt8]? {
        guard let headerLength = SecureWire.plainHeaderLength(plain) else {
            logger.error("refusing to seal a datagram of unknown layout")
            return nil
        }
        var header = Array(plain[0..<headerLength])
        header[2] |= 0x80
        return seal(header: header, body: Array(plain[headerLength...]), with: sealer)
    }

    func sealBootstrap(_ kind: SecureWire.Kind, _ body: [UInt8]) -> [UInt8]? {
        guard let padded = SecureWire.padded(body), var sealed = seal(header: SecureWire.header(kind) + salt, body: padded, with: bootstrapSealer)
        else { return nil }
        sealed.append(contentsOf: mac(sealed[...]))
        statistics.sealOverheadBytes += SecureWire.macLength
        return sealed
    }

    func seal(header: [UInt8], body: [UInt8], with sealer: PacketSealer) -> [UInt8]? {
        do {
            let sealed = try sealer.seal(header: header, body: body)
            statistics.sealedPackets += 1
            statistics.sealOverheadBytes += SealedFormat.overhead
            return sealed
        } catch {
            logger.error("sealing failed", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    func mac(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        var hmac = macTemplate
        hmac.update(data: bytes)
        return hmac.finalize().withUnsafeBytes { Array($0.prefix(SecureWire.macLength)) }
    }

    /// Constant-time comparison of the datagram's mac with the one it should carry.
    func macIsValid(_ bytes: [UInt8]) -> Bool {
        let end = bytes.count - SecureWire.macLength
        let expected = mac(bytes[0..<end])
        var difference: UInt8 = 0
        for i in 0..<SecureWire.macLength { difference |= expected[i] ^ bytes[end + i] }
        return difference == 0
    }
}
