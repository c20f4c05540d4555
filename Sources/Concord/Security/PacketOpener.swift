import Crypto

/// Opens sealed packets from many senders: finds the sender's key by key id, checks its replay
/// window, authenticates and decrypts, and only then records the counter. Total: any bytes give
/// the plaintext or a `SecurityError`, and every outcome is counted in `counters`.
///
/// Generic over how senders are named (`SecureTransport` names them by channel: a pair
/// session's address, a responder's unconfirmed keys, a bootstrap sender's salt).
/// Per sender it keeps the current key, the previous one (packets still in flight across a
/// rekey or a new handshake) and derives the next generation on demand — at most one step, so
/// an attacker cannot make it ratchet far ahead, and once per generation (kept until used), so
/// forged packets claiming it cannot make it derive keys over and over.
public final class PacketOpener<Sender: Hashable>: CustomStringConvertible {
    struct KeyState {
        var key: TrafficKey
        var window: ReplayWindow
    }

    enum Which { case current, previous, next }

    struct Slot {
        var current: KeyState
        var previous: KeyState?
        /// The current key's next generation, once a packet claimed it: derived at most once per
        /// generation, so forgeries claiming it cost a tag check, never a derivation each.
        var next: TrafficKey?
    }

    private var slots: [Sender: Slot] = [:]
    /// Room tags this opener accepts; a packet with another tag is `wrongRoom`.
    public private(set) var roomTags: Set<UInt16> = []
    public private(set) var counters = SecurityCounters()
    /// Next-generation keys derived so far (each at most once per sender and generation).
    public private(set) var nextKeysDerived = 0
    public let windowSize: Int

    public init(windowSize: Int = ReplayWindow.defaultSize) {
        self.windowSize = windowSize
    }

    public var description: String { "PacketOpener(senders: \(slots.count), counters: \(counters))" }

    /// Installs `key` as `sender`'s current key; its former key stays as the previous one.
    public func install(_ key: TrafficKey, for sender: Sender) {
        roomTags.insert(key.roomTag)
        let state = KeyState(key: key, window: ReplayWindow(size: windowSize))
        if var slot = slots[sender] {
            slot.previous = slot.current
            slot.current = state
            slot.next = nil
            slots[sender] = slot
        } else {
            slots[sender] = Slot(current: state, previous: nil)
        }
    }

    public func remove(sender: Sender) { slots[sender] = nil }

    /// True if `sender` has a key installed.
    public func hasKey(for sender: Sender) -> Bool { slots[sender] != nil }

    /// Moves `from`'s current key (with its replay window) to be `to`'s current key; `to`'s
    /// former current key stays as its previous one. For a pair session confirmed by its first
    /// packet: the window moves along, so that packet cannot be replayed once more.
    func promote(from: Sender, to: Sender) {
        guard let moved = slots.removeValue(forKey: from)?.current else { return }
        if var slot = slots[to] {
            slot.previous = slot.current
            slot.current = moved
            slot.next = nil
            slots[to] = slot
        } else {
            slots[to] = Slot(current: moved, previous: nil)
        }
    }

    /// Counts one outcome of `openUncounted`.
    func record(_ error: SecurityError?) {
        if let error { counters.count(error) } else { counters.opened += 1 }
    }

    /// Opens a sealed datagram whose clear header is `headerLength` bytes; returns the header
    /// (as received, sealed flag still set) and the decrypted body.
    public func open(_ bytes: [UInt8], headerLength: Int, sender: Sender) throws(SecurityError) -> (header: [UInt8], body: [UInt8]) {
        do {
            let result = try openUncounted(bytes, headerLength: headerLength, sender: sender)
            counters.opened += 1
            return result
        } catch {
            counters.count(error)
            throw error
        }
    }

    /// `open` without counting: for callers that try several senders and count the outcome once.
    func openUncounted(_ bytes: [UInt8], headerLength: Int, sender: Sender) throws(SecurityError) -> (header: [UInt8], body: [UInt8]) {
        guard headerLength >= 0, bytes.count >= headerLength + SealedFormat.overhead else {
            throw .malformed("shorter than header and seal")
        }
        var reader = ByteReader(bytes, offset: headerLength)
        let keyID: UInt32
        let counter: UInt64
        do {
            keyID = try reader.readUInt32("key id")
            counter = UInt64(try reader.readUInt32("counter high")) << 32 | UInt64(try reader.readUInt32("counter low"))
        } catch {
            throw .malformed("\(error)")
        }
        let roomTag = UInt16(truncatingIfNeeded: keyID >> 16)
        let generation = UInt16(truncatingIfNeeded: keyID)
        guard roomTags.contains(roomTag) else { throw .wrongRoom }
        // Keys are read out of the slot, but windows are checked and recorded in place in
        // `slots`: a local copy of the slot would make every accepted packet copy its window.
        guard let currentKey = slots[sender]?.current.key else { throw .unknownKey }
        let previousKey = slots[sender]?.previous?.key

        let sealedStart = headerLength + SealedFormat.keyIDLength + SealedFormat.counterLength
        let aad = bytes[0..<sealedStart]
        let ciphertext = bytes[sealedStart..<(bytes.count - SealedFormat.tagLength)]
        let tag = bytes[(bytes.count - SealedFormat.tagLength)...]

        // Candidates in order: current, previous, the next generation (derived, not yet stored).
        var candidates: (Which, TrafficKey)? = nil
        var second: (Which, TrafficKey)? = nil
        if currentKey.keyID == keyID { candidates = (.current, currentKey) }
        if let previousKey, previousKey.keyID == keyID {
            if candidates == nil { candidates = (.previous, previousKey) } else { second = (.previous, previousKey) }
        }
        if candidates == nil, currentKey.roomTag == roomTag, generation == currentKey.generation &+ 1,
            let next = slots[sender]?.next ?? derivedNext(currentKey)
        {
            slots[sender]?.next = next
            candidates = (.next, next)
        }
        guard let first = candidates else { throw .unknownKey }

        // The window is checked before decryption (cheap), but recorded only after it: a
        // forgery cannot move it. A packet is `replayed`/`tooOld` only if no candidate key
        // could have taken it as fresh; if one could and it failed authentication, `forged`.
        var windowVerdict: ReplayWindow.Verdict?
        var triedFresh = false
        for (which, key) in [first, second].compactMap({ $0 }) {
            let verdict: ReplayWindow.Verdict
            switch which {
            case .current: verdict = slots[sender]?.current.window.check(counter) ?? .fresh
            case .previous: verdict = slots[sender]?.previous?.window.check(counter) ?? .fresh
            case .next: verdict = .fresh
            }
            guard verdict == .fresh else {
                if windowVerdict != .replayed { windowVerdict = verdict }
                continue
            }
            triedFresh = true
            guard let body = Self.decrypt(ciphertext, tag: tag, counter: counter, aad: aad, key: key) else { continue }
            switch which {
            case .current: slots[sender]?.current.window.accept(counter)
            case .previous: slots[sender]?.previous?.window.accept(counter)
            case .next:
                var state = KeyState(key: key, window: ReplayWindow(size: windowSize))
                state.window.accept(counter)
                let former = slots[sender]?.current
                slots[sender]?.previous = former
                slots[sender]?.current = state
                slots[sender]?.next = nil
            }
            return (Array(bytes[0..<headerLength]), body)
        }
        if !triedFresh, let windowVerdict { throw windowVerdict == .replayed ? .replayed : .tooOld }
        throw .forged
    }

    private func derivedNext(_ key: TrafficKey) -> TrafficKey? {
        nextKeysDerived += 1
        return key.next()
    }

    private static func decrypt(
        _ ciphertext: ArraySlice<UInt8>, tag: ArraySlice<UInt8>, counter: UInt64, aad: ArraySlice<UInt8>, key: TrafficKey
    ) -> [UInt8]? {
        guard let nonce = try? ChaChaPoly.Nonce(data: SealedFormat.nonceBytes(counter)),
            let box = try? ChaChaPoly.SealedBox(nonce: nonce, ciphertext: ciphertext, tag: tag),
            let plain = try? ChaChaPoly.open(box, using: key.key, authenticating: aad)
        else { return nil }
        return plain.withUnsafeBytes { Array($0) }
    }
}
