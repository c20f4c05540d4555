/// Extends a wrapping counter (RTP-style 16-bit sequence numbers, 32-bit timestamps) to a
/// monotonic Int64 by choosing, for each new value, the unwrapping nearest the last one seen.
public struct SequenceUnwrapper<Counter: FixedWidthInteger & UnsignedInteger>: Sendable {
    private var last: Int64?

    public init() {}

    public mutating func unwrap(_ value: Counter) -> Int64 {
        let v = Int64(value)
        guard let last else {
            self.last = v
            return v
        }
        let modulus = Int64(1) << Counter.bitWidth
        let lastLow = last & (modulus - 1)
        var delta = v - lastLow
        if delta > modulus / 2 { delta -= modulus } else if delta < -modulus / 2 { delta += modulus }
        let result = last + delta
        if result > last { self.last = result }
        return result
    }
}
