/// Fits what loss protection asks for into what each listener's path carries
/// (`BandwidthEstimator`). Protection gives way first, then the primary's bitrate, then the
/// packet's duration:
/// 1. per listener, copies are dropped, deepest first, until the configured primary with them
///    fits that listener's estimate in one frame per packet; a listener that loses all its
///    copies gets in-band FEC instead (at the policy's planned loss, or 10 %), which costs no
///    bitrate on the wire;
/// 2. then the primary — one encoded stream for everyone — goes down to fit the tightest
///    listener, in whole kbit/s, not below Opus's 6 kbit/s;
/// 3. where that would leave the primary below `bundlingBitrate`, frames go out two or three to
///    a packet (40 or 60 ms) — the shortest packet that leaves the primary that much, else the
///    longest, with `bundlingHysteresis` on the way back: each packet costs 70 bytes of IP, UDP, voice header and seal (28 kbit/s at 50
///    packets a second), which a narrow path would rather spend on speech, at the price of up
///    to two frames of delay.
public enum RateBudget {
    /// IPv4 and UDP headers, on every datagram.
    public static let ipUDPHeaderBytes = 28
    /// The lowest primary bitrate (Opus's floor).
    public static let minimumBitrate = 6_000
    /// The primary bitrate below which a longer packet is worth its delay. Measured (ViSQOL,
    /// c.wav + d.wav on a clean LAN): 32 kbit/s 4.41, 24 kbit/s 4.39, 20 kbit/s 4.38, 16 kbit/s
    /// 4.33, 12 kbit/s 4.27, 10 kbit/s 4.08, 8 kbit/s 2.50. A second frame per packet frees
    /// 14 kbit/s of headers for the codec (sealed, 50 → 25 packets a second) and costs 20 ms,
    /// which the E-model prices at about 0.5 R, 0.02 MOS, below 177 ms mouth-to-ear: below
    /// 24 kbit/s the codec gains more than that, above it less.
    public static let bundlingBitrate = 24_000
    /// How far above `bundlingBitrate` shorter packets must leave the primary before a talker
    /// sending longer ones goes back: an estimate that wobbles around the boundary would
    /// otherwise move the listener's delay by a frame every few seconds.
    public static let bundlingHysteresis = 4_000
    /// The most frames a packet carries when fitting (60 ms of 20 ms frames).
    public static let maximumFramesPerPacket = 3

    /// Bytes a voice packet costs beside its Opus frames: IP and UDP, the voice header, the seal,
    /// and 4 per block (each copied frame, each of the packet's own frames but the primary).
    public static func overheadBytes(copies: Int, framesPerPacket: Int = 1, sealed: Bool) -> Int {
        ipUDPHeaderBytes + VoicePacket.headerLength + (sealed ? SealedFormat.overhead : 0)
            + 4 * (copies * framesPerPacket + framesPerPacket - 1)
    }

    /// Bit/s on the wire of a stream at `primary` bit/s with `copies` copies at `copyBitrate`,
    /// `framesPerSecond` frames sent `framesPerPacket` to a packet.
    public static func wireBitsPerSecond(
        primary: Int, copies: Int, copyBitrate: Int, framesPerSecond: Double, framesPerPacket: Int = 1, sealed: Bool
    ) -> Double {
        Double(primary + copies * min(copyBitrate, primary))
            + framesPerSecond / Double(framesPerPacket) * 8
            * Double(overheadBytes(copies: copies, framesPerPacket: framesPerPacket, sealed: sealed))
    }

    /// `wanted`, fitted into `estimates` (bit/s on the wire per listener; listeners without one
    /// are unconstrained). `frameMilliseconds` names the packet's duration in the result;
    /// `currentFramesPerPacket` is what the talker sends now (see `bundlingHysteresis`).
    public static func fit(
        _ wanted: ProtectionPolicy.Setting, estimates: [PeerID: Double], primary: Int, copyBitrate: Int,
        frameMilliseconds: Int, sealed: Bool, currentFramesPerPacket: Int = 1
    ) -> ProtectionPolicy.Setting {
        guard !estimates.isEmpty, frameMilliseconds > 0 else { return wanted }
        let framesPerSecond = 1000 / Double(frameMilliseconds)
        var fitted = wanted
        var copiesKept: [PeerID: Int] = [:]
        for (listener, estimate) in estimates {
            var copies = wanted.copies[listener] ?? 0
            while copies > 0,
                wireBitsPerSecond(
                    primary: primary, copies: copies, copyBitrate: copyBitrate, framesPerSecond: framesPerSecond,
                    sealed: sealed) > estimate
            {
                copies -= 1
            }
            if copies == 0, (wanted.copies[listener] ?? 0) > 0 {
                fitted.copies[listener] = nil
                fitted.fecPercent = max(fitted.fecPercent ?? 0, ProtectionPolicy.provisionalFECPercent)
            } else if copies > 0 {
                fitted.copies[listener] = copies
            }
            copiesKept[listener] = copies
        }
        /// The primary the tightest listener leaves with `frames` frames a packet.
        func primaryLeft(framesPerPacket frames: Int) -> Int {
            var lowest = primary
            for (listener, estimate) in estimates {
                let copies = copiesKept[listener] ?? 0
                let spare = estimate
                    - wireBitsPerSecond(
                        primary: 0, copies: copies, copyBitrate: copyBitrate, framesPerSecond: framesPerSecond,
                        framesPerPacket: frames, sealed: sealed)
                    - Double(copies * min(copyBitrate, primary))
                if spare < Double(primary) { lowest = min(lowest, max(minimumBitrate, Int(spare / 1000) * 1000)) }
            }
            return lowest
        }
        var frames = 1
        var bitrate = primaryLeft(framesPerPacket: 1)
        while frames < maximumFramesPerPacket {
            let enough = bundlingBitrate + (frames < currentFramesPerPacket ? bundlingHysteresis : 0)
            guard bitrate < min(primary, enough) else { break }
            frames += 1
            bitrate = primaryLeft(framesPerPacket: frames)
        }
        fitted.bitrate = bitrate < primary ? bitrate : nil
        fitted.packetMilliseconds = frames > 1 ? frames * frameMilliseconds : nil
        return fitted
    }

    /// Bit/s as whole kbit/s, for descriptions.
    public static func kilobits(_ bitsPerSecond: Int) -> Int { (bitsPerSecond + 500) / 1000 }
}
