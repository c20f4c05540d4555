import AudioFiles
import Concord
import Synchronization

/// A sound file as a microphone, played at real-time pace on the monotonic clock.
///
/// The whole file is decoded up front (`WAVReader.readMono48k`: any format libsndfile reads, any
/// rate and channel count, converted to 48 kHz mono). The first `read` starts the clock; frame
/// *k* (from 0) is returned at start + (k + 1) × frame duration, the moment a device would have
/// finished capturing it. The schedule is absolute: an engine that falls behind gets the frames
/// it missed at once and catches up, it does not drift. The last partial frame is padded with
/// silence. After the file, `.silence` (the default) returns silent frames at the same pace
/// forever, so a headless client keeps ticking and listening; `.stop` makes `read` return false;
/// `.loop` plays the file again from its start, sample after sample (no gap, no padding
/// between rounds), for as long as the client runs.
///
/// `stop()` from another thread ends a `read` within one frame duration.
///
/// With `firstSampleAt`, the file is laid on the clock instead: its first sample belongs at that
/// instant, and the first `read` skips the whole frames that have already passed, as a
/// microphone that was live before the client started would have missed them. Several clients
/// started one after another on one machine then speak on one schedule (the bench's live mode).
public final class WAVFileInput: MeteredAudioSource {
    /// What `read` does once the file is used up.
    public enum EndBehavior: Sendable, Equatable {
        /// Keep returning silent frames at the same pace.
        case silence
        /// Return false, as a stopped device does.
        case stop
        /// Play the file again from its first sample, seamlessly.
        case loop
    }

    /// The file, or a label for audio given directly.
    public let path: String
    public let frameSamples: Int
    public let atEnd: EndBehavior
    /// The decoded audio, 48 kHz mono.
    public let samples: [Float]
    /// Where the file's first sample belongs on the clock; nil: at the first `read`.
    private let firstSampleAt: Instant?
    /// Frames the file fills (the last one possibly padded).
    public var fileFrames: Int { (samples.count + frameSamples - 1) / frameSamples }

    private struct Schedule {
        var start: Instant?
        var next = 0
    }
    private let schedule = Mutex(Schedule())
    private let stopped = Atomic<Bool>(false)
    private let transferred = Atomic<Int>(0)
    private let meter = InputLevelMeter()

    /// Decodes the file at `path`.
    ///
    /// - Throws: `SoundFileError` naming the file and the reason (missing, unreadable, corrupt,
    ///   empty, an unconvertible rate).
    public convenience init(
        path: String, frameSamples: Int = 480, atEnd: EndBehavior = .silence, firstSampleAt: Instant? = nil
    ) throws(SoundFileError) {
        let samples = try WAVReader.readMono48k(path: path)
        self.init(samples: samples, frameSamples: frameSamples, atEnd: atEnd, label: path, firstSampleAt: firstSampleAt)
    }

    /// Plays `samples` (48 kHz mono) as if they were a file called `label`.
    public init(
        samples: [Float], frameSamples: Int = 480, atEnd: EndBehavior = .silence, label: String = "<samples>",
        firstSampleAt: Instant? = nil
    ) {
        precondition(frameSamples > 0, "frameSamples must be positive")
        self.path = label
        self.samples = samples
        self.frameSamples = frameSamples
        self.atEnd = atEnd
        self.firstSampleAt = firstSampleAt
    }

    public func read(into frame: inout [Float]) -> Bool {
        if frame.count != frameSamples { frame = [Float](repeating: 0, count: frameSamples) }
        guard !stopped.load(ordering: .acquiring) else { return false }
        let (index, start) = schedule.withLock { schedule in
            let start: Instant
            if let started = schedule.start {
                start = started
            } else if let firstSampleAt {
                start = firstSampleAt
                // Frame k is due at its end: the first not yet due is the one now falls in.
                let passed = max(0, MonotonicClock.now().nanoseconds - firstSampleAt.nanoseconds)
                schedule.next = Int(Self.samples(inNanoseconds: passed)) / frameSamples
            } else {
                start = MonotonicClock.now()
            }
            schedule.start = start
            defer { schedule.next += 1 }
            return (schedule.next, start)
        }
        let offset = index * frameSamples
        if atEnd == .stop, offset >= samples.count {
            stopped.store(true, ordering: .releasing)
            return false
        }
        // (k + 1) · frameSamples / 48 000 s, computed from k each time so rounding never accumulates.
        let due = start.advanced(byNanoseconds: Self.nanoseconds(ofSamples: Int64(index + 1) * Int64(frameSamples)))
        // A file laid ahead on the clock may be due long after: wait a frame at a time, so that
        // `stop()` still ends the read within one.
        let step = Self.nanoseconds(ofSamples: Int64(frameSamples))
        while due.nanoseconds - MonotonicClock.now().nanoseconds > step {
            MonotonicClock.sleep(until: MonotonicClock.now().advanced(byNanoseconds: step))
            guard !stopped.load(ordering: .acquiring) else { return false }
        }
        MonotonicClock.sleep(until: due)
        guard !stopped.load(ordering: .acquiring) else { return false }

        frame.withUnsafeMutableBufferPointer { target in
            if atEnd == .loop {
                copyLooping(from: offset, into: target)
            } else {
                copy(from: offset, into: target)
            }
            meter.update(UnsafeBufferPointer(target))
        }
        transferred.add(1, ordering: .relaxed)
        return true
    }

    /// Whole seconds apart from the rest, so that no product overflows, however long the clock
    /// has run.
    private static func nanoseconds(ofSamples samples: Int64) -> Int64 {
        let rate = Int64(AudioFormat.sampleRate)
        return samples / rate * 1_000_000_000 + samples % rate * 1_000_000_000 / rate
    }

    private static func samples(inNanoseconds nanoseconds: Int64) -> Int64 {
        let rate = Int64(AudioFormat.sampleRate)
        return nanoseconds / 1_000_000_000 * rate + nanoseconds % 1_000_000_000 * rate / 1_000_000_000
    }

    /// Samples from `offset` on, then silence.
    private func copy(from offset: Int, into target: UnsafeMutableBufferPointer<Float>) {
        let available = max(0, min(target.count, samples.count - offset))
        for i in 0..<available { target[i] = samples[offset + i] }
        for i in available..<target.count { target[i] = 0 }
    }

    /// Samples from `offset` modulo the file's length, wrapping to its start as often as needed.
    private func copyLooping(from offset: Int, into target: UnsafeMutableBufferPointer<Float>) {
        guard !samples.isEmpty else {
            target.update(repeating: 0)
            return
        }
        var position = offset % samples.count
        for i in 0..<target.count {
            target[i] = samples[position]
            position += 1
            if position == samples.count { position = 0 }
        }
    }

    public var level: InputLevel { meter.level }

    public var statistics: AudioDeviceStatistics {
        AudioDeviceStatistics(framesTransferred: transferred.load(ordering: .relaxed))
    }

    public func stop() {
        stopped.store(true, ordering: .releasing)
    }
}
