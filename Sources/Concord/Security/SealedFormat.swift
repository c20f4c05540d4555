/// The layout of every sealed datagram (voice, control, text):
///
/// ```
/// header (in clear, its sealed flag set)  — associated data
/// key id   UInt32 (room tag ‖ generation)  — associated data
/// counter  UInt64, +1 per packet per key   — associated data; the nonce is 0⁴ ‖ counter
/// ciphertext of the rest of the plain packet
/// Poly1305 tag (16 bytes)
/// ```
/// The counter is explicit (not derived from the 16-bit voice sequence number) so a receiver
/// never has to guess a rollover after a long loss, and so control and voice share one format.
public enum SealedFormat {
    public static let keyIDLength = 4
    public static let counterLength = 8
    public static let tagLength = 16
    /// Bytes a sealed packet carries beyond its plain form: 28.
    public static let overhead = keyIDLength + counterLength + tagLength
    /// A key is ratcheted to its next generation after this many packets (~22 min of 20 ms
    /// voice): the 64-bit counter never comes near wrapping, and an old generation's key can be
    /// forgotten early (forward secrecy within a session).
    public static let defaultRekeyAfterPackets: UInt64 = 1 << 16

    static func nonceBytes(_ counter: UInt64) -> [UInt8] {
        var nonce: [UInt8] = [0, 0, 0, 0]
        nonce.appendBigEndian(counter)
        return nonce
    }
}
