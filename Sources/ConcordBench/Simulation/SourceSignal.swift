import Concord

/// What a virtual participant says over the whole run, sample by sample from time 0: the WAV
/// from its start offset (looped or not), gated by the talk schedule.
enum SourceSignal {
    static func build(wav: [Float], participant p: ResolvedScenario.Participant, totalSamples: Int) -> [Float] {
        var out = [Float](repeating: 0, count: totalSamples)
        guard !wav.isEmpty else { return out }
        let rate = Double(AudioFormat.sampleRate)
        let start = Int((p.startSeconds * rate).rounded())
        guard start < totalSamples else { return out }
        out.withUnsafeMutableBufferPointer { o in
            wav.withUnsafeBufferPointer { w in
                var i = start
                while i < totalSamples {
                    let n = min(w.count, totalSamples - i)
                    _ = UnsafeMutableBufferPointer(rebasing: o[i..<i + n]).update(fromContentsOf: w[0..<n])
                    i += n
                    if !p.loop { break }
                }
            }
        }
        if let talk = p.talk {
            for i in out.indices where !talk.contains(where: { $0.contains(Double(i) / rate) }) { out[i] = 0 }
        }
        return out
    }
}
