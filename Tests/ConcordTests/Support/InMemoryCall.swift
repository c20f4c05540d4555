import AudioFiles
import Foundation
@testable import Concord
import SeededRandom

/// A room of `Participant`s joined by an in-memory network with a fixed one-way delay and
/// optional random loss, run in virtual time. The test double for SimNet (which the engine
/// does not depend on).
///
/// Timing model, shared with the benchmark: frame n covers source samples [nF, (n+1)F) and is
/// captured — encoded and sent — at time (n+1)F; each tick, every listener plays one frame per
/// remote talker, and the frame played at tick time t lands at sample t·48000 of its track. So
/// the lag between a talker's source and a listener's track *is* the mouth-to-ear latency.
final class InMemoryCall {
    let participants: [Participant]
    let sources: [[Float]]
    let delayMilliseconds: Double
    let lossRate: Double
    private var rng: SplitMix64
    private var inFlight: [(deliverAt: Instant, to: Int, bytes: [UInt8])] = []
    /// tracks[listener][r]: what `listener` played of its r-th receiver's talker.
    private var trackBuffers: [[[Float]]]
    private var eventBuffers: [[[PlayoutEvent]]]
    private(set) var mixes: [[Float]]
    private(set) var sentPackets = 0
    private(set) var droppedPackets = 0

    init(
        sources: [[Float]], codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
        delayMilliseconds: Double, lossRate: Double = 0, seed: UInt64 = 1
    ) throws {
        var jb = jitterBuffer
        jb.recordEvents = true
        participants = try sources.indices.map { try Participant(id: PeerID($0 + 1), codec: codec, jitterBuffer: jb) }
        for p in participants { for q in participants where q !== p { try p.addPeer(q.id) } }
        self.sources = sources
        self.delayMilliseconds = delayMilliseconds
        self.lossRate = lossRate
        rng = SplitMix64(seed: seed)
        trackBuffers = participants.map { p in p.peers.map { _ in [] } }
        eventBuffers = participants.map { p in p.peers.map { _ in [] } }
        mixes = participants.map { _ in [] }
    }

    var frameSamples: Int { participants[0].frameSamples }
    var frameMilliseconds: Double { Double(frameSamples) / 48 }

    func run(seconds: Double) throws {
        let F = frameSamples
        let ticks = Int(seconds * 1000 / frameMilliseconds)
        for n in 0..<ticks {
            let now = Instant.milliseconds(Double(n) * frameMilliseconds)
            deliver(until: now)
            if n > 0 {
                for (i, p) in participants.enumerated() {
                    let start = ((n - 1) * F) % max(F, sources[i].count - sources[i].count % F)
                    let frame = Array(sources[i][start..<min(start + F, sources[i].count)])
                        + [Float](repeating: 0, count: max(0, start + F - sources[i].count))
                    for datagram in try p.capture(frame, now: now) {
                        sentPackets += 1
                        if lossRate > 0, Double.random(in: 0..<1, using: &rng) < lossRate {
                            droppedPackets += 1
                            continue
                        }
                        inFlight.append(
                            (now.advanced(byMilliseconds: delayMilliseconds), Int(datagram.destination) - 1, datagram.bytes))
                    }
                }
            }
            for (i, p) in participants.enumerated() {
                p.playout(now: now)
                mixes[i] += p.mix
                for (r, receiver) in p.receivers.enumerated() {
                    trackBuffers[i][r] += receiver.frame
                    eventBuffers[i][r] += receiver.takeEvents()
                }
            }
        }
    }

    /// What `listener` (an index) played of `talker`'s stream.
    func track(listener: Int, talker: PeerID) -> [Float] {
        trackBuffers[listener][participants[listener].peers.firstIndex(of: talker)!]
    }

    func events(listener: Int, talker: PeerID) -> [PlayoutEvent] {
        eventBuffers[listener][participants[listener].peers.firstIndex(of: talker)!]
    }

    private func deliver(until now: Instant) {
        inFlight.sort { $0.deliverAt < $1.deliverAt }
        while let first = inFlight.first, first.deliverAt <= now {
            inFlight.removeFirst()
            participants[first.to].receive(first.bytes, now: first.deliverAt)
        }
    }

    /// The fixture at `fixtures/NAME`, read through libsndfile.
    static func fixture(_ name: String) throws -> [Float] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return try WAVReader.readMono48k(path: root.appendingPathComponent("fixtures/\(name)").path)
    }
}
