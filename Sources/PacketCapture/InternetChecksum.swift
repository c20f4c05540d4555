/// The RFC 1071 Internet checksum: the ones' complement of the ones' complement sum of 16-bit
/// big-endian words (an odd last byte padded with zero). IPv4 headers and UDP use it.
struct InternetChecksum {
    private var sum: UInt64 = 0
    /// Whether an odd number of bytes has been added (the next byte is a word's low half).
    private var odd = false

    mutating func add(_ bytes: UnsafeRawBufferPointer) {
        for byte in bytes { add(byte) }
    }

    mutating func add<Bytes: Sequence<UInt8>>(_ bytes: Bytes) {
        for byte in bytes { add(byte) }
    }

    @inline(__always)
    mutating func add(_ byte: UInt8) {
        sum &+= odd ? UInt64(byte) : UInt64(byte) << 8
        odd.toggle()
    }

    mutating func add(_ word: UInt16) {
        add(UInt8(truncatingIfNeeded: word >> 8))
        add(UInt8(truncatingIfNeeded: word))
    }

    mutating func add(_ word: UInt32) {
        add(UInt16(truncatingIfNeeded: word >> 16))
        add(UInt16(truncatingIfNeeded: word))
    }

    /// The checksum of everything added.
    var value: UInt16 {
        var folded = sum
        while folded >> 16 != 0 { folded = (folded & 0xFFFF) + (folded >> 16) }
        return ~UInt16(truncatingIfNeeded: folded)
    }
}
