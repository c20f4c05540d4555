import Foundation

/// A fresh directory under the system temporary directory, removed when the value goes away.
final class AudioTemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("concord-audio-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        // Restore permissions first, or a chmod 000 test file could survive the cleanup.
        if let items = try? FileManager.default.contentsOfDirectory(atPath: url.path) {
            for item in items {
                try? FileManager.default.setAttributes(
                    [.posixPermissions: 0o700], ofItemAtPath: url.appendingPathComponent(item).path)
            }
        }
        try? FileManager.default.removeItem(at: url)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

enum AudioSignal {
    /// `seconds` of a sine at `frequency` Hz sampled at `rate`.
    static func sine(
        frequency: Double, rate: Int, seconds: Double, amplitude: Float = 0.5
    ) -> [Float] {
        let count = Int((Double(rate) * seconds).rounded())
        return (0..<count).map { n in
            amplitude * Float(sin(2 * Double.pi * frequency * Double(n) / Double(rate)))
        }
    }

    /// Interleaves per-channel arrays of equal length.
    static func interleave(_ channels: [[Float]]) -> [Float] {
        let frames = channels[0].count
        var out = [Float](repeating: 0, count: frames * channels.count)
        for frame in 0..<frames {
            for (c, channel) in channels.enumerated() { out[frame * channels.count + c] = channel[frame] }
        }
        return out
    }

    /// Frequency estimated from sign changes over the middle of the signal (edges skipped so the
    /// resampler's start-up and flush do not matter).
    static func estimatedFrequency(_ samples: [Float], rate: Int) -> Double {
        let skip = samples.count / 10
        let middle = samples[skip..<(samples.count - skip)]
        var crossings = 0
        var previous = middle.first ?? 0
        for sample in middle.dropFirst() {
            if (previous < 0) != (sample < 0) { crossings += 1 }
            previous = sample
        }
        return Double(crossings) / 2 / (Double(middle.count) / Double(rate))
    }

    /// Root-mean-square over the middle 80 %.
    static func rms(_ samples: [Float]) -> Double {
        let skip = samples.count / 10
        let middle = samples[skip..<(samples.count - skip)]
        let sum = middle.reduce(0.0) { $0 + Double($1) * Double($1) }
        return (sum / Double(middle.count)).squareRoot()
    }
}

/// Tests run as root in CI containers, where chmod 000 does not stop a read.
let audioTestsRunAsRoot = geteuid() == 0
