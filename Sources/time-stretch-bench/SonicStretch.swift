import CSonic

/// Debian's libsonic (Bill Cox's Sonic, PICOLA-style pitch-period removal and insertion for
/// speech), one stream per recording, its speed changed between schedule parts.
struct SonicStretch: SpeechStretcher {
    let name = "libsonic"

    mutating func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        guard let stream = sonicCreateStream(48_000, 1) else { return [] }
        defer { sonicDestroyStream(stream) }
        var output: [Float] = []
        output.reserveCapacity(input.count * 2)
        var buffer = [Float](repeating: 0, count: 4_096)
        func drain() {
            while true {
                let read = Int(sonicReadFloatFromStream(stream, &buffer, Int32(buffer.count)))
                guard read > 0 else { return }
                output.append(contentsOf: buffer[..<read])
            }
        }
        for (index, part) in schedule.parts.enumerated() where part.start < input.count {
            let end = index + 1 < schedule.parts.count ? min(schedule.parts[index + 1].start, input.count) : input.count
            // Sonic's speed is how much faster the output plays.
            sonicSetSpeed(stream, Float(1 / part.factor))
            input.withUnsafeBufferPointer { samples in
                // Sonic's prototype takes a mutable pointer but only reads the samples.
                guard let base = samples.baseAddress else { return }
                _ = sonicWriteFloatToStream(stream, UnsafeMutablePointer(mutating: base + part.start), Int32(end - part.start))
            }
            drain()
        }
        _ = sonicFlushStream(stream)
        drain()
        return output
    }
}
