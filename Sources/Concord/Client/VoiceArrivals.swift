/// One voice stream's authentic arrivals against the span of sequence numbers seen: the loss a
/// listener sees.
///
/// The jitter buffer's statistics count packets received and discarded but not the packets that
/// never came (they keep no sequence span), so loss needs this.
public struct VoiceArrivals: Sendable {
    private var unwrapper = SequenceUnwrapper<UInt16>()
    private var first: Int64?
    private var highest: Int64 = 0
    public private(set) var received = 0

    public init() {}

    public mutating func note(_ sequence: UInt16) {
        let s = unwrapper.unwrap(sequence)
        if first == nil { first = s }
        highest = max(highest, s)
        received += 1
    }

    /// nil until a packet arrived: loss cannot be measured on a stream that delivered nothing.
    public var lossRatio: Double? {
        guard let first else { return nil }
        let expected = highest - first + 1
        return expected > 0 ? max(0, 1 - Double(received) / Double(expected)) : 0
    }
}
