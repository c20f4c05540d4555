/// Told around every Opus encode and decode, so a benchmark can account codec CPU time
/// separately from the rest. The engine itself never reads a clock; the observer may.
///
/// `codecWillRun` returns a token handed back to `codecDidRun` on the same thread, so one
/// observer can serve receivers that a driver runs on several threads at once.
public protocol CodecObserver: AnyObject, Sendable {
    func codecWillRun() -> UInt64
    func codecDidRun(_ token: UInt64)
}
