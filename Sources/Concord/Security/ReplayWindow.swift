/// A sliding replay window over 64-bit packet counters (RFC 6479, as WireGuard and IPsec):
/// the highest counter seen plus a bitmap of the `size` counters below it.
///
/// A counter is accepted once; one above the highest slides the window; one inside it is
/// accepted if its bit is clear (legitimate reordering); one below it is rejected as too old,
/// because a replay could no longer be told apart. `check` does not change state and `accept`
/// is called only after the packet authenticated, so forgeries cannot move the window.
public struct ReplayWindow: Sendable, Equatable {
    public enum Verdict: Sendable, Equatable {
        case fresh
        case replayed
        case tooOld
    }

    /// 2048 counters: 41 s of 20 ms voice, far beyond any jitter buffer's reach.
    public static let defaultSize = 2048

    public let size: Int
    private var words: [UInt64]
    /// Highest accepted counter; nil before the first.
    public private(set) var highest: UInt64?

    /// `size` is rounded up to a multiple of 64.
    public init(size: Int = ReplayWindow.defaultSize) {
        let wordCount = max(1, (size + 63) / 64)
        // One extra word so sliding can clear whole words without losing live bits (RFC 6479).
        self.words = [UInt64](repeating: 0, count: wordCount + 1)
        self.size = wordCount * 64
    }

    public func check(_ counter: UInt64) -> Verdict {
        guard let highest else { return .fresh }
        if counter > highest { return .fresh }
        if highest - counter >= UInt64(size) { return .tooOld }
        let (word, bit) = position(counter)
        return words[word] & (1 << bit) != 0 ? .replayed : .fresh
    }

    /// Records `counter`; returns the verdict `check` would have given (and records nothing
    /// unless it was fresh).
    @discardableResult
    public mutating func accept(_ counter: UInt64) -> Verdict {
        let verdict = check(counter)
        guard verdict == .fresh else { return verdict }
        if let highest, counter > highest {
            let currentWord = Int(truncatingIfNeeded: highest >> 6)
            let newWord = Int(truncatingIfNeeded: counter >> 6)
            let steps = Swift.min(newWord &- currentWord, words.count)
            if steps > 0 {
                for i in 1...steps { words[(currentWord &+ i) % words.count] = 0 }
            }
            self.highest = counter
        } else if highest == nil {
            self.highest = counter
        }
        let (word, bit) = position(counter)
        words[word] |= 1 << bit
        return .fresh
    }

    private func position(_ counter: UInt64) -> (Int, UInt64) {
        (Int((counter >> 6) % UInt64(words.count)), counter & 63)
    }
}
