import CSonic

/// Debian's libsonic (Bill Cox's Sonic, PICOLA-style pitch-period removal and insertion for
/// speech), one stream per recording, its speed changed between schedule parts.
struct SonicStretch: SpeechStretcher {
    let name = "libsonic"

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        SonicStream().map { $0.stretch(input, schedule: schedule) } ?? []
    }
}

private final class SonicStream: SpeedStream {
    private let stream: sonicStream

    init?() {
        guard let stream = sonicCreateStream(48_000, 1) else { return nil }
        self.stream = stream
    }

    deinit { sonicDestroyStream(stream) }

    func setSpeed(_ speed: Float) { sonicSetSpeed(stream, speed) }

    func write(_ samples: UnsafeBufferPointer<Float>) {
        // Sonic's prototype takes a mutable pointer but only reads the samples.
        guard let base = samples.baseAddress else { return }
        _ = sonicWriteFloatToStream(stream, UnsafeMutablePointer(mutating: base), Int32(samples.count))
    }

    func read(into buffer: UnsafeMutableBufferPointer<Float>) -> Int {
        Int(sonicReadFloatFromStream(stream, buffer.baseAddress, Int32(buffer.count)))
    }

    func flush() { _ = sonicFlushStream(stream) }
}
