/// What a participant does to its microphone's audio before encoding it: echo cancellation
/// against what its loudspeaker played, noise suppression, gain control and a voice decision.
///
/// A `Participant` with a processor hands it what it mixes for the loudspeaker, a chunk at a
/// time (`analyzeRender`, the far end) and every captured frame before encoding (`processCapture`),
/// on the engine's thread, in the order they happen. The bench and the live client run the same
/// processor (`CaptureProcessing.WebRTCAudioProcessor`), so what the bench measures is what a
/// user hears.
public protocol CaptureProcessor: AnyObject {
    /// Samples per call: frames must be whole multiples of it (pulls shorter than a chunk are
    /// gathered into one before `analyzeRender`).
    var chunkSamples: Int { get }
    /// What the loudspeaker played: one pull, or the pulls that make up one chunk.
    func analyzeRender(_ pull: [Float])
    /// One captured frame, processed in place; what the processor made of it.
    func processCapture(_ frame: inout [Float]) -> CaptureAnalysis
}

/// A processor's account of one captured frame.
public struct CaptureAnalysis: Sendable, Equatable {
    /// The processed frame holds voice (any of its chunks did).
    public var voiceDetected: Bool
    /// RMS level of the frame before and after processing, dBFS (−100 for digital silence).
    public var inputLevelDBFS: Double
    public var outputLevelDBFS: Double
    /// The echo canceller's own estimates, nil before it has them (or with it off): echo
    /// return loss enhancement (dB) and the delay it found from loudspeaker to microphone (ms).
    public var echoReturnLossEnhancementDB: Double?
    public var echoDelayMilliseconds: Int?
    /// Whether the microphone hears the loudspeaker at all: nil while undecided or unknown (no
    /// echo canceller); false where the canceller is bypassed.
    public var echoHeard: Bool?

    public init(
        voiceDetected: Bool, inputLevelDBFS: Double, outputLevelDBFS: Double, echoReturnLossEnhancementDB: Double? = nil,
        echoDelayMilliseconds: Int? = nil, echoHeard: Bool? = nil
    ) {
        self.voiceDetected = voiceDetected
        self.inputLevelDBFS = inputLevelDBFS
        self.outputLevelDBFS = outputLevelDBFS
        self.echoReturnLossEnhancementDB = echoReturnLossEnhancementDB
        self.echoDelayMilliseconds = echoDelayMilliseconds
        self.echoHeard = echoHeard
    }
}
