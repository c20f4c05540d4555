#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How punctually the engine thread ticked: the one live fault virtual time cannot show.
///
/// The engine ticks once per device pull (5 ms). A tick that comes more than a pull late is a
/// **stall**: the thread (or the whole process) was not running when its device had a pull
/// ready — a busy or throttled machine, a page-in, a debugger. Whatever stalls the engine also
/// delays what it sends and what it stamps as arrived, so its peers' jitter buffers and its own
/// see a delay spike the network never made, and rightly hold a deeper buffer for a while: a
/// live run whose latency differs from the simulator's is explained by the stalls recorded
/// here (in the summary, and in the stream log's `room.csv` as `stall` events).
public struct EngineTiming: Codable, Sendable, Equatable {
    public var ticks = 0
    public var stalls = 0
    /// How late the latest-coming tick was, ms (its interval minus one pull).
    public var longestStallMs = 0.0
    /// Whether the engine thread runs in the real-time class (`SCHED_FIFO`), as audio threads
    /// should; false where the system refuses it (no `CAP_SYS_NICE`, `RLIMIT_RTPRIO` 0).
    public var realtimePriority = false

    enum CodingKeys: String, CodingKey {
        case ticks, stalls
        case longestStallMs = "longest_stall_ms"
        case realtimePriority = "realtime_priority"
    }

    public init() {}

    /// One tick `intervalNanoseconds` after the previous one, with pulls of `pullNanoseconds`;
    /// returns how late it was (ms) when that makes it a stall.
    public mutating func noteTick(intervalNanoseconds: Int64, pullNanoseconds: Int64) -> Double? {
        ticks += 1
        let late = intervalNanoseconds - pullNanoseconds
        guard late > pullNanoseconds else { return nil }
        let ms = Double(late) / 1e6
        stalls += 1
        longestStallMs = max(longestStallMs, ms)
        return ms
    }

    /// SCHED_FIFO priority of the engine thread and the socket's event loop: above ordinary
    /// threads, below the loopback relay's (10) and the kernel's own (50).
    static let realtimePriority: Int32 = 5

    /// Moves the calling thread into the real-time class; false when the system refuses.
    static func promoteCurrentThread() -> Bool {
        #if os(Linux)
        var parameters = sched_param()
        parameters.sched_priority = realtimePriority
        return pthread_setschedparam(pthread_self(), Int32(SCHED_FIFO), &parameters) == 0
        #else
        return false
        #endif
    }
}
