/// What libsonic and SoundTouch have in common: a stream that takes samples at a speed (how much
/// faster the output plays) and hands out stretched samples as they are ready.
protocol SpeedStream: AnyObject {
    func setSpeed(_ speed: Float)
    func write(_ samples: UnsafeBufferPointer<Float>)
    /// Up to `buffer.count` samples; 0 when none are ready.
    func read(into buffer: UnsafeMutableBufferPointer<Float>) -> Int
    /// Pushes out what the stream still holds.
    func flush()
}

extension SpeedStream {
    /// `input` played through the stream, its speed changed between the schedule's parts.
    func stretch(_ input: [Float], schedule: RateSchedule) -> [Float] {
        var output: [Float] = []
        output.reserveCapacity(input.count * 2)
        var buffer = [Float](repeating: 0, count: 4_096)
        func drain() {
            while true {
                let read = buffer.withUnsafeMutableBufferPointer { self.read(into: $0) }
                guard read > 0 else { return }
                output.append(contentsOf: buffer[..<read])
            }
        }
        for (range, factor) in schedule.spans(within: input.count) {
            setSpeed(Float(1 / factor))
            input.withUnsafeBufferPointer { write(UnsafeBufferPointer(rebasing: $0[range])) }
            drain()
        }
        flush()
        drain()
        return output
    }
}
