import Concord
import Dispatch
import SimNet

/// The participants' frame clocks. Participant p ticks every frame F when its own sound card
/// clock (`AudioClock`) reaches sample phase_p + (k+1)·F, and at tick k captures its microphone's
/// samples [phase_p + kF, phase_p + (k+1)F) — the frame just spoken (the timing model
/// `StreamRecord` documents).
///
/// Each participant's last tick only sends: a listener's last pull plays audio its talkers
/// spoke up to a frame before it (no sample plays before its frame is sent), and a talker whose
/// clock phase trails the listener's would otherwise have stopped first, so the run's end was
/// heard as a frame of concealment on every low-delay stream.
///
/// Ticks run in windows of one frame: window w holds tick w−1 of every participant (at its
/// clock's sample phase + w·F, phase < F) and starts at w·F or at its earliest tick if a fast
/// clock brings that earlier. Without adaptive protection a capture depends only on the
/// participant's own microphone and settings, never on what it received, so a window's encodes
/// can run apart from its ticks (with it, a report taken in a tick changes the sender). With `pipelined` (a fixed mesh, whose voice peers never
/// change), window w+1's encodes run on another core while window w's ticks send and decode (a
/// two-stage pipeline); otherwise (a room, whose membership can change what a capture does
/// mid-window) a window's encodes run at its start on `workers` cores.
final class FramePipeline {
    typealias Encoded = Swift.Result<VoiceClient.EncodedFrame?, Error>
    typealias Captures = UnsafeMutableBufferPointer<Encoded>

    private let count: Int
    private let frameSamples: Int
    /// Samples participant i's clock counts in the run: its ticks stop there.
    private let totals: [Int]
    private let lastWindowEnd: Int
    let phases: [Int]
    private let clocks: [AudioClock]
    private let workers: Int
    private let pipelined: Bool
    private let simulator: Simulator
    /// Encodes participant i's frame ending at its clock's sample `position` (reached at `now`);
    /// called on any thread, for different i at once.
    private let encode: (_ i: Int, _ position: Int, _ now: Instant) -> Encoded
    /// Participant i's tick at its clock's sample `position` (reached at `now`), with its frame;
    /// `plays` is false on the last, which only sends.
    private let tick: (_ i: Int, _ position: Int, _ now: Instant, _ frame: Encoded, _ plays: Bool) -> Void
    /// Checked before every window: true stops the clocks.
    private let stopped: () -> Bool
    private var ahead: (window: Int, results: Captures, done: DispatchGroup)?

    init(
        count: Int, frameSamples: Int, totalSamples: Int, phases: [Int], clocks: [AudioClock], workers: Int,
        pipelined: Bool, simulator: Simulator, encode: @escaping (Int, Int, Instant) -> Encoded,
        tick: @escaping (Int, Int, Instant, Encoded, Bool) -> Void, stopped: @escaping () -> Bool
    ) {
        self.count = count
        self.frameSamples = frameSamples
        totals = clocks.map { $0.samples(inReferenceSamples: totalSamples) }
        lastWindowEnd = totals.max() ?? 0
        self.phases = phases
        self.clocks = clocks
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
        simulator.schedule(at: SimTime(nanoseconds: start(ofWindow: 1).nanoseconds)) { [self] in window(1) }
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
        let positions = phases.map { $0 + w * frameSamples }
        let instants = (0..<count).map { clocks[$0].instant(ofSample: positions[$0]) }
        let work = UncheckedSendable((results, encode))
        parallelFor(count, workers: workers) { i in
            work.value.0.initializeElement(at: i, to: work.value.1(i, positions[i], instants[i]))
        }
    }

    private func window(_ w: Int) {
        let F = frameSamples
        guard !stopped(), w * F <= lastWindowEnd else { return }
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
        if pipelined, (w + 1) * F <= lastWindowEnd {
            let next = (window: w + 1, results: Captures.allocate(capacity: count), done: DispatchGroup())
            let job = UncheckedSendable({ [self] in encodeWindow(w + 1, into: next.results, workers: 1) })
            DispatchQueue.global().async(group: next.done) { job.value() }
            ahead = next
        }
        for i in 0..<count {
            let position = phases[i] + w * F
            if position <= totals[i] {
                let frame = captured[i]
                let now = clocks[i].instant(ofSample: position)
                let plays = position + F <= totals[i]
                simulator.schedule(at: SimTime(nanoseconds: now.nanoseconds)) { [self] in
                    tick(i, position, now, frame, plays)
                }
            }
        }
        simulator.schedule(at: SimTime(nanoseconds: start(ofWindow: w + 1).nanoseconds)) { [self] in window(w + 1) }
    }

    /// Window w starts no later than any of its ticks.
    private func start(ofWindow w: Int) -> Instant {
        var start = Self.time(w * frameSamples)
        for i in 0..<count where clocks[i].ppm > 0 {
            start = min(start, clocks[i].instant(ofSample: phases[i] + w * frameSamples))
        }
        return start
    }
}
