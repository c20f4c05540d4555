import Crypto

/// Seals outgoing packets under one sender's traffic key: ChaCha20-Poly1305, the clear header
/// plus key id and counter as associated data, a nonce from a per-key counter.
///
/// A class, not a struct, on purpose: a copied counter would reuse a nonce, so there must be
/// exactly one owner of it. Not thread-safe (the engine is single-threaded per participant).
public final class PacketSealer: CustomStringConvertible {
    public private(set) var key: TrafficKey
    /// The counter the next packet gets under `key`.
    public private(set) var counter: UInt64 = 0
    public let rekeyAfterPackets: UInt64
    /// Packets sealed, over all generations.
    public private(set) var sealedPackets = 0

    public init(key: TrafficKey, rekeyAfterPackets: UInt64 = SealedFormat.defaultRekeyAfterPackets) {
        precondition(rekeyAfterPackets > 0, "rekeyAfterPackets must be positive")
        self.key = key
        self.rekeyAfterPackets = rekeyAfterPackets
    }

    public var description: String { "PacketSealer(\(key), counter: \(counter))" }

    /// Seals `body` behind `header`, which the caller has already marked sealed.
    public func seal(header: [UInt8], body: [UInt8]) throws(SecurityError) -> [UInt8] {
        if counter >= rekeyAfterPackets {
            guard let next = key.next() else { throw .counterExhausted }
            key = next
            counter = 0
        }
        let packetCounter = counter
        counter += 1
        var out = header
        out.reserveCapacity(header.count + SealedFormat.overhead + body.count)
        out.appendBigEndian(key.keyID)
        out.appendBigEndian(packetCounter)
        do {
            let nonce = try ChaChaPoly.Nonce(data: SealedFormat.nonceBytes(packetCounter))
            let box = try ChaChaPoly.seal(body, using: key.key, nonce: nonce, authenticating: out)
            // Through raw buffers: appending a `Data` element by element is far slower.
            box.ciphertext.withUnsafeBytes { out.append(contentsOf: $0) }
            box.tag.withUnsafeBytes { out.append(contentsOf: $0) }
        } catch {
            // Only reachable with a malformed nonce length, which is fixed above.
            throw .malformed("sealing failed")
        }
        sealedPackets += 1
        return out
    }
}
