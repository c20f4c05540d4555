import CSoundTouch

/// Debian's SoundTouch (WSOLA: overlap-add of fixed-length sequences at the best-matching offset)
/// with the speech settings of its `soundstretch -speech` (40 ms sequences, 15 ms seek window,
/// 8 ms overlap), its tempo changed between schedule parts.
struct SoundTouchStretch: SpeechStretcher {
    let name = "soundtouch"
    // SETTING_SEQUENCE_MS, SETTING_SEEKWINDOW_MS and SETTING_OVERLAP_MS of soundtouch/SoundTouch.h,
    // a C++ header the C interface does not include.
    private static let sequenceMilliseconds: Int32 = 3, seekWindowMilliseconds: Int32 = 4, overlapMilliseconds: Int32 = 5

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        guard let touch = soundtouch_createInstance() else { return [] }
        defer { soundtouch_destroyInstance(touch) }
        _ = soundtouch_setSampleRate(touch, 48_000)
        _ = soundtouch_setChannels(touch, 1)
        _ = soundtouch_setSetting(touch, Self.sequenceMilliseconds, 40)
        _ = soundtouch_setSetting(touch, Self.seekWindowMilliseconds, 15)
        _ = soundtouch_setSetting(touch, Self.overlapMilliseconds, 8)
        var output: [Float] = []
        output.reserveCapacity(input.count * 2)
        var buffer = [Float](repeating: 0, count: 4_096)
        func drain() {
            while true {
                let read = Int(soundtouch_receiveSamples(touch, &buffer, UInt32(buffer.count)))
                guard read > 0 else { return }
                output.append(contentsOf: buffer[..<read])
            }
        }
        for (index, part) in schedule.parts.enumerated() where part.start < input.count {
            let end = index + 1 < schedule.parts.count ? min(schedule.parts[index + 1].start, input.count) : input.count
            // Tempo is how much faster the output plays.
            soundtouch_setTempo(touch, Float(1 / part.factor))
            input.withUnsafeBufferPointer { samples in
                guard let base = samples.baseAddress else { return }
                _ = soundtouch_putSamples(touch, base + part.start, UInt32(end - part.start))
            }
            drain()
        }
        _ = soundtouch_flush(touch)
        drain()
        return output
    }
}
