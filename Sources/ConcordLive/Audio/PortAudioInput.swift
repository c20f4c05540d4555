import Concord
import Dispatch
import Synchronization

/// A microphone through PortAudio: 48 kHz, mono (a stereo-only device is downmixed), Float32.
///
/// The audio callback only copies the captured samples into a preallocated lock-free ring
/// (``SPSCFloatRing``) and signals a semaphore; `read`, on the engine thread, waits until a
/// whole frame is queued and copies it out. So the engine ticks on the sound card's clock. If the
/// engine falls behind by more than the ring holds (``PortAudioStreamOptions/queueFrames``), the
/// newest captured samples are dropped and counted as overruns.
///
/// `stop()` (from any thread) closes the stream and makes `read` return false; so does a fatal
/// device error (the stream finishing on its own) or, with a ``PortAudioStreamOptions/stallTimeout``,
/// a device that stops calling back.
public final class PortAudioInput: MeteredAudioSource {
    public let frameSamples: Int
    /// The device the stream runs on.
    public var device: AudioDeviceInfo { stream.device }
    /// The input latency PortAudio reports for the open stream, in seconds.
    public var latency: Double { stream.latency }
    /// 1, or 2 when the device could not be opened in mono.
    public var deviceChannels: Int { stream.context.channels }

    private let stream: PortAudioStream
    private let stallTimeout: Duration?
    private let stopRequested = Atomic<Bool>(false)
    private let meter = InputLevelMeter()
    /// How often a waiting `read` looks whether callbacks still come.
    private static let stallCheckMilliseconds: Int64 = 250

    /// Opens and starts the input `device` names (an index or a name, see
    /// ``AudioDeviceInfo/find(_:direction:in:)``), or PortAudio's default input when nil.
    public convenience init(
        device spec: String? = nil, frameSamples: Int = 480, options: PortAudioStreamOptions = .init()
    ) throws(PortAudioError) {
        let system = try PortAudioSystem.acquire()
        defer { system.release() }
        let device = try system.findDevice(spec, direction: .input)
        try self.init(device: device, frameSamples: frameSamples, options: options)
    }

    /// Opens and starts `device`, which must come from the `devices()` of a ``PortAudioSystem``
    /// handle still held (indices are valid while PortAudio stays initialised). The stream
    /// holds its own handle on PortAudio until it is closed.
    public init(
        device: AudioDeviceInfo, frameSamples: Int = 480, options: PortAudioStreamOptions = .init()
    ) throws(PortAudioError) {
        let own = try PortAudioSystem.acquire()
        do throws(PortAudioError) {
            self.stream = try PortAudioStream(
                system: own, device: device, direction: .input, frameSamples: frameSamples, options: options)
        } catch {
            own.release()
            throw error
        }
        self.frameSamples = frameSamples
        self.stallTimeout = options.stallTimeout
    }

    public func read(into frame: inout [Float]) -> Bool {
        if frame.count != frameSamples { frame = [Float](repeating: 0, count: frameSamples) }
        let context = stream.context
        var waitedWithoutCallbacks = Duration.zero
        var lastCallbacks = context.callbacks.load(ordering: .relaxed)
        while true {
            if stopRequested.load(ordering: .acquiring) || context.finished.load(ordering: .acquiring) { return false }
            if context.ring.availableForReading >= frameSamples {
                frame.withUnsafeMutableBufferPointer { target in
                    _ = context.ring.read(into: target)
                    meter.update(UnsafeBufferPointer(target))
                }
                context.transferred.add(1, ordering: .relaxed)
                return true
            }
            // Wake on the next callback (or stop); wake anyway now and then to notice a hung device.
            if context.dataReady.wait(timeout: .now() + .milliseconds(Int(Self.stallCheckMilliseconds))) == .timedOut {
                let callbacks = context.callbacks.load(ordering: .relaxed)
                if callbacks != lastCallbacks {
                    lastCallbacks = callbacks
                    waitedWithoutCallbacks = .zero
                } else {
                    waitedWithoutCallbacks += .milliseconds(Self.stallCheckMilliseconds)
                    if let stallTimeout, waitedWithoutCallbacks >= stallTimeout {
                        context.errors.add(1, ordering: .relaxed)
                        context.finished.store(true, ordering: .releasing)
                        return false
                    }
                }
            }
        }
    }

    public var level: InputLevel { meter.level }

    public var statistics: AudioDeviceStatistics { stream.context.statistics }

    /// Stops capturing, closes the stream and wakes a blocked `read`. Idempotent.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        stream.context.dataReady.signal()
        do throws(PortAudioError) {
            try stream.close()
        } catch {
            stream.context.errors.add(1, ordering: .relaxed)
        }
    }

    deinit {
        stop()
    }
}
