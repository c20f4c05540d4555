import SeededRandom

/// Which members a room node asks for the text history it lacks, and when.
///
/// A node fetches history when it joins an existing room, when members enter its view (another
/// room of the same id merging, or a member it had dropped) and when it learns that the room had
/// declared it dead: in each case texts were sent that were never owed to it live.
///
/// - A member already queued or under way is not queued again, nor one asked within `cooldown`
///   (the span of one exchange with its retries): the answer it is giving or just gave holds
///   what a second request would ask for.
/// - At most `maxUnderWay` fetches are under way; the others wait their turn in the order they
///   were queued. Each request names what the node holds, so a request sent after earlier answers
///   arrived is small to answer: a merge of large rooms costs one full answer per few members,
///   not one per pair.
/// - A request is repeated every `retryInterval`, `attempts` times at most, until every chunk of
///   one answer arrived (chunks may be lost; the chunk count tells when the answer is complete).
/// - A joiner's retries may ask another member of its view: the first may have failed.
///
/// Pure: the node supplies its view and its random generator and sends the requests this returns.
struct HistoryTransfer {
    private struct Fetch {
        var target: String
        var attemptsLeft: Int
        /// When to send the next request (the first one waits its turn if `maxUnderWay` fetches
        /// are under way).
        var nextAt: Instant
        var anyMemberOnRetry: Bool
        /// The chunk count of the answer being collected and the chunks of it that arrived.
        var chunkCount: UInt8?
        var chunks: Set<UInt8> = []
    }

    static let maxUnderWay = 4

    let attempts: Int
    let retryInterval: Double
    let cooldown: Double
    /// In the order they were queued.
    private var fetches: [Fetch] = []

    init(attempts: Int, retryInterval: Double, cooldown: Double) {
        self.attempts = attempts
        self.retryInterval = retryInterval
        self.cooldown = cooldown
    }

    var isEmpty: Bool { fetches.isEmpty }

    /// Queues a fetch from member `id`, requested from `at` on. `lastAsked`: when the node last
    /// sent `id` a request. Returns whether it was queued.
    mutating func enqueue(from id: String, anyMemberOnRetry: Bool, at: Instant, lastAsked: Instant?, now: Instant) -> Bool {
        guard !fetches.contains(where: { $0.target == id }) else { return false }
        if let lastAsked, now.milliseconds(since: lastAsked) < cooldown { return false }
        fetches.append(Fetch(target: id, attemptsLeft: attempts, nextAt: at, anyMemberOnRetry: anyMemberOnRetry))
        return true
    }

    /// Chunk `chunk` of `count` of an answer from `sender` arrived. Returns true when it
    /// completed the answer: the fetch is done, and a queued one may start.
    mutating func receiveChunk(_ chunk: UInt8, of count: UInt8, from sender: String) -> Bool {
        guard let i = fetches.firstIndex(where: { $0.target == sender }) else { return false }
        if fetches[i].chunkCount != count {
            fetches[i].chunkCount = count
            fetches[i].chunks = []
        }
        fetches[i].chunks.insert(chunk)
        guard fetches[i].chunks.count == Int(count) else { return false }
        fetches.remove(at: i)
        return true
    }

    /// The members to send a history request now, in order. Drops fetches whose attempts are
    /// spent or whose member left the view.
    ///
    /// - Parameters:
    ///   - members: the other members of the node's view, for a joiner's retry to pick from.
    ///   - isInView: whether a member is in the node's view.
    mutating func dueRequests(
        now: Instant, members: () -> [String], isInView: (String) -> Bool, rng: inout SplitMix64
    ) -> [String] {
        let queued = fetches
        var kept: [Fetch] = []
        var due: [String] = []
        var underWay = queued.filter { $0.attemptsLeft < attempts }.count
        for var f in queued {
            let started = f.attemptsLeft < attempts
            guard now >= f.nextAt, started || underWay < Self.maxUnderWay else {
                kept.append(f)
                continue
            }
            guard f.attemptsLeft > 0 else {
                underWay -= 1
                continue
            }
            if started, f.anyMemberOnRetry {
                let others = members()
                if !others.isEmpty {
                    let pick = others[Int(rng.next() % UInt64(others.count))]
                    if pick != f.target, !queued.contains(where: { $0.target == pick }) {
                        f.target = pick
                        f.chunkCount = nil
                        f.chunks = []
                    }
                }
            }
            guard isInView(f.target) else {
                if started { underWay -= 1 }
                continue
            }
            if !started { underWay += 1 }
            f.attemptsLeft -= 1
            f.nextAt = now.advanced(byMilliseconds: retryInterval)
            due.append(f.target)
            kept.append(f)
        }
        fetches = kept
        return due
    }
}
