// Memory for the scorer's large buffers. A minute of speech at 16 kHz is 8 MB per signal in Double,
// and a score touches about a hundred megabytes of fresh memory: one page fault per 4 kB page cost
// about a tenth of the scorer's time. On Linux, blocks of 2 MB and more are offered as huge pages
// (one fault per 2 MB) before they are first written.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

enum LargeMemory {
    static let hugePage = 1 << 21

    /// Uninitialised memory for `count` values, freed with `free`.
    static func allocate<Scalar>(_ count: Int, of _: Scalar.Type) -> UnsafeMutablePointer<Scalar> {
        let bytes = max(count, 1) * MemoryLayout<Scalar>.stride
        var raw: UnsafeMutableRawPointer?
        #if os(Linux)
        if bytes >= hugePage {
            let rounded = (bytes + hugePage - 1) / hugePage * hugePage
            raw = aligned_alloc(hugePage, rounded)
            if let raw { _ = madvise(raw, rounded, MADV_HUGEPAGE) }
        }
        #endif
        if raw == nil { raw = malloc(bytes) }
        guard let raw else { fatalError("out of memory: \(bytes) bytes for the speech-quality scorer") }
        return raw.bindMemory(to: Scalar.self, capacity: max(count, 1))
    }

    static func free<Scalar>(_ pointer: UnsafeMutablePointer<Scalar>) {
        #if canImport(Glibc)
        Glibc.free(pointer)
        #else
        Darwin.free(pointer)
        #endif
    }

    /// Offers the whole 2 MB pages inside `bytes` bytes from `base` as huge pages (Linux only).
    static func adviseHugePages(_ base: UnsafeMutableRawPointer, bytes: Int) {
        #if os(Linux)
        let start = (Int(bitPattern: base) + hugePage - 1) / hugePage * hugePage
        let end = (Int(bitPattern: base) + bytes) / hugePage * hugePage
        if end > start, let aligned = UnsafeMutableRawPointer(bitPattern: start) {
            _ = madvise(aligned, end - start, MADV_HUGEPAGE)
        }
        #endif
    }
}

extension Array {
    /// `count` elements, every one written by `initialize` before the array is used (elements of a
    /// trivial type only); a large array's pages are offered as huge pages before they are touched.
    init(largeCount count: Int, initializingWith initialize: (UnsafeMutableBufferPointer<Element>) -> Void) {
        self.init(unsafeUninitializedCapacity: count) { buffer, initialized in
            if let base = buffer.baseAddress {
                LargeMemory.adviseHugePages(UnsafeMutableRawPointer(base), bytes: count * MemoryLayout<Element>.stride)
            }
            initialize(buffer)
            initialized = count
        }
    }
}
