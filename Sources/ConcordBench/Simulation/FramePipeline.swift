import Concord
import Dispatch
import SimNet

/// The participants' frame clocks. Participant p ticks every frame F at times phase_p + (k+1)·F
/// and at tick k captures the source samples [phase_p + kF, phase_p + (k+1)F) — the frame just
/// spoken (the timing model `StreamRecord` documents).
///
/// Ticks run in windows of one frame: window w starts at w·F and holds tick w−1 of every
/// participant (tick times are phase + w·F, phase < F). A capture depends only on the
/// participant's own microphone and settings, never on what it received, so a window's encodes
/// can run apart from its ticks. With `pipelined` (a fixed mesh, whose voice peers never
/// change), window w+1's encodes run on another core while window w's ticks send and decode (a
/// two-stage pipeline); otherwise (a room, whose membership can change what a capture does
/// mid-window) a window's encodes run at its start on `workers` cores.
final class FramePipeline {
    typealias Encoded = Swift.Result<VoiceClient.EncodedFrame?, Error>
    typealias Captures = UnsafeMutableBufferPointer<Encoded>

    private let count: Int
    private let frameSamples: Int
    private let totalSamples: Int
    let phases: [Int]
    private let workers: Int
    private let pipelined: Bool
    private let simulator: Simulator
    /// Encodes participant i's frame of window w; called on any thread, for different i at once.
    private let encode: (_ i: Int, _ window: Int) -> Encoded
    /// Participant i's tick at sample `position`, with its encoded frame.
    private let tick: (_ i: Int, _ position: Int, _ frame: Encoded) -> Void
    /// Checked before every window: true stops the clocks.
    private let stopped: () -> Bool
    private var ahead: (window: Int, results: Captures, done: DispatchGroup)?

    init(
        count: Int, frameSamples: Int, totalSamples: Int, phases: [Int], workers: Int, pipelined: Bool,
        simulator: Simulator, encode: @escaping (Int, Int) -> Encoded,
        tick: @escaping (Int, Int, Encoded) -> Void, stopped: @escaping () -> Bool
    ) {
        self.count = count
        self.frameSamples = frameSamples
        self.totalSamples = totalSamples
        self.phases = phases
        self.workers = workers
        self.pipelined = pipelined
        self.simulator = simulator
        self.encode = encode
        self.tick = tick
        self.stopped = stopped
    }

    /// The instant of sample `position`.
    static func time(_ position: Int) -> Instant {
        Instant(nanoseconds: Int64(position) * 1_000_000_000 / Int64(AudioFormat.sampleRate))
    }

    /// Schedules the first window (at one frame).
    func start() {
        simulator.schedule(at: SimTime(nanoseconds: Self.time(frameSamples).nanoseconds)) { [self] in window(1) }
    }

    /// Waits for an encode still running ahead (a failure stopped the windows early).
    func finish() {
        guard let next = ahead else { return }
        next.done.wait()
        _ = next.results.deinitialize()
        next.results.deallocate()
        ahead = nil
    }

    private func encodeWindow(_ w: Int, into results: Captures, workers: Int) {
        // Each index touches only its own client's sender and its own result slot.
        let work = UncheckedSendable((results, encode))
        parallelFor(count, workers: workers) { i in work.value.0.initializeElement(at: i, to: work.value.1(i, w)) }
    }

    private func window(_ w: Int) {
        let F = frameSamples
        guard !stopped(), w * F + F <= totalSamples else { return }
        let results: Captures
        if let next = ahead, next.window == w {
            next.done.wait()
            results = next.results
            ahead = nil
        } else {
            results = .allocate(capacity: count)
            encodeWindow(w, into: results, workers: workers)
        }
        var captured: [Encoded] = []
        captured.reserveCapacity(count)
        for i in 0..<count { captured.append(results.moveElement(from: i)) }
        results.deallocate()
        if pipelined, (w + 1) * F + F <= totalSamples {
            let next = (window: w + 1, results: Captures.allocate(capacity: count), done: DispatchGroup())
            let job = UncheckedSendable({ [self] in encodeWindow(w + 1, into: next.results, workers: 1) })
            DispatchQueue.global().async(group: next.done) { job.value() }
            ahead = next
        }
        for i in 0..<count {
            let position = phases[i] + w * F
            if position + F <= totalSamples {
                let frame = captured[i]
                simulator.schedule(at: SimTime(nanoseconds: Self.time(position).nanoseconds)) { [self] in
                    tick(i, position, frame)
                }
            }
        }
        simulator.schedule(at: SimTime(nanoseconds: Self.time((w + 1) * F).nanoseconds)) { [self] in window(w + 1) }
    }
}
