#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord

/// The live driver's clock: CLOCK_MONOTONIC as an engine `Instant`. Every live component
/// (socket arrival stamps, device pacing, the engine thread) reads this one clock, so their
/// instants are comparable; it never jumps with wall-clock adjustments.
public enum MonotonicClock {
    public static func now() -> Instant {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Instant(nanoseconds: Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec))
    }

    /// Sleeps until `deadline` (absolute, on this clock); returns at once if it has passed.
    public static func sleep(until deadline: Instant) {
        var ts = timespec(
            tv_sec: Int(deadline.nanoseconds / 1_000_000_000), tv_nsec: Int(deadline.nanoseconds % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nil) == EINTR {}
    }
}
