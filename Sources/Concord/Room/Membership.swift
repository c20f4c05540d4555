/// A member's state as the room agrees on it. The raw values are the merge rank (higher wins at
/// the same incarnation) and the wire encoding.
public enum MemberStatus: UInt8, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Heard from recently enough.
    case alive = 0
    /// Someone stopped hearing it; only the member itself can clear this, by raising its incarnation.
    case suspect = 1
    /// Declared failed: a tombstone.
    case dead = 2
    /// Left gracefully: a tombstone. Ranks above `dead` so a graceful leave is what everyone reports.
    case left = 3

    /// Alive and suspect members are in the view; dead and left ones are tombstones.
    public var isInView: Bool { self == .alive || self == .suspect }

    public static func < (a: MemberStatus, b: MemberStatus) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .alive: return "alive"
        case .suspect: return "suspect"
        case .dead: return "dead"
        case .left: return "left"
        }
    }
}

/// One member's entry in the member list: the element of the membership lattice.
///
/// Only the member itself ever creates a record with a new incarnation or a higher heartbeat;
/// anyone may *degrade* a record (alive → suspect → dead) at the same incarnation. The member
/// refutes a degradation by raising its incarnation, which beats every state of the old one —
/// the SWIM rule. Display name and address belong to an incarnation: to change them, a member
/// raises its incarnation.
public struct MemberRecord: Hashable, Sendable, CustomStringConvertible {
    public var clientID: String
    public var incarnation: UInt32
    /// Counts the member's own heartbeats within its lifetime; orders records of one incarnation
    /// and state so the freshest wins.
    public var heartbeat: UInt32
    public var status: MemberStatus
    public var displayName: String
    public var address: RoomAddress

    public init(
        clientID: String, incarnation: UInt32, heartbeat: UInt32 = 0, status: MemberStatus = .alive,
        displayName: String, address: RoomAddress
    ) {
        self.clientID = clientID
        self.incarnation = incarnation
        self.heartbeat = heartbeat
        self.status = status
        self.displayName = displayName
        self.address = address
    }

    /// The merge order: a *total* order on records of one client, so `max` is a join
    /// (commutative, associative, idempotent) whatever order records arrive in.
    /// Incarnation first, then status rank, then heartbeat; the remaining fields only break ties
    /// between records no correct member would produce (same incarnation, different details).
    public static func mergeOrder(_ a: MemberRecord, _ b: MemberRecord) -> Bool {
        if a.incarnation != b.incarnation { return a.incarnation < b.incarnation }
        if a.status != b.status { return a.status < b.status }
        if a.heartbeat != b.heartbeat { return a.heartbeat < b.heartbeat }
        if a.address != b.address { return a.address < b.address }
        return Array(a.displayName.utf8).lexicographicallyPrecedes(Array(b.displayName.utf8))
    }

    /// The winner of two records of the same client.
    public static func merge(_ a: MemberRecord, _ b: MemberRecord) -> MemberRecord {
        mergeOrder(a, b) ? b : a
    }

    public var description: String {
        "\(clientID)#\(incarnation).\(heartbeat) \(status) @\(address)"
    }
}

/// The member list: one record per client id, merged entry by entry with `MemberRecord.merge`.
///
/// Because the merge of each entry is a join in a total order and entries are independent, the
/// merge of whole lists is commutative, associative and idempotent: nodes may exchange any
/// subsets of their lists, in any order, any number of times (loss, duplication, reordering,
/// chunking into several datagrams) and still end with the same list once they have seen the
/// same records. Tombstones (dead, left) stay until the owner of the list expires them, which
/// is a local decision made after every live node must have seen them (see `RoomSettings`).
struct Membership: Sendable, Equatable {
    private(set) var records: [String: MemberRecord] = [:]
    /// Bumped whenever something other than a heartbeat counter changes (a member added,
    /// removed, or changing incarnation, status, address or name): the view, the digest and the
    /// sorted order are recomputed only then, because heartbeats change records twice a second
    /// per member while structure changes are rare.
    private(set) var structureVersion: UInt64 = 0
    /// Client ids of every record, sorted by UTF-8 bytes.
    private(set) var sortedIDs: [String] = []
    /// Client ids of the members in the view (alive or suspect), sorted by UTF-8 bytes.
    private(set) var view: [String] = []
    /// A 64-bit FNV-1a digest of (client id, incarnation, status) of the records in the view.
    /// Heartbeats are excluded (they change every period and would make digests never match) and
    /// so are tombstones (each node forgets them at its own moment). Equal digests mean equal
    /// views, so a mismatch is a cheap signal to exchange full lists.
    private(set) var digest: UInt64 = Membership.digest(of: [])

    init() {}

    init(_ records: [MemberRecord]) {
        for r in records { merge(r) }
    }

    /// Lists are equal when their records are (the caches follow from the records).
    static func == (a: Membership, b: Membership) -> Bool { a.records == b.records }

    subscript(clientID: String) -> MemberRecord? { records[clientID] }

    var count: Int { records.count }

    /// What merging one record did.
    enum Outcome: Equatable, Sendable {
        case unchanged
        case inserted
        case replaced(old: MemberRecord)
    }

    /// Merges one record; returns whether the list changed.
    @discardableResult
    mutating func merge(_ record: MemberRecord) -> Outcome {
        guard let old = records[record.clientID] else {
            set(record)
            return .inserted
        }
        let winner = MemberRecord.merge(old, record)
        if winner == old { return .unchanged }
        set(winner)
        return .replaced(old: old)
    }

    mutating func merge(_ other: Membership) {
        for r in other.records.values { merge(r) }
    }

    func merged(with other: Membership) -> Membership {
        var copy = self
        copy.merge(other)
        return copy
    }

    /// Overwrites a record without merging: only for the owner's own record and for local
    /// degradations that are themselves merge-monotone (checked by the caller).
    mutating func set(_ record: MemberRecord) {
        let old = records.updateValue(record, forKey: record.clientID)
        if let old, old.incarnation == record.incarnation, old.status == record.status,
            old.address == record.address, old.displayName == record.displayName
        {
            return  // a heartbeat: structure unchanged
        }
        restructure()
    }

    /// Forgets a tombstone (expiry).
    mutating func remove(_ clientID: String) {
        if records.removeValue(forKey: clientID) != nil { restructure() }
    }

    /// All records sorted by client id: the canonical order for digests and gossip.
    var sortedRecords: [MemberRecord] { sortedIDs.map { records[$0]! } }

    private mutating func restructure() {
        structureVersion &+= 1
        sortedIDs = records.keys.sorted(by: utf8Less)
        let inView = sortedIDs.compactMap { records[$0] }.filter { $0.status.isInView }
        view = inView.map(\.clientID)
        digest = Self.digest(of: inView)
    }

    private static func digest(of inView: [MemberRecord]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            h ^= UInt64(byte)
            h &*= 0x0000_0100_0000_01B3
        }
        for r in inView {
            for b in r.clientID.utf8 { mix(b) }
            mix(0)
            for shift in stride(from: 24, through: 0, by: -8) { mix(UInt8(truncatingIfNeeded: r.incarnation >> UInt32(shift))) }
            mix(r.status.rawValue)
        }
        return h
    }
}

/// Byte-wise order of UTF-8 strings: the same on every platform and independent of Unicode
/// normalisation rules, which matters when every node must sort identically.
func utf8Less(_ a: String, _ b: String) -> Bool {
    a.utf8.lexicographicallyPrecedes(b.utf8)
}
