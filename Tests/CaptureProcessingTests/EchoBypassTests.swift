import CaptureProcessing
import Foundation
import Testing

/// A microphone that does not hear the loudspeaker (headphones; a file): once `EchoPresence`
/// says so, the processor sends what noise suppression alone makes of it, aligned so that the
/// switch neither repeats nor drops audio. Without the bypass AEC3 held such a near end 13–14 dB
/// down for the first 4–6 s of the far end's speech.
@Suite struct EchoBypassTests {
    /// The output of the whole chain and of the same chain without the echo canceller, near end
    /// `near` under far end `far` with no echo.
    static func bothChains(far: String, near: String, seconds: Double = 8) throws -> (room: EchoRoom, gated: [Float], plain: [Float], analyses: [CaptureAnalysisLite]) {
        let room = EchoRoom(far: try EchoRoom.speech(far), near: try EchoRoom.speech(near), seconds: seconds, gainDB: -300)
        let (gated, analyses) = room.run(try WebRTCAudioProcessor())
        let plain = room.run(try WebRTCAudioProcessor(.init(echoCancellation: false))).output
        return (room, gated, plain, analyses.map { CaptureAnalysisLite(echoHeard: $0.echoHeard) })
    }

    struct CaptureAnalysisLite { var echoHeard: Bool? }

    @Test(arguments: [("a.wav", "b.wav"), ("a.wav", "c.wav"), ("d.wav", "b.wav")])
    func aNearEndWithoutEchoIsSentAsNoiseSuppressionAloneSendsIt(far: String, near: String) throws {
        let (_, gated, plain, analyses) = try Self.bothChains(far: far, near: near)
        let alignment = 624
        guard let switched = analyses.firstIndex(where: { $0.echoHeard == false }) else {
            Issue.record("never decided that there is no echo")
            return
        }
        print("\(far) far, \(near) near, no echo: bypassed from \(switched * 10) ms")
        #expect(!analyses.contains { $0.echoHeard == true })
        #expect(switched <= 150)
        // From the chunk after the crossfade on, sample for sample what the plain chain sent 624 samples earlier.
        let from = (switched + 1) * 480
        var worst: Float = 0
        for i in from..<gated.count { worst = max(worst, abs(gated[i] - plain[i - alignment])) }
        #expect(worst == 0)
        // And the level in each second from then on is the plain chain's.
        for second in (from / 48_000 + 1)..<(gated.count / 48_000) {
            let r = second * 48_000..<(second + 1) * 48_000
            let difference = EchoRoom.dbfs(gated[r]) - EchoRoom.dbfs(plain[r])
            #expect(abs(difference) <= 0.5, "second \(second): \(difference) dB")
        }
    }

    /// Until `EchoPresence` decides, the echo canceller's output is sent: when the far end first
    /// speaks over a near end that has no echo, AEC3 with its default audibility rules held that
    /// voice down by 26–47 dB in 4 of the 100 ms windows before the switch, −8.7 and −2.2 dB over
    /// the span (a talker's ViSQOL in a call 3.30–3.47 against 4.32 unprocessed); with its
    /// render-stationarity rules (`aec3Config` in the shim) in one window (25 dB, a.wav over
    /// b.wav) or none, −3.7 and −0.3 dB over the span.
    @Test(arguments: [("a.wav", "b.wav"), ("d.wav", "c.wav")])
    func aNearEndWithoutEchoIsNotHeldDownWhenTheFarEndStarts(far: String, near: String) throws {
        let room = EchoRoom(
            far: [Float](repeating: 0, count: 96_000) + (try EchoRoom.speech(far)), near: try EchoRoom.speech(near), seconds: 4,
            gainDB: -300)
        let (gated, analyses) = room.run(try WebRTCAudioProcessor())
        let plain = room.run(try WebRTCAudioProcessor(.init(echoCancellation: false))).output
        let switched = analyses.firstIndex { $0.echoHeard == false } ?? analyses.count
        #expect(switched > 200, "the test needs the canceller's output sent after the far end starts")
        var heldDown: [Double] = []
        var sent = 0.0
        var alone = 0.0
        for start in stride(from: 96_000, to: switched * 480 - 4_800, by: 4_800) {
            let window = gated[start..<start + 4_800]
            let plainWindow = plain[start - 624..<start - 624 + 4_800]
            sent += EchoRoom.energy(window)
            alone += EchoRoom.energy(plainWindow)
            let difference = EchoRoom.dbfs(window) - EchoRoom.dbfs(plainWindow)
            if EchoRoom.dbfs(plainWindow) > -40, difference < -20 { heldDown.append(difference) }
        }
        let span = 10 * log10(sent / alone)
        print("\(far) far from 2 s over \(near), no echo, until \(switched * 10) ms: \(span) dB; 100 ms windows over 20 dB down: \(heldDown)")
        #expect(span > -6)
        #expect(heldDown.count <= 1)
    }

    /// Before the switch the echo canceller's output is sent, 624 samples behind the plain
    /// chain's: 384 of AEC3's, 240 of the residual echo's gain filter (the cross-correlation's
    /// peak over the speech before the switch: a window of a few hundred ms, so that the voice's
    /// pitch period does not repeat the peak); after it the plain chain's delayed by as much
    /// (above), so the crossfade mixes the same sound from both.
    @Test func theSwitchIsAligned() throws {
        let (_, gated, plain, analyses) = try Self.bothChains(far: "a.wav", near: "b.wav", seconds: 3)
        guard let switched = analyses.firstIndex(where: { $0.echoHeard == false }) else {
            Issue.record("never decided that there is no echo")
            return
        }
        let window = 4_800..<switched * 480
        var best = (lag: 0, c: -Double.infinity)
        for lag in 0...960 {
            var c = 0.0
            for i in window { c += Double(gated[i]) * Double(plain[i - lag]) }
            if c > best.c { best = (lag, c) }
        }
        #expect(best.lag == 624)
    }
}
