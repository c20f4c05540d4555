/// Which way a datagram crossed the interface it was captured at, as the Linux "cooked" capture
/// header (`LINKTYPE_LINUX_SLL2`) says it: Wireshark shows it as `sll.pkttype`.
public enum CaptureDirection: UInt8, Sendable {
    /// Arrived, addressed to this host (`PACKET_HOST`).
    case received = 0
    /// Arrived, sent to a broadcast address (`PACKET_BROADCAST`).
    case receivedBroadcast = 1
    /// Sent by this host (`PACKET_OUTGOING`).
    case sent = 4
}
