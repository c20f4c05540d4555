import Dispatch

/// Runs `body(0..<count)` on up to `workers` threads and waits. Each index must touch state
/// no other index touches; the caller vouches for that (hence the unchecked box), which is how
/// one simulation decodes independent receivers on both cores and stays deterministic.
func parallelFor(_ count: Int, workers: Int, _ body: (Int) -> Void) {
    guard workers > 1, count > 1 else {
        for i in 0..<count { body(i) }
        return
    }
    withoutActuallyEscaping(body) { body in
        let box = UncheckedSendable(body)
        let chunks = min(workers, count)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var i = chunk
            while i < count {
                box.value(i)
                i += chunks
            }
        }
    }
}

/// A value the caller promises is used without data races.
struct UncheckedSendable<T>: @unchecked Sendable {
    var value: T
    init(_ value: T) { self.value = value }
}
