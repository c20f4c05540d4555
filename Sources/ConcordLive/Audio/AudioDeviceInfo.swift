/// A sound device as PortAudio describes it.
///
/// `index` is PortAudio's device index: valid while PortAudio stays initialised (while some
/// ``PortAudioSystem`` handle is held); after a full terminate and re-initialise the list is
/// enumerated afresh and indices may change.
public struct AudioDeviceInfo: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var name: String
    /// The host API the device belongs to: "ALSA", "OSS", "JACK Audio Connection Kit", "Core Audio"…
    public var hostAPI: String
    public var maxInputChannels: Int
    public var maxOutputChannels: Int
    /// The device's own preferred rate; Concord always opens at 48 kHz.
    public var defaultSampleRate: Double
    /// PortAudio's default latency for interactive use, in seconds.
    public var defaultLowInputLatency: Double
    public var defaultLowOutputLatency: Double
    /// PortAudio's default input / output device (of the default host API).
    public var isDefaultInput: Bool
    public var isDefaultOutput: Bool

    public init(
        index: Int, name: String, hostAPI: String, maxInputChannels: Int, maxOutputChannels: Int,
        defaultSampleRate: Double, defaultLowInputLatency: Double, defaultLowOutputLatency: Double,
        isDefaultInput: Bool = false, isDefaultOutput: Bool = false
    ) {
        self.index = index
        self.name = name
        self.hostAPI = hostAPI
        self.maxInputChannels = maxInputChannels
        self.maxOutputChannels = maxOutputChannels
        self.defaultSampleRate = defaultSampleRate
        self.defaultLowInputLatency = defaultLowInputLatency
        self.defaultLowOutputLatency = defaultLowOutputLatency
        self.isDefaultInput = isDefaultInput
        self.isDefaultOutput = isDefaultOutput
    }

    public func maxChannels(_ direction: AudioDirection) -> Int {
        direction == .input ? maxInputChannels : maxOutputChannels
    }

    public func defaultLowLatency(_ direction: AudioDirection) -> Double {
        direction == .input ? defaultLowInputLatency : defaultLowOutputLatency
    }

    public func isDefault(_ direction: AudioDirection) -> Bool {
        direction == .input ? isDefaultInput : isDefaultOutput
    }

    /// `3 'USB Audio: - (hw:1,0)' (ALSA, 2 in, 0 out)`.
    public var description: String {
        "\(index) '\(name)' (\(hostAPI), \(maxInputChannels) in, \(maxOutputChannels) out)"
    }

    /// Chooses the device `spec` names among `devices`, for `direction`.
    ///
    /// `spec` is a PortAudio index ("3"), or a name: an exact match wins, then a case-insensitive
    /// exact match, then the one device whose name contains `spec` ignoring case. Only devices
    /// with channels in `direction` are candidates for a name.
    ///
    /// - Throws: `PortAudioError.unknownDevice`, `.ambiguousDevice` or `.wrongDirection`; their
    ///   descriptions list the devices there are to choose from.
    public static func find(
        _ spec: String, direction: AudioDirection, in devices: [AudioDeviceInfo]
    ) throws(PortAudioError) -> AudioDeviceInfo {
        let candidates = devices.filter { $0.maxChannels(direction) > 0 }
        let wanted = spec.droppingSurroundingWhitespace
        if let index = Int(wanted) {
            guard let device = devices.first(where: { $0.index == index }) else {
                throw .unknownDevice(spec: wanted, direction: direction, available: candidates)
            }
            guard device.maxChannels(direction) > 0 else {
                throw .wrongDirection(device: device, direction: direction, available: candidates)
            }
            return device
        }
        guard !wanted.isEmpty else {
            throw .unknownDevice(spec: wanted, direction: direction, available: candidates)
        }
        let exact = candidates.filter { $0.name == wanted }
        if exact.count == 1 { return exact[0] }
        if exact.count > 1 {
            throw .ambiguousDevice(spec: wanted, direction: direction, matches: exact, available: candidates)
        }
        let lowered = wanted.lowercased()
        let caseless = candidates.filter { $0.name.lowercased() == lowered }
        if caseless.count == 1 { return caseless[0] }
        if caseless.count > 1 {
            throw .ambiguousDevice(spec: wanted, direction: direction, matches: caseless, available: candidates)
        }
        let containing = candidates.filter { $0.name.lowercased().contains(lowered) }
        if containing.count == 1 { return containing[0] }
        if containing.count > 1 {
            throw .ambiguousDevice(spec: wanted, direction: direction, matches: containing, available: candidates)
        }
        let otherWay = devices.filter { $0.maxChannels(direction) == 0 && $0.name.lowercased().contains(lowered) }
        if otherWay.count == 1 {
            throw .wrongDirection(device: otherWay[0], direction: direction, available: candidates)
        }
        throw .unknownDevice(spec: wanted, direction: direction, available: candidates)
    }
}

extension String {
    var droppingSurroundingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
