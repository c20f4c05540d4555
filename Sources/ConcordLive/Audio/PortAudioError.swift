/// Why a sound device could not be listed, chosen, opened or run.
public enum PortAudioError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A `Pa_*` call failed. `message` is `Pa_GetErrorText(code)`; for
    /// `paUnanticipatedHostError` it also carries the host API's own text
    /// (`Pa_GetLastHostErrorInfo`), e.g. ALSA's "Device or resource busy".
    case failed(call: String, code: Int, message: String)
    /// No device with channels in `direction` has this index or name.
    case unknownDevice(spec: String, direction: AudioDirection, available: [AudioDeviceInfo])
    /// Several devices match the name.
    case ambiguousDevice(spec: String, direction: AudioDirection, matches: [AudioDeviceInfo], available: [AudioDeviceInfo])
    /// The device has no channels in `direction` (an output-only device chosen as microphone).
    case wrongDirection(device: AudioDeviceInfo, direction: AudioDirection, available: [AudioDeviceInfo])
    /// No device was named and PortAudio has no default device for `direction`.
    case noDefaultDevice(direction: AudioDirection, available: [AudioDeviceInfo])
    /// The device cannot do 48 kHz Float32 with one or two channels.
    case unsupportedFormat(device: AudioDeviceInfo, direction: AudioDirection, reason: String)

    public var description: String {
        switch self {
        case .failed(let call, let code, let message):
            return "PortAudio \(call) failed: \(message) (error \(code))."
        case .unknownDevice(let spec, let direction, let available):
            let what = spec.isEmpty ? "An empty device name matches no \(direction) device." : "No \(direction) device matches '\(spec)'."
            return what + " " + Self.listing(available, direction)
        case .ambiguousDevice(let spec, let direction, let matches, let available):
            return "'\(spec)' matches \(matches.count) \(direction) devices: "
                + matches.map { "\($0.index) '\($0.name)'" }.joined(separator: ", ")
                + "; use the index or more of the name. " + Self.listing(available, direction)
        case .wrongDirection(let device, let direction, let available):
            return "Device \(device.index) '\(device.name)' has no \(direction) channels. " + Self.listing(available, direction)
        case .noDefaultDevice(let direction, let available):
            return "PortAudio has no default \(direction) device; name one. " + Self.listing(available, direction)
        case .unsupportedFormat(let device, let direction, let reason):
            return "Device \(device.index) '\(device.name)' (\(device.hostAPI)) cannot \(direction == .input ? "capture" : "play") "
                + "48 kHz Float32 mono or stereo: \(reason). On Linux, an ALSA plug device such as 'default' or "
                + "'plughw:…' converts rates and formats; 'hw:…' devices do not."
        }
    }

    /// "Input devices: 0 'a' (ALSA, 2 in, 0 out); …" — or that there are none.
    static func listing(_ devices: [AudioDeviceInfo], _ direction: AudioDirection) -> String {
        let label = direction == .input ? "Input" : "Output"
        guard !devices.isEmpty else { return "PortAudio found no \(direction) devices (see `concord devices`)." }
        return "\(label) devices (choose by index or by a unique part of the name): "
            + devices.map { "\($0.index) '\($0.name)' (\($0.hostAPI)\($0.isDefault(direction) ? ", default" : ""))" }
            .joined(separator: "; ") + "."
    }
}
