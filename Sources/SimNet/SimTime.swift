/// A point or a span on the simulator's virtual clock, in integer **nanoseconds**.
///
/// The simulator never reads a wall clock: `Simulator.now` starts at `.zero` and only moves
/// when the event loop pops an event. The same type is used for instants ("at 1.5 s") and
/// durations ("after 20 ms"); `Int64` nanoseconds cover ±292 years, exactly.
public struct SimTime: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since the start of the simulation (or the length of a span).
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = SimTime(nanoseconds: 0)
    /// Later than any time a simulation reaches; `run(until: .distantFuture)` runs until idle.
    public static let distantFuture = SimTime(nanoseconds: .max)

    @inlinable public static func nanoseconds(_ n: Int64) -> SimTime { SimTime(nanoseconds: n) }
    @inlinable public static func microseconds(_ n: Int) -> SimTime { SimTime(nanoseconds: Int64(n) * 1_000) }
    @inlinable public static func milliseconds(_ n: Int) -> SimTime { SimTime(nanoseconds: Int64(n) * 1_000_000) }
    @inlinable public static func seconds(_ n: Int) -> SimTime { SimTime(nanoseconds: Int64(n) * 1_000_000_000) }
    /// Fractional milliseconds, rounded to the nearest nanosecond.
    @inlinable public static func milliseconds(_ ms: Double) -> SimTime {
        SimTime(nanoseconds: Int64((ms * 1e6).rounded()))
    }
    /// Fractional seconds, rounded to the nearest nanosecond.
    @inlinable public static func seconds(_ s: Double) -> SimTime {
        SimTime(nanoseconds: Int64((s * 1e9).rounded()))
    }

    /// This time in (fractional) milliseconds.
    @inlinable public var milliseconds: Double { Double(nanoseconds) / 1e6 }
    /// This time in (fractional) seconds.
    @inlinable public var seconds: Double { Double(nanoseconds) / 1e9 }

    @inlinable public static func < (a: SimTime, b: SimTime) -> Bool { a.nanoseconds < b.nanoseconds }
    @inlinable public static func + (a: SimTime, b: SimTime) -> SimTime { SimTime(nanoseconds: a.nanoseconds + b.nanoseconds) }
    @inlinable public static func - (a: SimTime, b: SimTime) -> SimTime { SimTime(nanoseconds: a.nanoseconds - b.nanoseconds) }
    @inlinable public static func += (a: inout SimTime, b: SimTime) { a.nanoseconds += b.nanoseconds }
    @inlinable public static func -= (a: inout SimTime, b: SimTime) { a.nanoseconds -= b.nanoseconds }
    @inlinable public static func * (a: SimTime, k: Int) -> SimTime { SimTime(nanoseconds: a.nanoseconds * Int64(k)) }
    @inlinable public static func * (k: Int, a: SimTime) -> SimTime { SimTime(nanoseconds: a.nanoseconds * Int64(k)) }

    public var description: String { "\(milliseconds) ms" }
}
