import ConcordLive
import Testing

/// `concord join --input-wav FILE --loop`: the file plays again, seamlessly, each time it ends.
@Suite struct WAVFileInputLoopTests {
    @Test func loopingPlaysTheFileAgainSampleAfterSample() {
        let samples: [Float] = [1, 2, 3, 4, 5, 6, 7]
        let input = WAVFileInput(samples: samples, frameSamples: 4, atEnd: .loop)
        var frame: [Float] = []
        var played: [Float] = []
        for _ in 0..<7 {
            #expect(input.read(into: &frame))
            played += frame
        }
        // 28 samples: the 7-sample file four times over, no gap and no padding between rounds.
        #expect(played == Array(repeating: samples, count: 4).flatMap { $0 })
        input.stop()
        #expect(!input.read(into: &frame))
    }

    @Test func withoutLoopTheFileEndsInSilenceOrStops() {
        let samples: [Float] = [1, 2, 3, 4, 5, 6, 7]
        var frame: [Float] = []
        let silent = WAVFileInput(samples: samples, frameSamples: 4, atEnd: .silence)
        var played: [Float] = []
        for _ in 0..<3 {
            #expect(silent.read(into: &frame))
            played += frame
        }
        #expect(played == samples + Array(repeating: 0, count: 5))
        let stopping = WAVFileInput(samples: samples, frameSamples: 4, atEnd: .stop)
        #expect(stopping.read(into: &frame) && stopping.read(into: &frame))
        #expect(!stopping.read(into: &frame))
    }

    @Test func anEmptyLoopIsSilence() {
        let input = WAVFileInput(samples: [], frameSamples: 4, atEnd: .loop)
        var frame: [Float] = [9, 9, 9, 9]
        #expect(input.read(into: &frame))
        #expect(frame == [0, 0, 0, 0])
    }
}
