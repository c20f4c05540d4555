import Testing
@testable import Concord

@Suite struct ReplayWindowTests {
    @Test func acceptsOnceRejectsDuplicates() {
        var window = ReplayWindow(size: 64)
        #expect(window.accept(0) == .fresh)
        #expect(window.accept(0) == .replayed)
        #expect(window.accept(5) == .fresh)
        #expect(window.accept(3) == .fresh)
        #expect(window.accept(3) == .replayed)
        #expect(window.highest == 5)
    }

    @Test func checkDoesNotRecord() {
        var window = ReplayWindow(size: 64)
        #expect(window.check(10) == .fresh)
        #expect(window.check(10) == .fresh)
        window.accept(10)
        #expect(window.check(10) == .replayed)
    }

    @Test func edgeOfTheWindow() {
        var window = ReplayWindow(size: 128)
        window.accept(1_000)
        #expect(window.check(1_000 - 127) == .fresh)
        #expect(window.check(1_000 - 128) == .tooOld)
        window.accept(1_000 - 127)
        #expect(window.check(1_000 - 127) == .replayed)
        // A big jump forgets everything behind.
        window.accept(1_000_000)
        #expect(window.check(1_000) == .tooOld)
        #expect(window.check(999_999) == .fresh)
    }

    /// Against a reference model (a set of accepted counters) over random reorderings.
    @Test func matchesAReferenceModel() {
        var rng = SeededGenerator(seed: 7)
        for size in [64, 128, 1024, 2048] {
            var window = ReplayWindow(size: size)
            var accepted = Set<UInt64>()
            var highest: UInt64 = 0
            var base: UInt64 = 0
            for _ in 0..<20_000 {
                base += UInt64.random(in: 0...3, using: &rng)
                let counter = base &+ UInt64.random(in: 0...UInt64(size + 200), using: &rng) &- UInt64(size / 2)
                let expected: ReplayWindow.Verdict
                if accepted.isEmpty || counter > highest { expected = .fresh }
                else if highest - counter >= UInt64(size) { expected = .tooOld }
                else { expected = accepted.contains(counter) ? .replayed : .fresh }
                #expect(window.accept(counter) == expected)
                if expected == .fresh {
                    accepted.insert(counter)
                    highest = max(highest, counter)
                }
            }
        }
    }
}
