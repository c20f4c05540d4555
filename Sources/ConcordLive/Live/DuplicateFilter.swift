/// Remembers the last `capacity` datagrams of a kind (by a 64-bit hash of their bytes) to drop
/// exact copies before the engine opens them.
///
/// Why: with the subnet sweep on, a member whose network delivers broadcasts receives each
/// discover or announce twice — by broadcast and by its unicast copy — and on ZeroTier the
/// broadcast may come ~25 s after the copy. The security layer would open the second one, find
/// its nonce used, and count it as a *replay*, which the live view shows as an attack. An exact
/// copy of a datagram already accepted is the network's (or the sweep's) doing: counted as a
/// duplicate and dropped here, for the price of a hash. A replay with any byte changed still
/// reaches the security layer and is counted there.
struct DuplicateFilter {
    let capacity: Int
    private var ring: [UInt64]
    private var next = 0
    private var seen: Set<UInt64> = []
    private(set) var duplicates = 0

    init(capacity: Int = 512) {
        self.capacity = max(1, capacity)
        ring = []
        ring.reserveCapacity(self.capacity)
        seen.reserveCapacity(self.capacity)
    }

    /// True (and counted) when `bytes` equals one of the remembered datagrams; otherwise
    /// remembers it and returns false.
    mutating func isDuplicate(_ bytes: [UInt8]) -> Bool {
        let hash = Self.fnv1a(bytes)
        if seen.contains(hash) {
            duplicates += 1
            return true
        }
        if ring.count < capacity {
            ring.append(hash)
        } else {
            seen.remove(ring[next])
            ring[next] = hash
            next = (next + 1) % capacity
        }
        seen.insert(hash)
        return false
    }

    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}
