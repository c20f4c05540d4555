import Testing
@testable import Concord

@Test func samplesPerFrame() {
    #expect(AudioFormat.samples(milliseconds: 20) == 960)
    #expect(AudioFormat.samples(milliseconds: 10) == 480)
}
