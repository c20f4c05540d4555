import Testing
import SeededRandom
@testable import Concord

/// The reference transit: the window minimum while the delay is stationary or falling, carried
/// forward along a significant rise.
@Suite struct TransitBaselineTests {
    /// Uniform jitter of 30 ms: the reference is the window minimum, except on the few arrivals
    /// where chance lines up a significant-looking rise (about 2 % at two standard errors), and
    /// then it is never more than that rise carried over the window above it.
    @Test func aStationaryDelayIsMeasuredAgainstTheWindowMinimum() {
        var baseline = TransitBaseline()
        var rng = SplitMix64(seed: 7)
        // Packets every 20 ms with 50–80 ms transit, fed in arrival order.
        let packets = (0..<3_000).map { k -> (arrival: Double, transit: Double) in
            let transit = 50 + Double(rng.next() % 30_000) / 1_000
            return (Double(k) * 20 + transit, transit)
        }.sorted { $0.arrival < $1.arrival }
        var rising = 0
        for (i, packet) in packets.enumerated() {
            let reference = baseline.add(arrival: .milliseconds(packet.arrival), transitMilliseconds: packet.transit)
            let minimum = packets[...i].filter { packet.arrival - $0.arrival <= 2_000 }.map(\.transit).min() ?? packet.transit
            if baseline.rise > 0 { rising += 1 }
            #expect(reference >= minimum && reference <= minimum + baseline.rise * 2_000)
        }
        #expect(rising < 150, "\(rising) of 3000 arrivals saw a rise")
    }

    @Test func aRisingQueueIsFollowedNotTrailed() throws {
        var baseline = TransitBaseline()
        var rng = SplitMix64(seed: 9)
        var reference = 0.0
        var transit = 0.0
        // 60 ms/s of queue growth (1.2 ms per 20 ms packet) with ±1 ms of noise, for 5 s.
        for k in 0..<250 {
            let t = Double(k) * 20
            transit = 20 + 0.06 * t + Double(rng.next() % 2_000) / 1_000 - 1
            reference = baseline.add(arrival: .milliseconds(t + transit), transitMilliseconds: transit)
        }
        #expect(abs(baseline.rise - 0.06) < 0.01, "rise \(baseline.rise)")
        // The window minimum would trail by ~120 ms; the carried-forward reference by a few.
        #expect(transit - reference < 10, "\(transit) − \(reference)")
    }

    /// A queue that starts filling after a flat stretch — an upload beginning, 120 ms/s — is
    /// followed within about half a second: five 100 ms blocks whose fastest packets each came
    /// later (`RisingEnvelope`). The least-squares fit alone trailed by up to 57 ms here, its
    /// window still half flat.
    @Test func aQueuesOnsetIsFollowedWithinHalfASecond() {
        var baseline = TransitBaseline()
        var rng = SplitMix64(seed: 11)
        var worstLag = 0.0
        for k in 0..<300 {
            let t = Double(k) * 20
            let queue = max(0, t - 3_000) * 0.12
            let transit = 20 + queue + Double(rng.next() % 1_500) / 1_000
            let reference = baseline.add(arrival: .milliseconds(t + transit), transitMilliseconds: transit)
            if t >= 3_600 { worstLag = max(worstLag, transit - reference) }
        }
        #expect(worstLag < 15, "the reference trailed the queue by up to \(worstLag) ms")
        #expect(abs(baseline.rise - 0.12) < 0.02, "rise \(baseline.rise)")
    }

    /// A delay spike — the link stalls 200 ms, then delivers what it held in a burst — lifts no
    /// block minimum five times running: its packets' transits fall from the spike's height.
    @Test func aSpikeIsNotARisingQueue() {
        var envelope = RisingEnvelope()
        for k in 0..<250 {
            let t = Double(k) * 20
            // Sent in 2 000 ..< 2 200 ms: held until 2 200, then 20 ms and 0.4 ms a packet behind.
            let held = (2_000..<2_200).contains(t) ? 2_200 - t + 0.4 * (t - 2_000) / 20 : 0
            let transit = 20 + held
            envelope.add(time: t + transit, value: transit)
            #expect(envelope.rise == 0, "rise \(envelope.rise) at \(t) ms")
        }
    }

    /// Jitter alone — independent, or wandering as a random walk — seldom lifts five block
    /// minima in a row by more than half their spread.
    @Test(arguments: [false, true])
    func jitterIsNotARisingQueue(wandering: Bool) {
        var envelope = RisingEnvelope()
        var rng = SplitMix64(seed: 13)
        var level = 0.0
        var risen = 0
        for k in 0..<15_000 {
            let t = Double(k) * 20
            let step = Double(rng.next() % 2_001) / 1_000 - 1
            level = wandering ? min(100, max(0, level + step)) : 0
            let transit = 50 + level + Double(rng.next() % 20_000) / 1_000
            envelope.add(time: t + transit, value: transit)
            if envelope.rise > 0 { risen += 1 }
        }
        #expect(risen < 15, "\(risen) of 15 000 arrivals saw a rising queue")
    }

    @Test func impossibleTimesAreIgnored() {
        var envelope = RisingEnvelope()
        for time in [Double.infinity, -.infinity, .nan, 1e300, -1e300, Double(Int.max), -Double(Int.max)] {
            envelope.add(time: time, value: 20)
            envelope.add(time: 1_000, value: time)
        }
        #expect(envelope.rise == 0)
    }

    @Test func aFallingDelayNeedsNoCarrying() {
        var baseline = TransitBaseline()
        var last = 0.0
        for k in 0..<250 {
            let t = Double(k) * 20
            let transit = 400 - 0.2 * t / 20
            last = baseline.add(arrival: .milliseconds(t + transit), transitMilliseconds: transit)
            #expect(last == transit)
        }
        #expect(baseline.rise == 0)
    }

    @Test func theDecayMatchesTheExponential() {
        #expect(TrendFit.exponentialDecay(0) == 1)
        #expect(abs(TrendFit.exponentialDecay(1) / 0.36787944117144233 - 1) < 2e-6)
        #expect(abs(TrendFit.exponentialDecay(10) / 4.5399929762484854e-05 - 1) < 2e-6)
        #expect(TrendFit.exponentialDecay(20) == 0)
    }
}
