#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Synchronization

/// CPU clocks for the benchmark, and a `CodecObserver` that sums CPU time over codec calls.
///
/// Each codec call is timed on its own thread's CPU clock (start and end on the same thread),
/// so the sum is right even when a driver decodes on several threads, and unaffected by other
/// simulations a sweep runs on other cores.
public final class ThreadCPUMeter: CodecObserver {
    private let codecNanoseconds = Atomic<UInt64>(0)

    public init() {}

    public var codecSeconds: Double { Double(codecNanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// CPU time of the calling thread, nanoseconds.
    public static func threadNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// CPU time of the whole process (all threads), seconds.
    public static func processSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    public static func threadSeconds() -> Double { Double(threadNanoseconds()) / 1e9 }

    public func codecWillRun() -> UInt64 { Self.threadNanoseconds() }

    public func codecDidRun(_ token: UInt64) {
        codecNanoseconds.add(Self.threadNanoseconds() &- token, ordering: .relaxed)
    }
}
