import CSoundTouch

/// Debian's SoundTouch (WSOLA: overlap-add of fixed-length sequences at the best-matching offset)
/// with the speech settings of its `soundstretch -speech` (40 ms sequences, 15 ms seek window,
/// 8 ms overlap), its tempo changed between schedule parts.
struct SoundTouchStretch: SpeechStretcher {
    let name = "soundtouch"

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        SoundTouchStream().map { $0.stretch(input, schedule: schedule) } ?? []
    }
}

private final class SoundTouchStream: SpeedStream {
    // SETTING_SEQUENCE_MS, SETTING_SEEKWINDOW_MS and SETTING_OVERLAP_MS of soundtouch/SoundTouch.h,
    // a C++ header the C interface does not include.
    private static let sequenceMilliseconds: Int32 = 3, seekWindowMilliseconds: Int32 = 4, overlapMilliseconds: Int32 = 5
    private let touch: HANDLE

    init?() {
        guard let touch = soundtouch_createInstance() else { return nil }
        self.touch = touch
        _ = soundtouch_setSampleRate(touch, 48_000)
        _ = soundtouch_setChannels(touch, 1)
        _ = soundtouch_setSetting(touch, Self.sequenceMilliseconds, 40)
        _ = soundtouch_setSetting(touch, Self.seekWindowMilliseconds, 15)
        _ = soundtouch_setSetting(touch, Self.overlapMilliseconds, 8)
    }

    deinit { soundtouch_destroyInstance(touch) }

    /// SoundTouch's tempo is how much faster the output plays.
    func setSpeed(_ speed: Float) { soundtouch_setTempo(touch, speed) }

    func write(_ samples: UnsafeBufferPointer<Float>) {
        _ = soundtouch_putSamples(touch, samples.baseAddress, UInt32(samples.count))
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) -> Int {
        Int(soundtouch_receiveSamples(touch, buffer.baseAddress, UInt32(buffer.count)))
    }

    func flush() { _ = soundtouch_flush(touch) }
}
