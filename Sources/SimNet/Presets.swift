/// A named network profile. Figures are one-way, per direction; `docs/SimNet.md` lists the
/// public sources of each figure and says which ones are assumptions.
public struct Preset: Sendable {
    public let name: String
    public let summary: String
    public let source: String
    public let conditions: PathConditions
}

extension PathConditions {
    /// The presets, in a stable order.
    public static let presets: [Preset] = [
        Preset(
            name: "lan", summary: "switched gigabit Ethernet: 0.25 ms, ±0.05 ms, no loss, 1 Gbit/s",
            source: "assumption (sub-millisecond switched LAN)",
            conditions: PathConditions(
                delay: .microseconds(250), jitter: .microseconds(50), jitterDistribution: .normal,
                rate: RateLimit(bitsPerSecond: 1_000_000_000, packetOverheadBytes: 38, queueLimitPackets: 1000))),
        Preset(
            name: "wifi", summary: "good home Wi-Fi: 2 ms, 1.5 ms paretonormal jitter, 0.1% loss, 30 Mbit/s",
            source: "rate and latency: Firefox DevTools 'Wi-Fi' throttling profile (30/15 Mbps, 2 ms); jitter, loss: assumption",
            conditions: PathConditions(
                delay: .milliseconds(2), jitter: .microseconds(1500), jitterDistribution: .paretoNormal,
                loss: .bernoulli(0.001),
                rate: RateLimit(bitsPerSecond: 30_000_000, packetOverheadBytes: 34, queueLimitPackets: 256))),
        Preset(
            name: "wifi-congested",
            summary: "busy shared Wi-Fi: 5 ms, 15 ms correlated paretonormal jitter, bursty ~3.8% loss, 5 Mbit/s, 64-packet queue",
            source: "assumption, shaped after netem's paretonormal and gemodel; rate ~ a contended 802.11 share",
            conditions: PathConditions(
                delay: .milliseconds(5), jitter: .milliseconds(15), jitterDistribution: .paretoNormal,
                jitterCorrelation: 0.5, loss: .gilbert(p: 0.01, r: 0.25),
                rate: RateLimit(bitsPerSecond: 5_000_000, packetOverheadBytes: 34, queueLimitPackets: 64))),
        Preset(
            name: "4g", summary: "LTE: 35 ms (70 ms RTT), 8 ms normal jitter, 0.5% loss, 12 Mbit/s",
            source: "WebPageTest 'LTE' profile (12 Mbps, 70 ms RTT); loss under 3GPP TS 23.203 QCI 1 PELR 10^-2",
            conditions: PathConditions(
                delay: .milliseconds(35), jitter: .milliseconds(8), jitterDistribution: .normal,
                jitterCorrelation: 0.3, loss: .bernoulli(0.005),
                rate: RateLimit(bitsPerSecond: 12_000_000, packetOverheadBytes: 0, queueLimitPackets: 200))),
        Preset(
            name: "3g", summary: "poor mobile (3G): 150 ms (300 ms RTT), 30 ms paretonormal jitter, bursty ~2% loss, 768 kbit/s up",
            source: "WebPageTest '3G' profile (1.6 Mbps/768 Kbps, 300 ms RTT); jitter, loss: assumption",
            conditions: PathConditions(
                delay: .milliseconds(150), jitter: .milliseconds(30), jitterDistribution: .paretoNormal,
                jitterCorrelation: 0.3, loss: .gilbert(p: 0.007, r: 0.33),
                rate: RateLimit(bitsPerSecond: 768_000, packetOverheadBytes: 0, queueLimitPackets: 50))),
        Preset(
            name: "edge", summary: "very poor mobile (EDGE): 420 ms (840 ms RTT), 60 ms paretonormal jitter, bursty ~3% loss, 200 kbit/s up",
            source: "WebPageTest 'Mobile Edge' profile (240/200 Kbps, 840 ms RTT); jitter, loss: assumption",
            conditions: PathConditions(
                delay: .milliseconds(420), jitter: .milliseconds(60), jitterDistribution: .paretoNormal,
                jitterCorrelation: 0.3, loss: .gilbert(p: 0.01, r: 0.33),
                rate: RateLimit(bitsPerSecond: 200_000, packetOverheadBytes: 0, queueLimitPackets: 30))),
        Preset(
            name: "intercontinental", summary: "long-haul fibre (e.g. Frankfurt–Tokyo): 80 ms, 2 ms normal jitter, 0.1% loss",
            source: "9,350 km great circle / 200,000 km/s in fibre = 47 ms, × ~1.7 route inflation (Bozkurt et al., 'Why is the Internet so slow?!', PAM 2017)",
            conditions: PathConditions(
                delay: .milliseconds(80), jitter: .milliseconds(2), jitterDistribution: .normal,
                loss: .bernoulli(0.001))),
        Preset(
            name: "satellite", summary: "geostationary satellite broadband: 300 ms, 10 ms normal jitter, 0.5% loss, 3 Mbit/s up",
            source: "geometry: 2 × 35,786 km / c = 239 ms minimum one-way; ~600 ms RTT in FCC Measuring Broadband America reports",
            conditions: PathConditions(
                delay: .milliseconds(300), jitter: .milliseconds(10), jitterDistribution: .normal,
                loss: .bernoulli(0.005),
                rate: RateLimit(bitsPerSecond: 3_000_000, packetOverheadBytes: 0, queueLimitPackets: 100))),
        Preset(
            name: "wifi-lossy", summary: "wifi with bursty loss ~5% (Gilbert p 2%, r 38%, mean burst 2.6)",
            source: "wifi preset + assumed Gilbert loss",
            conditions: PathConditions(
                delay: .milliseconds(2), jitter: .microseconds(1500), jitterDistribution: .paretoNormal,
                loss: .gilbert(p: 0.02, r: 0.38),
                rate: RateLimit(bitsPerSecond: 30_000_000, packetOverheadBytes: 34, queueLimitPackets: 256))),
        Preset(
            name: "4g-lossy", summary: "4g with bursty loss ~7.4% (Gilbert p 2%, r 25%, mean burst 4)",
            source: "4g preset + assumed Gilbert loss",
            conditions: PathConditions(
                delay: .milliseconds(35), jitter: .milliseconds(8), jitterDistribution: .normal,
                jitterCorrelation: 0.3, loss: .gilbert(p: 0.02, r: 0.25),
                rate: RateLimit(bitsPerSecond: 12_000_000, packetOverheadBytes: 0, queueLimitPackets: 200))),
        Preset(
            name: "intercontinental-lossy", summary: "intercontinental with netem 4-state loss (p13 1%, p31 30%, p32 30%, p23 20%, p14 1%)",
            source: "intercontinental preset + assumed netem 4-state loss",
            conditions: PathConditions(
                delay: .milliseconds(80), jitter: .milliseconds(2), jitterDistribution: .normal,
                loss: .markov4(p13: 0.01, p31: 0.3, p32: 0.3, p23: 0.2, p14: 0.01))),
        Preset(
            name: "satellite-lossy", summary: "satellite with bursty ~3% loss (rain fade style: Gilbert p 0.5%, r 15%)",
            source: "satellite preset + assumed Gilbert loss",
            conditions: PathConditions(
                delay: .milliseconds(300), jitter: .milliseconds(10), jitterDistribution: .normal,
                loss: .gilbert(p: 0.005, r: 0.15),
                rate: RateLimit(bitsPerSecond: 3_000_000, packetOverheadBytes: 0, queueLimitPackets: 100))),
    ]

    /// The preset names, in order.
    public static var presetNames: [String] { presets.map(\.name) }

    /// The conditions of a preset, or nil for an unknown name.
    public static func preset(named name: String) -> PathConditions? {
        presets.first { $0.name == name }?.conditions
    }
}
