import ConcordLive
import Foundation
import Testing

@Suite struct SPSCFloatRingTests {
    @Test func capacityRoundsUpToAPowerOfTwo() {
        #expect(SPSCFloatRing(minimumCapacity: 0).capacity == 2)
        #expect(SPSCFloatRing(minimumCapacity: 480).capacity == 512)
        #expect(SPSCFloatRing(minimumCapacity: 512).capacity == 512)
        #expect(SPSCFloatRing(minimumCapacity: 15_360).capacity == 16_384)
    }

    @Test func writesWhatFitsAndReadsInOrderAcrossTheWrap() {
        let ring = SPSCFloatRing(minimumCapacity: 8)
        let first: [Float] = [1, 2, 3, 4, 5, 6]
        #expect(first.withUnsafeBufferPointer { ring.write($0) } == 6)
        var out = [Float](repeating: 0, count: 4)
        #expect(out.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 4)
        #expect(out == [1, 2, 3, 4])
        // 2 queued, 6 free: of 7 offered, 6 fit, wrapping past the end of the storage.
        let second: [Float] = [7, 8, 9, 10, 11, 12, 13]
        #expect(ring.freeForWriting == 6)
        #expect(second.withUnsafeBufferPointer { ring.write($0) } == 6)
        #expect(ring.count == 8)
        #expect(ring.freeForWriting == 0)
        #expect(second.withUnsafeBufferPointer { ring.write($0) } == 0)
        var all = [Float](repeating: 0, count: 10)
        #expect(all.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 8)
        #expect(Array(all.prefix(8)) == [5, 6, 7, 8, 9, 10, 11, 12])
        #expect(ring.availableForReading == 0)
        #expect(all.withUnsafeMutableBufferPointer { ring.read(into: $0) } == 0)
        #expect(second.withUnsafeBufferPointer { ring.write($0) } == 7)
        #expect(ring.discard(3) == 3)
        #expect(ring.availableForReading == 4)
    }

    /// A producer thread and a consumer thread move a million samples of a known sequence
    /// (over a hundred trips round the ring) in uneven chunks, as a device callback and the
    /// engine do; every sample must arrive once, in order.
    @Test func concurrentProducerAndConsumerKeepTheSequence() async {
        let total = 1_000_000
        let ring = SPSCFloatRing(minimumCapacity: 8192)
        // Integers below 2^24 are exact in Float.
        @Sendable func value(_ i: Int) -> Float { Float(i & 0xFF_FFFF) }

        let producer = Thread {
            var chunk = [Float](repeating: 0, count: 737)
            var next = 0
            var size = 1
            while next < total {
                size = size % 700 + 37  // 38, 75, … 736: varying chunk sizes
                let n = min(size, total - next)
                for k in 0..<n { chunk[k] = value(next + k) }
                var offset = 0
                while offset < n {
                    let written = chunk.withUnsafeBufferPointer {
                        ring.write(UnsafeBufferPointer(rebasing: $0[offset..<n]))
                    }
                    offset += written
                    if written == 0 { sched_yield() }
                }
                next += n
            }
        }
        let mismatches = await withCheckedContinuation { (continuation: CheckedContinuation<(Int, Int), Never>) in
            let consumer = Thread {
                var buffer = [Float](repeating: 0, count: 480)
                var expected = 0
                var wrong = 0
                var spins = 0
                while expected < total {
                    let got = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
                    if got == 0 {
                        spins += 1
                        sched_yield()
                        continue
                    }
                    for k in 0..<got where buffer[k] != value(expected + k) { wrong += 1 }
                    expected += got
                }
                continuation.resume(returning: (wrong, expected))
            }
            consumer.start()
            producer.start()
        }
        #expect(mismatches.0 == 0)
        #expect(mismatches.1 == total)
        #expect(ring.availableForReading == 0)
    }
}
