/// How long the stream's lost frames had to be waited for before they could be rebuilt: for each
/// frame whose packet never came but whose copy (or in-band FEC) did, in a later packet, the lag
/// of that packet in frames — what a jitter buffer weighs when deciding how many frames of delay
/// its recovery floor is worth.
///
/// Measured, not modelled: whatever the sender's protection (FEC of the previous frame, copies
/// of the last few, copies spread in time) and whatever the loss pattern, a lost frame counts at
/// the smallest lag at which a packet carrying it arrived. A frame no packet carried is not
/// counted: no wait would rebuild it. A frame's own packet arriving after its copy (reordering)
/// takes the count back.
///
/// Rates per packet are the larger of an exponentially weighted average over about the last
/// thousand packets (20 s of 20 ms frames) and the count over the whole stream (over at least a
/// thousand packets). The recent average alone forgets a rare loss before the next one comes: at
/// 0.1 % random loss it spends most of the time below the long-run rate and each loss would find
/// no recovery floor. The long-run rate alone would be slow to see loss begin on a path that had
/// none.
struct RecoveryLags {
    static let forgetFactor = 0.999
    /// Lags counted, frames: as deep as a voice packet's redundancy goes.
    static let maximumLag = VoicePacket.maxRedundantBlocks
    /// Per wait w (index w − 1): frames rebuilt only with a lag of w or more.
    private var recent = [Double](repeating: 0, count: maximumLag)
    private var counted = [Int64](repeating: 0, count: maximumLag)
    private var packets: Int64 = 0
    /// Recent packets by sequence number modulo the ring: which arrived, and which were counted
    /// lost (at which lag). Within a talk-spurt a packet's copies are of the packets just before
    /// it, frame for frame, so a copy `lag` frames back is of packet `sequence − lag`.
    private var arrived = [Int64](repeating: .min, count: ringSize)
    private var credited = [(frame: Int64, lag: Int)](repeating: (.min, 0), count: ringSize)
    private static let ringSize = 1_024
    /// The first packet heard: nothing before it counts as lost.
    private var first: Int64?

    /// The share of packets whose frame was lost and could only be rebuilt after waiting at least
    /// `frames` frames (0 beyond `maximumLag`, 1 below 1).
    func needingWait(_ frames: Int) -> Double {
        guard (1...Self.maximumLag).contains(frames) else { return frames < 1 ? 1 : 0 }
        let k = frames - 1
        return max(recent[k], Double(counted[k]) / max(Double(packets), 1 / (1 - Self.forgetFactor)))
    }

    /// One packet arrived: its (unwrapped) sequence number and the lags, in frames, of the
    /// earlier frames it can rebuild (its copies' offsets; 1 for in-band FEC).
    mutating func observe(sequence frame: Int64, carrying lags: [Int]) {
        let f = Self.forgetFactor
        packets += 1
        if first == nil { first = frame }
        for k in recent.indices { recent[k] *= f }
        let slot = Self.slot(frame)
        if credited[slot].frame == frame {
            // Its copy came first and counted it lost: it was only late.
            for k in 0..<credited[slot].lag {
                counted[k] -= 1
                recent[k] = max(0, recent[k] - (1 - f))
            }
            credited[slot] = (.min, 0)
        }
        arrived[slot] = frame
        for lag in lags.sorted() where (1...Self.maximumLag).contains(lag) {
            let lost = frame - Int64(lag)
            let s = Self.slot(lost)
            guard lost >= first ?? frame, arrived[s] != lost, credited[s].frame != lost else { continue }
            credited[s] = (lost, lag)
            for k in 0..<lag {
                counted[k] += 1
                recent[k] += 1 - f
            }
        }
    }

    private static func slot(_ frame: Int64) -> Int { Int(truncatingIfNeeded: frame) & (ringSize - 1) }
}
