import CPortAudio
import Synchronization

/// Process-wide PortAudio: `Pa_Initialize` when the first handle is acquired, `Pa_Terminate`
/// when the last is released.
///
/// PortAudio's library calls are not thread-safe, so every `Pa_*` call Concord makes outside a
/// stream's audio callback runs under one process-wide lock (held only for the call; the audio
/// callbacks never take it). Streams hold a handle for their lifetime, so the library stays
/// initialised, and device indices stay valid, while any device is open.
///
/// Device enumeration happens in `Pa_Initialize`: a device plugged in later is seen only after
/// every handle was released and a new one acquired.
///
/// alsa-lib and libjack print their diagnostics to stderr by default (about sixty "ALSA lib …"
/// lines on a machine without a sound card, and "jack server is not running" whenever no JACK
/// server runs). Before the first `Pa_Initialize` these are routed into ``libraryMessages``
/// instead, so a command line tool can keep stderr readable and still show why no device was found.
public final class PortAudioSystem: Sendable {
    private struct Shared {
        var users = 0
        var messagesRouted = false
    }
    private static let shared = Mutex(Shared())
    private static let messages = Mutex(LibraryMessages())
    private let released = Atomic<Bool>(false)

    private init() {}

    /// Initialises PortAudio if no one else holds it, and returns a handle on it.
    ///
    /// - Throws: `PortAudioError.failed` with `Pa_Initialize`'s message.
    public static func acquire() throws(PortAudioError) -> PortAudioSystem {
        try shared.withLock { (shared) throws(PortAudioError) -> Void in
            if !shared.messagesRouted {
                shared.messagesRouted = true
                _ = concord_route_audio_library_messages { library, message in
                    PortAudioSystem.record(library: library, message: message)
                }
            }
            if shared.users == 0 {
                try check(Pa_Initialize(), "Pa_Initialize")
            }
            shared.users += 1
        }
        return PortAudioSystem()
    }

    /// Gives the handle back (terminating PortAudio if it was the last). Idempotent; `deinit`
    /// calls it too.
    public func release() {
        guard !released.exchange(true, ordering: .acquiringAndReleasing) else { return }
        Self.shared.withLock { shared in
            shared.users -= 1
            if shared.users == 0 { _ = Pa_Terminate() }
        }
    }

    deinit {
        release()
    }

    /// PortAudio's version, e.g. "PortAudio V19.6.0-devel, revision 396fe4b6699ae929d3a685b3ef8a7e97396139a4".
    public static var versionText: String {
        String(cString: Pa_GetVersionText())
    }

    /// Every device PortAudio found, in index order.
    public func devices() throws(PortAudioError) -> [AudioDeviceInfo] {
        try withLibrary { () throws(PortAudioError) -> [AudioDeviceInfo] in
            let count = Pa_GetDeviceCount()
            try check(count, "Pa_GetDeviceCount")
            let defaultInput = Pa_GetDefaultInputDevice()
            let defaultOutput = Pa_GetDefaultOutputDevice()
            var devices: [AudioDeviceInfo] = []
            for index in 0..<count {
                guard let info = Pa_GetDeviceInfo(index)?.pointee else { continue }
                let hostAPI = Pa_GetHostApiInfo(info.hostApi)?.pointee.name.map { String(cString: $0) } ?? "host API \(info.hostApi)"
                devices.append(
                    AudioDeviceInfo(
                        index: Int(index), name: info.name.map { String(cString: $0) } ?? "device \(index)",
                        hostAPI: hostAPI, maxInputChannels: Int(info.maxInputChannels),
                        maxOutputChannels: Int(info.maxOutputChannels), defaultSampleRate: info.defaultSampleRate,
                        defaultLowInputLatency: info.defaultLowInputLatency,
                        defaultLowOutputLatency: info.defaultLowOutputLatency,
                        isDefaultInput: index == defaultInput, isDefaultOutput: index == defaultOutput))
            }
            return devices
        }
    }

    /// A host API (audio system) PortAudio found usable in this process, and its device count.
    public struct HostAPI: Sendable, Equatable {
        public var name: String
        public var deviceCount: Int

        public init(name: String, deviceCount: Int) {
            self.name = name
            self.deviceCount = deviceCount
        }
    }

    /// The host APIs PortAudio initialised. One it was built with but could not use (JACK with
    /// no server running) is not among them.
    public func hostAPIs() throws(PortAudioError) -> [HostAPI] {
        try withLibrary { () throws(PortAudioError) -> [HostAPI] in
            let count = Pa_GetHostApiCount()
            try check(count, "Pa_GetHostApiCount")
            return (0..<count).compactMap { index in
                guard let info = Pa_GetHostApiInfo(index)?.pointee else { return nil }
                return HostAPI(name: info.name.map { String(cString: $0) } ?? "host API \(index)", deviceCount: Int(info.deviceCount))
            }
        }
    }

    /// The device `spec` names for `direction` (see ``AudioDeviceInfo/find(_:direction:in:)``),
    /// or PortAudio's default device for `direction` when `spec` is nil.
    public func findDevice(_ spec: String?, direction: AudioDirection) throws(PortAudioError) -> AudioDeviceInfo {
        let devices = try devices()
        guard let spec else {
            guard let device = devices.first(where: { $0.isDefault(direction) }) else {
                throw .noDefaultDevice(direction: direction, available: devices.filter { $0.maxChannels(direction) > 0 })
            }
            return device
        }
        return try AudioDeviceInfo.find(spec, direction: direction, in: devices)
    }

    // MARK: library messages

    /// One line alsa-lib or libjack reported, e.g. `ALSA: cannot find card '0'`.
    public struct LibraryMessage: Sendable, Equatable, CustomStringConvertible {
        /// "ALSA" or "JACK".
        public var library: String
        public var text: String

        public init(library: String, text: String) {
            self.library = library
            self.text = text
        }

        public var description: String { "\(library): \(text)" }
    }

    struct LibraryMessages {
        static let limit = 200
        var kept: [LibraryMessage] = []
        var dropped = 0
    }

    /// The messages alsa-lib and libjack reported since the process started (the first 200;
    /// see ``droppedLibraryMessages``), oldest first.
    public static var libraryMessages: [LibraryMessage] { messages.withLock { $0.kept } }
    /// Messages beyond the first 200, counted but not kept.
    public static var droppedLibraryMessages: Int { messages.withLock { $0.dropped } }

    /// The C sink. Called on the thread the library reports from: the one inside `Pa_*` (which
    /// holds `shared`, hence a separate lock), or rarely a stream's audio thread on a device
    /// error; the lock is then taken on that error path only.
    private static func record(library: UnsafePointer<CChar>?, message: UnsafePointer<CChar>?) {
        let entry = LibraryMessage(
            library: library.map { String(cString: $0) } ?? "?",
            text: (message.map { String(cString: $0) } ?? "").droppingSurroundingWhitespace)
        messages.withLock { messages in
            if messages.kept.count < LibraryMessages.limit {
                messages.kept.append(entry)
            } else {
                messages.dropped += 1
            }
        }
    }

    // MARK: calls

    /// Runs `body` under the library lock, with PortAudio initialised (this handle is held).
    func withLibrary<T>(_ body: () throws(PortAudioError) -> T) throws(PortAudioError) -> T {
        precondition(!released.load(ordering: .acquiring), "PortAudioSystem used after release()")
        return try Self.shared.withLock { (_) throws(PortAudioError) -> T in try body() }
    }
}

/// Throws `PortAudioError.failed` for a negative `PaError` (device counts and indices share the type).
func check(_ code: PaError, _ call: String) throws(PortAudioError) {
    guard code < 0 else { return }
    throw portAudioError(code, call)
}

/// The error for `code`, with the host API's own text for `paUnanticipatedHostError`.
func portAudioError(_ code: PaError, _ call: String) -> PortAudioError {
    var message = String(cString: Pa_GetErrorText(code))
    if code == paUnanticipatedHostError.rawValue, let host = Pa_GetLastHostErrorInfo()?.pointee {
        let hostText = host.errorText.map { String(cString: $0) } ?? ""
        message += ": host error \(host.errorCode)\(hostText.isEmpty ? "" : " (\(hostText))")"
    }
    return .failed(call: call, code: Int(code), message: message)
}
