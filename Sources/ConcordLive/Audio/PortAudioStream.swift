import CPortAudio
import Concord
import Dispatch
import Synchronization

/// How ``PortAudioInput`` and ``PortAudioOutput`` open their stream.
public struct PortAudioStreamOptions: Sendable, Equatable {
    /// PortAudio's `framesPerBuffer`: how many frames each audio callback carries.
    public enum CallbackSize: Sendable, Equatable {
        /// Exactly one engine frame per callback (the default). The input then wakes the engine
        /// once per frame with the frame complete, and the output takes one queued frame per
        /// callback, so the rings hold whole frames and the engine's tick is as regular as the
        /// device's. With ALSA, PortAudio asks for a period of this size, so it adds no
        /// buffering; on a host with a fixed period it adapts with a little extra latency.
        case frame
        /// `paFramesPerBufferUnspecified`: whatever the host delivers, possibly varying. Can
        /// shave latency on hosts with a fixed period; the rings absorb the size mismatch.
        case unspecified
    }

    /// Input: how many frames the ring toward the engine holds before captured audio is
    /// dropped, i.e. how late the engine thread may be without losing audio (a late engine
    /// drains the backlog at once, so this adds no steady latency). Output: how many frames
    /// `write` may queue ahead of the device before it drops them: the most latency the queue
    /// can add. Nil: ``defaultInputQueueFrames`` / ``defaultOutputQueueFrames``.
    public var queueFrames: Int?
    /// PortAudio's `suggestedLatency`, in seconds; nil: the device's default low latency.
    public var suggestedLatency: Double?
    public var callbackSize: CallbackSize
    /// Input: `read` returns false (and counts an error) when no audio callback came for this
    /// long, a device that hung without reporting an error. Nil: wait forever.
    public var stallTimeout: Duration?

    public static let defaultInputQueueFrames = 32
    public static let defaultOutputQueueFrames = 6

    public init(
        queueFrames: Int? = nil, suggestedLatency: Double? = nil, callbackSize: CallbackSize = .frame,
        stallTimeout: Duration? = .seconds(5)
    ) {
        self.queueFrames = queueFrames
        self.suggestedLatency = suggestedLatency
        self.callbackSize = callbackSize
        self.stallTimeout = stallTimeout
    }
}

/// Everything an audio callback touches, allocated before the stream opens and freed only after
/// it closed: the ring, a scratch buffer for stereo devices, the counters and the semaphore.
///
/// The callback neither allocates, locks nor calls into Swift's runtime beyond atomic
/// reference counting of this object and atomic counter updates. Its one system call is
/// `DispatchSemaphore.signal()` on the input side, which wakes the engine thread: in
/// libdispatch that is an atomic increment, plus one futex wake only when the engine thread is
/// actually waiting; it never blocks.
final class StreamContext: @unchecked Sendable {
    let ring: SPSCFloatRing
    /// Channels the device was opened with: 1, or 2 for a device that cannot do mono (input is
    /// downmixed to the mean of both, output duplicated to both).
    let channels: Int
    /// Output: `write` drops a frame that would queue more than this many samples.
    let queueLimit: Int
    let scratch: UnsafeMutablePointer<Float>
    static let scratchFrames = 1024
    let dataReady = DispatchSemaphore(value: 0)

    let callbacks = Atomic<Int>(0)
    let transferred = Atomic<Int>(0)
    let overruns = Atomic<Int>(0)
    let overrunSamples = Atomic<Int>(0)
    let underruns = Atomic<Int>(0)
    let underrunSamples = Atomic<Int>(0)
    let hostXruns = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    /// Output: the engine wrote its first frame; underruns count from then on.
    let primed = Atomic<Bool>(false)
    /// The stream ended on its own (PortAudio's stream-finished callback), or was stopped.
    let finished = Atomic<Bool>(false)

    init(ringSamples: Int, channels: Int, queueLimit: Int) {
        self.ring = SPSCFloatRing(minimumCapacity: ringSamples)
        self.channels = channels
        self.queueLimit = queueLimit
        self.scratch = .allocate(capacity: Self.scratchFrames * 2)
        self.scratch.initialize(repeating: 0, count: Self.scratchFrames * 2)
    }

    deinit {
        scratch.deallocate()
    }

    var statistics: AudioDeviceStatistics {
        AudioDeviceStatistics(
            framesTransferred: transferred.load(ordering: .relaxed), overruns: overruns.load(ordering: .relaxed),
            overrunSamples: overrunSamples.load(ordering: .relaxed), underruns: underruns.load(ordering: .relaxed),
            underrunSamples: underrunSamples.load(ordering: .relaxed), hostXruns: hostXruns.load(ordering: .relaxed),
            errors: errors.load(ordering: .relaxed))
    }

    /// Input callback body: device → ring.
    func capture(_ input: UnsafeRawPointer?, frames: Int, flags: PaStreamCallbackFlags) {
        callbacks.add(1, ordering: .relaxed)
        if flags & (concord_paInputOverflow | concord_paInputUnderflow) != 0 {
            hostXruns.add(1, ordering: .relaxed)
        }
        var lost = 0
        if let input {
            let samples = input.assumingMemoryBound(to: Float.self)
            if channels == 1 {
                lost = frames - ring.write(UnsafeBufferPointer(start: samples, count: frames))
            } else {
                var done = 0
                while done < frames {
                    let n = min(Self.scratchFrames, frames - done)
                    for i in 0..<n {
                        let base = (done + i) * channels
                        scratch[i] = (samples[base] + samples[base + 1]) * 0.5
                    }
                    lost += n - ring.write(UnsafeBufferPointer(start: scratch, count: n))
                    done += n
                }
            }
        }
        if lost > 0 {
            overruns.add(1, ordering: .relaxed)
            overrunSamples.add(lost, ordering: .relaxed)
        }
        dataReady.signal()
    }

    /// Output callback body: ring → device, silence for what is missing.
    func play(_ output: UnsafeMutableRawPointer?, frames: Int, flags: PaStreamCallbackFlags) {
        callbacks.add(1, ordering: .relaxed)
        if flags & (concord_paOutputUnderflow | concord_paOutputOverflow) != 0 {
            hostXruns.add(1, ordering: .relaxed)
        }
        guard let output else { return }
        let samples = output.assumingMemoryBound(to: Float.self)
        var got = 0
        if channels == 1 {
            got = ring.read(into: UnsafeMutableBufferPointer(start: samples, count: frames))
            if got < frames { (samples + got).update(repeating: 0, count: frames - got) }
        } else {
            var done = 0
            while done < frames {
                let n = min(Self.scratchFrames, frames - done)
                let read = ring.read(into: UnsafeMutableBufferPointer(start: scratch, count: n))
                if read < n { (scratch + read).update(repeating: 0, count: n - read) }
                for i in 0..<n {
                    let base = (done + i) * channels
                    samples[base] = scratch[i]
                    samples[base + 1] = scratch[i]
                }
                got += read
                done += n
            }
        }
        if got < frames, primed.load(ordering: .relaxed) {
            underruns.add(1, ordering: .relaxed)
            underrunSamples.add(frames - got, ordering: .relaxed)
        }
    }
}

/// The C callback of both directions: a stream is opened one way, so PortAudio hands it either
/// an input buffer (capture) or an output buffer (play), never both. `userData` is the stream's
/// `StreamContext`, unretained (the stream object keeps it alive until after `Pa_CloseStream`).
private func streamCallback(
    _ input: UnsafeRawPointer?, _ output: UnsafeMutableRawPointer?, _ frameCount: UInt,
    _ time: UnsafePointer<PaStreamCallbackTimeInfo>?, _ flags: PaStreamCallbackFlags,
    _ userData: UnsafeMutableRawPointer?
) -> Int32 {
    guard let userData else { return Int32(paAbort.rawValue) }
    let context = Unmanaged<StreamContext>.fromOpaque(userData).takeUnretainedValue()
    if let output {
        context.play(output, frames: Int(frameCount), flags: flags)
    } else {
        context.capture(input, frames: Int(frameCount), flags: flags)
    }
    return Int32(paContinue.rawValue)
}

/// Called by PortAudio when the stream became inactive: after Pa_StopStream, or on its own
/// after a fatal host error. Wakes a waiting reader, which then sees `finished`.
private func finishedCallback(_ userData: UnsafeMutableRawPointer?) {
    guard let userData else { return }
    let context = Unmanaged<StreamContext>.fromOpaque(userData).takeUnretainedValue()
    context.finished.store(true, ordering: .releasing)
    context.dataReady.signal()
}

/// One open, running PortAudio stream in one direction at 48 kHz Float32.
final class PortAudioStream: Sendable {
    let device: AudioDeviceInfo
    let direction: AudioDirection
    let context: StreamContext
    /// The latency PortAudio reports for the open stream (`Pa_GetStreamInfo`), in seconds.
    let latency: Double
    /// Samples of one engine frame: what `read` and `write` move at a time.
    let frameSamples: Int
    let framesPerBuffer: Int

    private struct Handle {
        var stream: UnsafeMutableRawPointer?
        var system: PortAudioSystem?
    }
    private let handle: Mutex<Handle>

    init(
        system: PortAudioSystem, device: AudioDeviceInfo, direction: AudioDirection, frameSamples: Int,
        options: PortAudioStreamOptions
    ) throws(PortAudioError) {
        precondition(frameSamples > 0, "frameSamples must be positive")
        let queueFrames = max(
            2,
            options.queueFrames
                ?? (direction == .input
                    ? PortAudioStreamOptions.defaultInputQueueFrames : PortAudioStreamOptions.defaultOutputQueueFrames))
        let framesPerBuffer = options.callbackSize == .frame ? frameSamples : Int(paFramesPerBufferUnspecified)
        let latency = options.suggestedLatency ?? device.defaultLowLatency(direction)
        let rate = Double(AudioFormat.sampleRate)

        let (stream, context, reportedLatency) = try system.withLibrary {
            () throws(PortAudioError) -> (UnsafeMutableRawPointer, StreamContext, Double) in
            guard device.maxChannels(direction) > 0 else {
                throw .wrongDirection(device: device, direction: direction, available: [])
            }
            func parameters(_ channels: Int) -> PaStreamParameters {
                PaStreamParameters(
                    device: PaDeviceIndex(device.index), channelCount: Int32(channels),
                    sampleFormat: concord_paFloat32, suggestedLatency: latency, hostApiSpecificStreamInfo: nil)
            }
            func supported(_ channels: Int) -> PaError {
                var p = parameters(channels)
                return direction == .input ? Pa_IsFormatSupported(&p, nil, rate) : Pa_IsFormatSupported(nil, &p, rate)
            }
            var channels = 1
            var verdict = supported(1)
            if verdict == paInvalidChannelCount.rawValue, device.maxChannels(direction) >= 2 {
                channels = 2
                verdict = supported(2)
            }
            guard verdict == paFormatIsSupported else {
                throw .unsupportedFormat(
                    device: device, direction: direction, reason: portAudioError(verdict, "Pa_IsFormatSupported").messageText)
            }

            // Input: a frame's worth per ring slot times queueFrames. Output: room for the queue
            // limit plus one callback, so a full queue never blocks the device's side.
            let queueSamples = queueFrames * frameSamples
            let context = StreamContext(
                ringSamples: direction == .input ? queueSamples : queueSamples + frameSamples, channels: channels,
                queueLimit: queueSamples)
            var params = parameters(channels)
            var stream: UnsafeMutableRawPointer?
            let userData = Unmanaged.passUnretained(context).toOpaque()
            let opened =
                direction == .input
                ? Pa_OpenStream(&stream, &params, nil, rate, UInt(framesPerBuffer), concord_paNoFlag, streamCallback, userData)
                : Pa_OpenStream(&stream, nil, &params, rate, UInt(framesPerBuffer), concord_paNoFlag, streamCallback, userData)
            try check(opened, "Pa_OpenStream")
            guard let stream else { throw .failed(call: "Pa_OpenStream", code: 0, message: "returned no stream") }
            do throws(PortAudioError) {
                try check(Pa_SetStreamFinishedCallback(stream, finishedCallback), "Pa_SetStreamFinishedCallback")
                try check(Pa_StartStream(stream), "Pa_StartStream")
            } catch {
                _ = Pa_CloseStream(stream)
                throw error
            }
            let info = Pa_GetStreamInfo(stream)?.pointee
            let reported = direction == .input ? info?.inputLatency : info?.outputLatency
            return (stream, context, reported ?? latency)
        }
        self.device = device
        self.direction = direction
        self.context = context
        self.latency = reportedLatency
        self.frameSamples = frameSamples
        self.framesPerBuffer = framesPerBuffer
        self.handle = Mutex(Handle(stream: stream, system: system))
    }

    /// Opens and starts the `direction` device `spec` names (an index or a name, see
    /// ``AudioDeviceInfo/find(_:direction:in:)``), or PortAudio's default one when nil.
    static func open(
        deviceNamed spec: String?, direction: AudioDirection, frameSamples: Int, options: PortAudioStreamOptions
    ) throws(PortAudioError) -> PortAudioStream {
        let system = try PortAudioSystem.acquire()
        defer { system.release() }
        let device = try system.findDevice(spec, direction: direction)
        return try open(device: device, direction: direction, frameSamples: frameSamples, options: options)
    }

    /// Opens and starts `device`, which must come from the `devices()` of a ``PortAudioSystem``
    /// handle still held. The stream takes a handle on PortAudio of its own, held until it is
    /// closed (and released at once if the open fails).
    static func open(
        device: AudioDeviceInfo, direction: AudioDirection, frameSamples: Int, options: PortAudioStreamOptions
    ) throws(PortAudioError) -> PortAudioStream {
        let own = try PortAudioSystem.acquire()
        do throws(PortAudioError) {
            return try PortAudioStream(
                system: own, device: device, direction: direction, frameSamples: frameSamples, options: options)
        } catch {
            own.release()
            throw error
        }
    }

    /// Whether `close()` ran.
    var isClosed: Bool { handle.withLock { $0.stream == nil } }

    /// Stops and closes the stream (idempotent) and releases PortAudio.
    func close() throws(PortAudioError) {
        let taken = handle.withLock { handle -> (UnsafeMutableRawPointer, PortAudioSystem)? in
            guard let stream = handle.stream, let system = handle.system else { return nil }
            handle.stream = nil
            handle.system = nil
            return (stream, system)
        }
        guard let (stream, system) = taken else { return }
        defer { system.release() }
        let failure = system.withLibraryNoThrow { () -> PortAudioError? in
            let raw = stream
            var failure: PortAudioError?
            // Input: nothing worth waiting for, abort at once. Output: let the host play what it has.
            let stopped = direction == .input ? Pa_AbortStream(raw) : Pa_StopStream(raw)
            if stopped < 0, stopped != paStreamIsStopped.rawValue {
                failure = portAudioError(stopped, direction == .input ? "Pa_AbortStream" : "Pa_StopStream")
            }
            let closed = Pa_CloseStream(raw)
            if closed < 0, failure == nil { failure = portAudioError(closed, "Pa_CloseStream") }
            return failure
        }
        context.finished.store(true, ordering: .releasing)
        context.dataReady.signal()
        if let failure { throw failure }
    }

    deinit {
        try? close()
    }
}

extension PortAudioSystem {
    /// `withLibrary` for a body that reports failure in its result.
    func withLibraryNoThrow<T>(_ body: () -> T) -> T {
        do throws(PortAudioError) {
            return try withLibrary { () throws(PortAudioError) -> T in body() }
        } catch {
            preconditionFailure("unreachable: \(error)")
        }
    }
}

extension PortAudioError {
    /// The library's message alone, for embedding in another sentence.
    var messageText: String {
        if case .failed(_, _, let message) = self { return message }
        return description
    }
}
