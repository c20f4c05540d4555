/// How a jitter buffer chooses its playout delay.
public struct JitterBufferSettings: Sendable, Codable, Equatable, Hashable {
    public enum Mode: Sendable, Codable, Equatable, Hashable {
        /// NetEq-style: target = `quantile` of a forgetting histogram of relative arrival delay.
        case adaptive
        /// A constant target, as in a fixed-size jitter buffer.
        case fixed(milliseconds: Int)
    }

    public var mode: Mode = .adaptive
    /// The target never goes below this (ms).
    public var minimumDelayMilliseconds: Int = 0
    /// Nor above this (ms); also the histogram's range.
    public var maximumDelayMilliseconds: Int = 1_000
    /// The target before any arrivals have been seen (NetEq starts at 80 ms).
    public var initialDelayMilliseconds: Int = 80
    /// Fraction of packets that should arrive in time (NetEq: 0.95).
    public var quantile: Double = 0.95
    /// Weight kept by the histogram at each arrival (NetEq: 0.983 ≈ a memory of ~60 packets
    /// for a rising delay, a few seconds to drain back).
    public var forgetFactor: Double = 0.983
    /// Width of a histogram bucket (ms): the resolution of the target.
    public var bucketMilliseconds: Int = 5
    /// Packets held at most; beyond it the oldest is discarded (counted as overflow).
    public var maximumPackets: Int = 200
    /// After this long concealing with nothing arriving, the stream is treated as stopped:
    /// playout emits silence and re-aligns on the next packet.
    public var stallMilliseconds: Int = 500
    /// Keep a per-frame `PlayoutEvent` log for the benchmark (`takeEvents()`).
    public var recordEvents: Bool = false

    public init() {}

    public init(mode: Mode, minimumDelayMilliseconds: Int = 0, maximumDelayMilliseconds: Int = 1_000, recordEvents: Bool = false) {
        self.mode = mode
        self.minimumDelayMilliseconds = minimumDelayMilliseconds
        self.maximumDelayMilliseconds = maximumDelayMilliseconds
        self.recordEvents = recordEvents
    }

    public func validate() throws(JitterBufferError) {
        func bad(_ name: String, _ value: Any, _ allowed: String) -> JitterBufferError {
            .invalidSetting(name: name, value: "\(value)", allowed: allowed)
        }
        guard (0...10_000).contains(maximumDelayMilliseconds) else {
            throw bad("maximumDelayMilliseconds", maximumDelayMilliseconds, "0...10000")
        }
        guard (0...maximumDelayMilliseconds).contains(minimumDelayMilliseconds) else {
            throw bad("minimumDelayMilliseconds", minimumDelayMilliseconds, "0...maximumDelayMilliseconds")
        }
        if case .fixed(let ms) = mode, !(0...10_000).contains(ms) {
            throw bad("fixed delay", ms, "0...10000 ms")
        }
        guard (0...maximumDelayMilliseconds).contains(initialDelayMilliseconds) else {
            throw bad("initialDelayMilliseconds", initialDelayMilliseconds, "0...maximumDelayMilliseconds")
        }
        guard quantile > 0, quantile < 1 else { throw bad("quantile", quantile, "(0, 1)") }
        guard forgetFactor > 0, forgetFactor < 1 else { throw bad("forgetFactor", forgetFactor, "(0, 1)") }
        guard (1...100).contains(bucketMilliseconds) else { throw bad("bucketMilliseconds", bucketMilliseconds, "1...100") }
        guard (2...10_000).contains(maximumPackets) else { throw bad("maximumPackets", maximumPackets, "2...10000") }
        guard stallMilliseconds > 0 else { throw bad("stallMilliseconds", stallMilliseconds, "> 0") }
    }
}

public enum JitterBufferError: Error, Equatable, CustomStringConvertible {
    case invalidSetting(name: String, value: String, allowed: String)

    public var description: String {
        switch self {
        case let .invalidSetting(name, value, allowed):
            return "invalid jitter buffer setting \(name)=\(value); allowed: \(allowed)"
        }
    }
}
