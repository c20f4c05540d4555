/// How a jitter buffer chooses its playout delay.
public struct JitterBufferSettings: Sendable, Codable, Equatable, Hashable {
    public enum Mode: Sendable, Codable, Equatable, Hashable {
        /// The delay that minimises delay plus the priced late loss, from a forgetting histogram of
        /// relative arrival delay (NetEq's histogram, Concord's objective).
        case adaptive
        /// A constant target, as in a fixed-size jitter buffer.
        case fixed(milliseconds: Int)
    }

    public var mode: Mode = .adaptive
    /// The target never goes below this (ms).
    public var minimumDelayMilliseconds: Int = 0
    /// Nor above this (ms); also the histogram's range.
    public var maximumDelayMilliseconds: Int = 1_000
    /// The target before any arrivals have been seen (NetEq starts at 80 ms). It weighs a
    /// sixteenth of an arrival, so measured delays outweigh it within about twelve packets
    /// (`JitterBuffer.arrivalsToOutweighInitialGuess`), or at the third when the first three
    /// agree to within a bucket (`AgreeingFirstArrivals`).
    public var initialDelayMilliseconds: Int = 80
    /// What one unit of late-loss probability is worth in milliseconds of delay: the target is the
    /// delay d minimising d + lateLossWorthMilliseconds · P(a packet arrives later than d).
    ///
    /// From the E-model the bench scores with (ITU-T G.107, Opus as G.711 with PLC: Ie = 0,
    /// Bpl = 25.1): at low loss a percent of random loss costs (95 − Ie)/Bpl = 3.78 R-points, a
    /// millisecond of delay below 177 ms costs 0.024; so a percent of late loss is worth 157.5 ms
    /// of delay, and a unit of probability 15 750 ms. In effect the buffer covers a delay seen
    /// once until its weight in the histogram drops below the delay's cost — a 20 ms excursion
    /// for about 3 s, a 100 ms spike for about 1.2 s.
    public var lateLossWorthMilliseconds: Double = 15_750
    /// Weight kept by the histogram at each arrival (NetEq: 0.983 ≈ a memory of ~60 packets
    /// for a rising delay, a few seconds to drain back).
    public var forgetFactor: Double = 0.983
    /// Width of a histogram bucket (ms): the resolution of the target.
    public var bucketMilliseconds: Int = 1
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
        guard lateLossWorthMilliseconds > 0, lateLossWorthMilliseconds.isFinite else {
            throw bad("lateLossWorthMilliseconds", lateLossWorthMilliseconds, "> 0 and finite")
        }
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
