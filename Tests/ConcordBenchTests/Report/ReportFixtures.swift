import Foundation

@testable import ConcordBench

/// Sample reports and timelines for the report-writer tests (and the HTML preview).
enum ReportFixtures {
    static func distribution(_ mean: Double, spread: Double = 10) -> Distribution {
        Distribution(mean: mean, p50: mean - spread * 0.1, p95: mean + spread, p99: mean + spread * 1.5, max: mean + spread * 2)
    }

    static func stream(
        from: String, to: String, latency: Double = 80, loss: Double = 0.01, late: Double = 0.002,
        concealment: Double = 0.012, mos: Double = 4.2, jitterBuffer: Double = 40, bitrate: Double = 32
    ) -> StreamReport {
        StreamReport(
            from: from, to: to, latencyMs: distribution(latency), latencyXcorrMs: distribution(latency + 1, spread: 8),
            latencyXcorrWindows: 50, jitterRfc3550Ms: 3.25, packetsSent: 3000, packetsReceived: Int(3000 * (1 - loss)),
            packetLoss: loss, lateLoss: late,
            burstGap: BurstGapReport(burstDensity: 0.2, gapDensity: 0.005, burstDurationMs: 60, gapDurationMs: 4000, meanLossRunPackets: 1.4),
            concealmentRatio: concealment, concealmentEvents: 31, jitterBufferDelayMs: distribution(jitterBuffer, spread: 15),
            targetDelayMs: distribution(jitterBuffer - 5, spread: 5), fecRecoveredFrames: 12, redundancyRecoveredFrames: 0,
            bitrateKbps: bitrate, bitrateWithOverheadKbps: bitrate + 11.2, rFactor: 85.5, mosEmodel: mos,
            clockDrift: ClockDriftReport(
                configuredPPM: 0, measuredPPM: 0.4, expectedCorrectionMs: 0, acceleratedMs: 20, deceleratedMs: 0),
            steadyState: SteadyStateReport(fromSeconds: 3.5, latencyMs: distribution(latency - 5), concealmentRatio: concealment * 0.9),
            quality: SpeechQualityReport(
                visqolMos: mos - 0.3, visqolMosSteadyState: mos - 0.25, visqolLagMs: latency, visqolNotScored: nil,
                visqolSteadyStateNotScored: nil),
            getStats: GetStatsReport(
                concealedSamples: Int(concealment * 2_880_000), silentConcealedSamples: 0, concealmentEvents: 31,
                insertedSamplesForDeceleration: 960, removedSamplesForAcceleration: 1920, jitterBufferDelay: jitterBuffer * 2880,
                jitterBufferTargetDelay: (jitterBuffer - 5) * 2880, jitterBufferEmittedCount: 2_880_000,
                totalSamplesReceived: 2_880_000, fecPacketsReceived: 12, packetsDiscarded: Int(3000 * late)))
    }

    static func report(streams: [StreamReport], scenario: String = "four-person room on wifi") -> BenchReport {
        let participants = Set(streams.flatMap { [$0.from, $0.to] }).count
        let mos = streams.map(\.mosEmodel)
        return BenchReport(
            scenario: scenario, seed: 42, simulatedSeconds: 60, wallSeconds: 7.5, cpuSeconds: 11.2, cpuCodecSeconds: 8.9,
            network: "wifi", jitterBuffer: "concord adaptive", streams: streams,
            room: RoomReport(
                participants: participants, streams: streams.count,
                meanLatencyMs: streams.isEmpty ? 0 : streams.compactMap(\.latencyMs?.mean).reduce(0, +) / Double(streams.count),
                worstP95LatencyMs: streams.compactMap(\.latencyMs?.p95).max() ?? 0,
                meanConcealmentRatio: streams.isEmpty ? 0 : streams.map(\.concealmentRatio).reduce(0, +) / Double(streams.count),
                worstMos: mos.min() ?? 0, meanMos: mos.isEmpty ? 0 : mos.reduce(0, +) / Double(mos.count)))
    }

    /// Three people, all six directed streams, with varied quality.
    static func sampleReport() -> BenchReport {
        let people = ["alice", "bob", "carol"]
        var streams: [StreamReport] = []
        var k = 0.0
        for to in people {
            for from in people where from != to {
                streams.append(stream(from: from, to: to, latency: 70 + 9 * k, loss: 0.004 * k, concealment: 0.005 * k, mos: 4.35 - 0.3 * k))
                k += 1
            }
        }
        return report(streams: streams)
    }

    /// A deterministic generator, so the fake timelines are the same every run.
    struct Random {
        var state: UInt64
        mutating func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
    }

    /// A minute of plausible per-frame data: talk spurts, a congestion episode around 20–26 s
    /// (jitter, late packets, the buffer target rising then decaying), random and bursty loss
    /// with concealment and FEC recoveries, cross-correlation windows every second.
    static func timeline(from: String, to: String, seed: UInt64, seconds: Double = 60) -> StreamTimeline {
        var random = Random(state: seed &* 2_654_435_761 &+ 1)
        var t = StreamTimeline(from: from, to: to)
        var target = 40.0
        var talking = true
        var spurtEnd = 1 + random.next() * 3
        var time = 0.5
        let network = 35.0
        while time < seconds {
            if time > spurtEnd {
                talking.toggle()
                spurtEnd = time + (talking ? 2.5 + random.next() * 4 : 0.6 + random.next() * 1.5)
            }
            let congested = time > 20 && time < 26
            let jitter = (congested ? 45 : 8) * random.next()
            let desired = congested ? 95.0 : 40.0
            target += (desired - target) * (desired > target ? 0.08 : 0.004)
            t.targetDelay.append(.init(t: time, value: (target / 5).rounded() * 5))
            if talking {
                let lossChance = congested ? 0.05 : (time > 40 && time < 40.4 ? 0.6 : 0.008)
                if random.next() < lossChance {
                    t.events.append((time, "lost"))
                    if random.next() < 0.4 {
                        t.events.append((time, "recoveredFEC"))
                    } else {
                        t.events.append((time, "concealed"))
                    }
                } else if congested && time < 22 && random.next() < 0.15 {
                    t.events.append((time, "late"))
                    t.events.append((time, "concealed"))
                } else {
                    let wait = max(0, target - jitter + random.next() * 4)
                    t.bufferDelay.append(.init(t: time, value: wait))
                    t.latency.append(.init(t: time, value: network + 6.5 + jitter + wait))
                }
                if !congested && target > 45 && random.next() < 0.05 { t.events.append((time, "accelerated")) }
            }
            time += 0.02
        }
        var perSecond = StreamSeconds()
        for k in 0..<Int(seconds.rounded(.up)) {
            let inSecond = { (time: Double) in time >= Double(k) && time < Double(k + 1) }
            let played = t.latency.filter { inSecond($0.t) }
            let concealed = t.events.filter { $0.kind == "concealed" && inSecond($0.t) }.count
            let lost = t.events.filter { $0.kind == "lost" && inSecond($0.t) }.count
            perSecond.concealment.append(played.count + concealed > 0 ? Double(concealed) / Double(played.count + concealed) : nil)
            perSecond.latencyMs.append(played.isEmpty ? nil : played.map(\.value).reduce(0, +) / Double(played.count))
            perSecond.targetDelayMs.append(t.targetDelay.first { inSecond($0.t) }?.value)
            perSecond.stretchMs.append(k == 2 ? -12.5 : k == 6 ? 5 : 0)
            perSecond.oneWayDelayMs.append(played.isEmpty ? nil : network + (played.map(\.value).max() ?? 0) / 20)
            perSecond.loss.append(Double(lost) / 50)
            perSecond.queueMs.append(played.isEmpty ? nil : (played.map(\.value).max() ?? 0) / 20)
            perSecond.packetsSent.append(50)
        }
        t.seconds = perSecond
        t.steadyFromSeconds = 3.5
        var window = 1.0
        while window < seconds {
            let inWindow = t.latency.filter { $0.t >= window - 1 && $0.t < window }
            if inWindow.count > 20 {
                let mean = inWindow.map(\.value).reduce(0, +) / Double(inWindow.count)
                t.xcorrLatency.append(.init(t: window - 0.5, value: mean + (random.next() - 0.5) * 6))
            }
            window += 1
        }
        return t
    }

    static func sampleTimelines(for report: BenchReport) -> [StreamTimeline] {
        report.streams.enumerated().map { i, s in timeline(from: s.from, to: s.to, seed: UInt64(i + 1)) }
    }

    /// Flattened key paths of a JSON object (`latency_ms.p95`), for key checks.
    static func keyPaths(_ object: Any, prefix: String = "") -> Set<String> {
        guard let dictionary = object as? [String: Any] else { return [] }
        var paths = Set<String>()
        for (key, value) in dictionary {
            let path = prefix.isEmpty ? key : "\(prefix).\(key)"
            paths.insert(path)
            paths.formUnion(keyPaths(value, prefix: path))
        }
        return paths
    }

    /// A minimal RFC 4180 reader, to check the writer's quoting from the outside.
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)
        chars.append("\u{0}")
        var i = 0
        while i < chars.count - 1 {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if chars[i + 1] == "\"" {
                        field.append("\"")
                        i += 1
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\r\n" || c == "\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
            i += 1
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
