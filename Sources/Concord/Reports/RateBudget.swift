/// Fits what loss protection asks for into what each listener's path carries
/// (`BandwidthEstimator`). Protection gives way first, then the primary's bitrate:
/// 1. per listener, copies are dropped, deepest first, until the configured primary with them
///    fits that listener's estimate; a listener that loses all its copies gets in-band FEC
///    instead (at the policy's planned loss, or 10 %), which costs no bitrate on the wire;
/// 2. then the primary — one encoded frame for everyone — goes down to fit the tightest
///    listener, in whole kbit/s, not below Opus's 6 kbit/s.
/// The frame duration stays as configured (see the README's "Congestion" section).
public enum RateBudget {
    /// IPv4 and UDP headers, on every datagram.
    public static let ipUDPHeaderBytes = 28
    /// The lowest primary bitrate (Opus's floor).
    public static let minimumBitrate = 6_000

    /// Bytes a voice packet costs beside its Opus frames: IP and UDP, the voice header, the seal,
    /// and 4 per copy block.
    public static func overheadBytes(copies: Int, sealed: Bool) -> Int {
        ipUDPHeaderBytes + VoicePacket.headerLength + (sealed ? SealedFormat.overhead : 0) + 4 * copies
    }

    /// Bit/s on the wire of a stream at `primary` bit/s with `copies` copies at `copyBitrate`.
    public static func wireBitsPerSecond(
        primary: Int, copies: Int, copyBitrate: Int, packetsPerSecond: Double, sealed: Bool
    ) -> Double {
        Double(primary + copies * min(copyBitrate, primary))
            + packetsPerSecond * 8 * Double(overheadBytes(copies: copies, sealed: sealed))
    }

    /// `wanted`, fitted into `estimates` (bit/s on the wire per listener; listeners without one
    /// are unconstrained).
    public static func fit(
        _ wanted: ProtectionPolicy.Setting, estimates: [PeerID: Double], primary: Int, copyBitrate: Int,
        packetsPerSecond: Double, sealed: Bool
    ) -> ProtectionPolicy.Setting {
        guard !estimates.isEmpty else { return wanted }
        var fitted = wanted
        var lowest = primary
        for (listener, estimate) in estimates {
            var copies = wanted.copies[listener] ?? 0
            func wire(_ bitrate: Int, _ copies: Int) -> Double {
                wireBitsPerSecond(
                    primary: bitrate, copies: copies, copyBitrate: copyBitrate, packetsPerSecond: packetsPerSecond,
                    sealed: sealed)
            }
            while copies > 0, wire(primary, copies) > estimate { copies -= 1 }
            if copies == 0, (wanted.copies[listener] ?? 0) > 0 {
                fitted.copies[listener] = nil
                fitted.fecPercent = max(fitted.fecPercent ?? 0, ProtectionPolicy.provisionalFECPercent)
            } else if copies > 0 {
                fitted.copies[listener] = copies
            }
            // What is left for the primary once the headers (and copies at their own rate) are paid.
            let spare = estimate - packetsPerSecond * 8 * Double(overheadBytes(copies: copies, sealed: sealed))
                - Double(copies * min(copyBitrate, primary))
            if spare < Double(primary) {
                lowest = min(lowest, max(minimumBitrate, Int(spare / 1000) * 1000))
            }
        }
        fitted.bitrate = lowest < primary ? lowest : nil
        return fitted
    }

    /// Bit/s as whole kbit/s, for descriptions.
    public static func kilobits(_ bitsPerSecond: Int) -> Int { (bitsPerSecond + 500) / 1000 }
}
