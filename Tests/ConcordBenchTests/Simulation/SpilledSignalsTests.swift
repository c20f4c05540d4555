import Foundation
import Testing
@testable import ConcordBench
import SeededRandom

/// The on-disk store of tracks and mixes reads back exactly what was written, wherever the
/// writes fall, and silence (never written) as zeros.
@Suite struct SpilledSignalsTests {
    @Test func readsBackWhatWasWrittenAndZerosElsewhere() throws {
        let length = 3 * SpilledSignals.chunkSamples + 123
        let store = try SpilledSignals(count: 3, length: length)
        var expected = [[Float]](repeating: [Float](repeating: 0, count: length), count: 3)
        var g = SplitMix64(seed: 3)
        // Frames of 960 from a phase, as the simulation writes them, crossing chunk boundaries,
        // the last one running past the end (cut); signal 2 gets nothing (silence).
        for k in 0..<2 {
            var position = 17 * (k + 1)
            while position < length {
                let frame = (0..<960).map { _ in Float(g.next() % 2001) / 1000 - 1 }
                store.write(frame, signal: k, at: position)
                for (i, x) in frame.enumerated() where position + i < length { expected[k][position + i] = x }
                position += 960
            }
        }
        // A write back into an earlier chunk (not what the simulation does) still lands.
        store.write([0.5, 0.25], signal: 0, at: 5)
        expected[0][5] = 0.5
        expected[0][6] = 0.25
        try store.finish()
        for k in 0..<3 { #expect(try store.read(k) == expected[k]) }
        #expect(SpilledSignals.bytes(count: 3, length: length) == 3 * length * 4)
    }

    @Test func unusableDirectoryIsAnError() {
        #expect(throws: SpilledSignals.WriteError.self) { try SpilledSignals(count: 1, length: 10, directory: "/nonexistent/dir") }
    }
}
