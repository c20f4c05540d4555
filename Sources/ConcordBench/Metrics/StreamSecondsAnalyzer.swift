import Concord

/// Cuts one stream into seconds (`StreamSeconds`): what the listener played and what the path
/// did to the packets, by the second in which each frame played or each packet was sent.
enum StreamSecondsAnalyzer {
    static func measure(_ record: StreamRecord) -> StreamSeconds {
        let lastPlayout = record.playout.last?.playoutTime.seconds ?? 0
        let lastSend = record.sent.last?.sendTime.seconds ?? 0
        let count = Int(max(lastPlayout, lastSend).rounded(.down)) + 1
        guard !record.playout.isEmpty || !record.sent.isEmpty else { return StreamSeconds() }
        func second(_ t: Double) -> Int { min(count - 1, max(0, Int(t.rounded(.down)))) }

        var played = [Int](repeating: 0, count: count), concealed = [Int](repeating: 0, count: count)
        var latencySum = [Double](repeating: 0, count: count), latencyCount = [Int](repeating: 0, count: count)
        var targetSum = [Double](repeating: 0, count: count), targetCount = [Int](repeating: 0, count: count)
        var stretched = [Int](repeating: 0, count: count)
        for event in record.playout {
            let k = second(event.playoutTime.seconds)
            stretched[k] += event.stretchedSamples
            if event.targetDelayMilliseconds.isFinite {
                targetSum[k] += event.targetDelayMilliseconds
                targetCount[k] += 1
            }
            switch event.outcome {
            case .silence: continue
            case .concealed, .decelerated: concealed[k] += 1
            case .decoded, .recoveredFEC, .recoveredRedundancy, .accelerated:
                if let timestamp = event.timestamp {
                    let latency = record.latencyMilliseconds(timestamp: timestamp, playedAt: event.playoutTime)
                    if latency.isFinite {
                        latencySum[k] += latency
                        latencyCount[k] += 1
                    }
                }
            }
            played[k] += 1
        }

        var firstArrival: [Int64: Instant] = [:]
        for arrival in record.arrivals where firstArrival[arrival.sequence] == nil { firstArrival[arrival.sequence] = arrival.arrivalTime }
        var sent = [Int](repeating: 0, count: count), lost = [Int](repeating: 0, count: count)
        var delaySum = [Double](repeating: 0, count: count), delays: [(second: Int, ms: Double)] = []
        for packet in record.sent {
            let k = second(packet.sendTime.seconds)
            sent[k] += 1
            if let arrived = firstArrival[packet.sequence] {
                let ms = arrived.milliseconds(since: packet.sendTime)
                delaySum[k] += ms
                delays.append((k, ms))
            } else {
                lost[k] += 1
            }
        }
        let smallest = delays.map(\.ms).min() ?? 0
        var queueSum = [Double](repeating: 0, count: count)
        for d in delays { queueSum[d.second] += d.ms - smallest }

        func ratio(_ a: Double, _ n: Int) -> Double? { n > 0 ? a / Double(n) : nil }
        var s = StreamSeconds()
        s.concealment = (0..<count).map { ratio(Double(concealed[$0]), played[$0]) }
        s.latencyMs = (0..<count).map { ratio(latencySum[$0], latencyCount[$0]) }
        s.targetDelayMs = (0..<count).map { ratio(targetSum[$0], targetCount[$0]) }
        s.stretchMs = stretched.map { Double($0) * 1000 / Double(AudioFormat.sampleRate) }
        s.oneWayDelayMs = (0..<count).map { ratio(delaySum[$0], sent[$0] - lost[$0]) }
        s.loss = (0..<count).map { ratio(Double(lost[$0]), sent[$0]) }
        s.queueMs = (0..<count).map { ratio(queueSum[$0], sent[$0] - lost[$0]) }
        s.packetsSent = sent
        return s
    }
}
