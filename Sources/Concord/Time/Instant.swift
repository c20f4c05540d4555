/// A point on a monotonic clock, in nanoseconds since an arbitrary origin.
///
/// The engine never reads a clock: every entry point is handed `now`. The simulator passes
/// virtual time, the live client the device or monotonic clock, and both get identical behaviour.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    @inlinable public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    public static let zero = Instant(nanoseconds: 0)

    @inlinable public static func milliseconds(_ ms: Double) -> Instant {
        Instant(nanoseconds: Int64((ms * 1_000_000).rounded()))
    }
    @inlinable public static func seconds(_ s: Double) -> Instant { .milliseconds(s * 1000) }

    @inlinable public var milliseconds: Double { Double(nanoseconds) / 1_000_000 }
    @inlinable public var seconds: Double { Double(nanoseconds) / 1_000_000_000 }

    @inlinable public static func < (a: Instant, b: Instant) -> Bool { a.nanoseconds < b.nanoseconds }
    /// Later by `nanoseconds`.
    @inlinable public func advanced(byNanoseconds n: Int64) -> Instant { Instant(nanoseconds: nanoseconds + n) }
    @inlinable public func advanced(byMilliseconds ms: Double) -> Instant {
        advanced(byNanoseconds: Int64((ms * 1_000_000).rounded()))
    }
    /// `self - other` in milliseconds.
    @inlinable public func milliseconds(since other: Instant) -> Double {
        Double(nanoseconds - other.nanoseconds) / 1_000_000
    }

    public var description: String { "\(milliseconds) ms" }
}
