import Concord

/// One stream second by second, for the report's lanes and the notebook files
/// (`timeseries.csv`, `timeseries.json`). Second k covers simulation time [k, k + 1) s; a
/// value is nil where that second has nothing to measure (no packet sent, nothing played).
public struct StreamSeconds: Sendable, Equatable, Codable {
    /// Concealed and decelerated frames / frames of the talker played (silence excluded).
    public var concealment: [Double?] = []
    /// Mean timestamp latency of the frames played, ms.
    public var latencyMs: [Double?] = []
    /// Mean jitter-buffer target delay over the ticks, ms.
    public var targetDelayMs: [Double?] = []
    /// Time-stretching of the frames played: ms inserted (decelerating) less ms removed
    /// (accelerating); 0 where nothing was stretched.
    public var stretchMs: [Double] = []
    /// Mean one-way network delay of the packets sent this second that arrived, ms.
    public var oneWayDelayMs: [Double?] = []
    /// Share of the packets sent this second that never arrived.
    public var loss: [Double?] = []
    /// Mean one-way delay above the stream's smallest, ms: time spent queued on the path (and
    /// its jitter), as the packets saw it.
    public var queueMs: [Double?] = []
    public var packetsSent: [Int] = []

    enum CodingKeys: String, CodingKey {
        case concealment
        case latencyMs = "latency_ms"
        case targetDelayMs = "target_delay_ms"
        case stretchMs = "stretch_ms"
        case oneWayDelayMs = "one_way_delay_ms"
        case loss
        case queueMs = "queue_ms"
        case packetsSent = "packets_sent"
    }

    public init() {}

    public var count: Int { packetsSent.count }
}

/// Min/max envelopes of the source and the track over the run, `WaveformPair.columns` columns each.
public struct WaveformPair: Sendable, Equatable {
    public static let columns = 600
    public var source: [(low: Float, high: Float)] = []
    public var track: [(low: Float, high: Float)] = []
    /// Seconds covered by the envelopes.
    public var seconds: Double = 0

    public init() {}

    public init(source: [Float], track: [Float], seconds: Double) {
        self.source = Self.envelope(source, samples: Int(seconds * Double(AudioFormat.sampleRate)))
        self.track = Self.envelope(track, samples: Int(seconds * Double(AudioFormat.sampleRate)))
        self.seconds = seconds
    }

    /// Lowest and highest sample of each column of the first `samples` samples.
    static func envelope(_ signal: [Float], samples: Int) -> [(low: Float, high: Float)] {
        guard samples > 0 else { return [] }
        return (0..<columns).map { c in
            let start = min(signal.count, c * samples / columns), end = min(signal.count, (c + 1) * samples / columns)
            guard start < end else { return (0, 0) }
            var low: Float = 0, high: Float = 0
            for x in signal[start..<end] {
                low = min(low, x)
                high = max(high, x)
            }
            return (low, high)
        }
    }

    public static func == (a: WaveformPair, b: WaveformPair) -> Bool {
        a.seconds == b.seconds && a.source.map(\.low) == b.source.map(\.low) && a.source.map(\.high) == b.source.map(\.high)
            && a.track.map(\.low) == b.track.map(\.low) && a.track.map(\.high) == b.track.map(\.high)
    }
}
