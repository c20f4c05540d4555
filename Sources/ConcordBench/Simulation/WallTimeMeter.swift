#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Synchronization

/// Sums wall time over the calls it is told about, on CLOCK_MONOTONIC (a vDSO read, ~20 ns).
///
/// For the security layer, whose calls are many (two per datagram) and short (a few µs): timing
/// each on the thread CPU clock, a system call, cost as much as the work itself (measured with
/// perf: half the layer's time was `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`). Its calls run on
/// the simulation thread, which never blocks inside them, so wall time is CPU time there up to
/// preemption.
final class WallTimeMeter: CodecObserver {
    private let nanoseconds = Atomic<UInt64>(0)

    var seconds: Double { Double(nanoseconds.load(ordering: .relaxed)) / 1e9 }

    func codecWillRun() -> UInt64 { Self.now() }

    func codecDidRun(_ token: UInt64) { nanoseconds.add(Self.now() &- token, ordering: .relaxed) }

    private static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
