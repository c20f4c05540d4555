// A bounds-checked reader for the FlatBuffers binary format, just enough to walk a TensorFlow Lite
// model. Every read checks its offset, so a truncated or corrupted file is a thrown error, never a trap.

struct FlatBufferError: Error, CustomStringConvertible {
    let description: String
}

struct FlatBuffer {
    let bytes: [UInt8]

    func u8(_ at: Int) throws -> UInt8 {
        guard at >= 0, at < bytes.count else { throw FlatBufferError(description: "offset \(at) is outside the \(bytes.count)-byte model") }
        return bytes[at]
    }

    func u16(_ at: Int) throws -> UInt16 {
        UInt16(try u8(at)) | UInt16(try u8(at + 1)) << 8
    }

    func u32(_ at: Int) throws -> UInt32 {
        guard at >= 0, at + 4 <= bytes.count else { throw FlatBufferError(description: "offset \(at) is outside the \(bytes.count)-byte model") }
        return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
    }

    func i32(_ at: Int) throws -> Int32 { Int32(bitPattern: try u32(at)) }

    /// Follows an unsigned offset stored at `at` (offsets are relative to where they are stored).
    func deref(_ at: Int) throws -> Int { at + Int(try u32(at)) }

    func root() throws -> Table { Table(buffer: self, position: try deref(0)) }

    struct Table {
        let buffer: FlatBuffer
        let position: Int

        /// Absolute position of field `index`, or nil when the field is absent (its default applies).
        func field(_ index: Int) throws -> Int? {
            let vtable = position - Int(try buffer.i32(position))
            let vtableLength = Int(try buffer.u16(vtable))
            let slot = 4 + 2 * index
            guard slot + 2 <= vtableLength else { return nil }
            let offset = Int(try buffer.u16(vtable + slot))
            return offset == 0 ? nil : position + offset
        }

        func int32(_ index: Int, default value: Int32 = 0) throws -> Int32 {
            guard let at = try field(index) else { return value }
            return try buffer.i32(at)
        }

        func uint32(_ index: Int, default value: UInt32 = 0) throws -> UInt32 {
            guard let at = try field(index) else { return value }
            return try buffer.u32(at)
        }

        func int8(_ index: Int, default value: Int8 = 0) throws -> Int8 {
            guard let at = try field(index) else { return value }
            return Int8(bitPattern: try buffer.u8(at))
        }

        func bool(_ index: Int) throws -> Bool { try int8(index) != 0 }

        func table(_ index: Int) throws -> Table? {
            guard let at = try field(index) else { return nil }
            return Table(buffer: buffer, position: try buffer.deref(at))
        }

        /// (first element position, count) of a vector field; empty when absent.
        func vector(_ index: Int) throws -> (start: Int, count: Int) {
            guard let at = try field(index) else { return (0, 0) }
            let vectorPosition = try buffer.deref(at)
            let count = Int(try buffer.u32(vectorPosition))
            guard count <= buffer.bytes.count else { throw FlatBufferError(description: "vector of \(count) elements in a \(buffer.bytes.count)-byte model") }
            return (vectorPosition + 4, count)
        }

        func tables(_ index: Int) throws -> [Table] {
            let (start, count) = try vector(index)
            return try (0..<count).map { Table(buffer: buffer, position: try buffer.deref(start + 4 * $0)) }
        }

        func int32s(_ index: Int) throws -> [Int32] {
            let (start, count) = try vector(index)
            return try (0..<count).map { try buffer.i32(start + 4 * $0) }
        }

        func string(_ index: Int) throws -> String? {
            let (start, count) = try vector(index)
            guard try field(index) != nil else { return nil }
            guard start + count <= buffer.bytes.count else { throw FlatBufferError(description: "string past the end of the model") }
            return String(decoding: buffer.bytes[start..<(start + count)], as: UTF8.self)
        }

        func byteRange(_ index: Int) throws -> Range<Int> {
            let (start, count) = try vector(index)
            guard start + count <= buffer.bytes.count else { throw FlatBufferError(description: "byte vector past the end of the model") }
            return start..<(start + count)
        }
    }
}
