import Testing
@testable import Concord

/// The fast path for receivers that play silence (most of them in a big room): what a driver
/// may rely on when it skips them (`isQuiet`, `frameIsSilence`, `recordsEvents`).
@Suite struct VoiceReceiverQuietTests {
    @Test func quietUntilAPacketArrivesAndSilentFramesAreZeros() throws {
        let receiver = try VoiceReceiver(peer: 2, frameMilliseconds: 20, jitterBuffer: .init())
        #expect(receiver.isQuiet)
        receiver.playout(now: .milliseconds(20))
        #expect(receiver.frameIsSilence)
        #expect(receiver.frame.allSatisfy { $0 == 0 })

        let sender = try VoiceSender(senderID: 2, settings: .init())
        let tone = TestSignals.sine(hz: 440, seconds: 0.02, amplitude: 0.5)
        var audibleFrames = 0
        for k in 0..<25 {
            if let bytes = try sender.send(tone) {
                receiver.receive(try VoicePacket.parse(bytes), now: .milliseconds(Double(k) * 20 + 25))
                #expect(!receiver.isQuiet)
            }
            receiver.playout(now: .milliseconds(Double(k) * 20 + 40))
            if !receiver.frameIsSilence, receiver.frame.contains(where: { $0 != 0 }) { audibleFrames += 1 }
            // A frame flagged silent is always all zeros (a mixer skips it).
            if receiver.frameIsSilence { #expect(receiver.frame.allSatisfy { $0 == 0 }) }
        }
        #expect(audibleFrames > 10)
    }

    @Test func eventsAreLoggedOnlyWhileRecording() throws {
        var settings = JitterBufferSettings()
        settings.recordEvents = true
        let receiver = try VoiceReceiver(peer: 2, frameMilliseconds: 20, jitterBuffer: settings)
        #expect(receiver.recordsEvents)
        receiver.playout(now: .milliseconds(20))
        #expect(receiver.takeEvents().count == 1)
        receiver.recordsEvents = false
        receiver.playout(now: .milliseconds(40))
        #expect(receiver.takeEvents().isEmpty)
    }

    /// With 10 ms pulls of a 20 ms codec, each pulled sample is counted once, whether it was
    /// decoded, stretched or silence after the talker stopped.
    @Test func tenMillisecondPullsCountEachSampleOnce() throws {
        let receiver = try VoiceReceiver(peer: 2, frameMilliseconds: 20, pullSamples: 480, jitterBuffer: .init())
        let sender = try VoiceSender(senderID: 2, settings: .init())
        let tone = TestSignals.sine(hz: 440, seconds: 0.02, amplitude: 0.5)
        var pulledSinceStart = 0
        for pull in 0..<400 {
            let now = Instant.milliseconds(Double(pull) * 10)
            if pull % 2 == 0, pull < 100, let bytes = try sender.send(tone) {
                receiver.receive(try VoicePacket.parse(bytes), now: now.advanced(byMilliseconds: 5))
            }
            receiver.playout(now: now.advanced(byMilliseconds: 5))
            if pulledSinceStart > 0 || !receiver.frameIsSilence { pulledSinceStart += 480 }
        }
        let s = receiver.statistics
        #expect(s.silentSamples > 100 * 480)
        #expect(s.totalSamplesReceived + s.insertedSamplesForDeceleration - s.removedSamplesForAcceleration == pulledSinceStart)
    }

    /// A member who never talks costs a listener nothing per pull, and counts nothing.
    @Test func aStreamThatNeverArrivedIsSkippedAndCountsNothing() throws {
        let receiver = try VoiceReceiver(peer: 2, frameMilliseconds: 20, pullSamples: 480, jitterBuffer: .init())
        for pull in 0..<50 { receiver.playout(now: .milliseconds(Double(pull) * 10)) }
        #expect(receiver.frameIsSilence && receiver.isQuiet)
        #expect(receiver.statistics.totalSamplesReceived == 0 && receiver.statistics.silentSamples == 0)
    }
}
