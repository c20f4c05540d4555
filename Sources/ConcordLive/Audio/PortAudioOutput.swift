import Concord
import Synchronization

/// A speaker through PortAudio: 48 kHz, mono (duplicated to both channels of a stereo-only
/// device), Float32.
///
/// `write` copies the frame into a preallocated lock-free ring (``SPSCFloatRing``) and returns;
/// it never blocks. A frame that would queue more than ``PortAudioStreamOptions/queueFrames``
/// frames ahead of the device is dropped whole and counted as an overrun (the engine's clock ran
/// ahead of this device's). The audio callback only copies from the ring to the device and
/// plays silence for whatever is missing, counted as an underrun once the first frame arrived.
public final class PortAudioOutput: AudioSink {
    public let frameSamples: Int
    public var device: AudioDeviceInfo { stream.device }
    /// The output latency PortAudio reports for the open stream, in seconds.
    public var latency: Double { stream.latency }
    /// 1, or 2 when the device could not be opened in mono.
    public var deviceChannels: Int { stream.context.channels }
    /// Samples written but not yet handed to the device: the queue's share of the latency.
    public var queuedSamples: Int { stream.context.ring.count }

    private let stream: PortAudioStream
    private let closed = Atomic<Bool>(false)

    /// Opens and starts the output `device` names (an index or a name), or PortAudio's default
    /// output when nil.
    public convenience init(
        device spec: String? = nil, frameSamples: Int = 480, options: PortAudioStreamOptions = .init()
    ) throws(PortAudioError) {
        try self.init(stream: .open(deviceNamed: spec, direction: .output, frameSamples: frameSamples, options: options))
    }

    /// Opens and starts `device`, which must come from the `devices()` of a ``PortAudioSystem``
    /// handle still held. The stream holds its own handle on PortAudio until it is closed.
    public convenience init(
        device: AudioDeviceInfo, frameSamples: Int = 480, options: PortAudioStreamOptions = .init()
    ) throws(PortAudioError) {
        try self.init(stream: .open(device: device, direction: .output, frameSamples: frameSamples, options: options))
    }

    private init(stream: PortAudioStream) {
        self.stream = stream
        self.frameSamples = stream.frameSamples
    }

    public func write(_ frame: [Float]) {
        let context = stream.context
        frame.withUnsafeBufferPointer { samples in
            guard !closed.load(ordering: .acquiring),
                context.queueLimit - context.ring.count >= samples.count
            else {
                context.overruns.add(1, ordering: .relaxed)
                context.overrunSamples.add(samples.count, ordering: .relaxed)
                return
            }
            let written = context.ring.write(samples)
            if written < samples.count {
                // Cannot happen (the ring has room for the limit plus a frame), but never lie.
                context.overruns.add(1, ordering: .relaxed)
                context.overrunSamples.add(samples.count - written, ordering: .relaxed)
            }
            context.transferred.add(1, ordering: .relaxed)
            context.primed.store(true, ordering: .relaxed)
        }
    }

    public var statistics: AudioDeviceStatistics { stream.context.statistics }

    /// Stops playback (the host plays out what it already has) and closes the stream. Idempotent.
    public func close() throws(PortAudioError) {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        try stream.close()
    }

    deinit {
        try? close()
    }
}

extension LiveRoom {
    /// The input's and the output's latencies as PortAudio reports them; 0 for files (no
    /// acoustic path, nothing to align). The echo canceller's first guess at the echo's delay.
    public static func deviceDelayMilliseconds(input: any MeteredAudioSource, output: any AudioSink) -> Int {
        guard let input = input as? PortAudioInput, let output = output as? PortAudioOutput else { return 0 }
        let seconds = input.latency + output.latency
        return seconds.isFinite && seconds > 0 ? Int(min(seconds, 1) * 1000) : 0
    }
}
