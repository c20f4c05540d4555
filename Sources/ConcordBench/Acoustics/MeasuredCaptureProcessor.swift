import Concord

/// A participant's capture processor as the bench sees it: the CPU time it takes (on the
/// calling thread's clock, as codec time is counted) and the last frame before and after it, so
/// the report can score the near end's voice in double talk.
final class MeasuredCaptureProcessor: CaptureProcessor {
    private let processor: any CaptureProcessor
    private(set) var cpuNanoseconds: UInt64 = 0
    private(set) var capturedSamples = 0
    private(set) var lastInput: [Float] = []
    private(set) var lastOutput: [Float] = []

    init(_ processor: any CaptureProcessor) { self.processor = processor }

    var chunkSamples: Int { processor.chunkSamples }

    func analyzeRender(_ pull: [Float]) {
        let start = ThreadCPUMeter.threadNanoseconds()
        processor.analyzeRender(pull)
        cpuNanoseconds &+= ThreadCPUMeter.threadNanoseconds() &- start
    }

    func processCapture(_ frame: inout [Float]) -> CaptureAnalysis {
        // Copied into buffers of their own, kept between frames: assigning `frame` would share
        // its storage and make the processor's in-place write allocate a new one every frame.
        Self.copy(frame, into: &lastInput)
        capturedSamples += frame.count
        let start = ThreadCPUMeter.threadNanoseconds()
        let analysis = processor.processCapture(&frame)
        cpuNanoseconds &+= ThreadCPUMeter.threadNanoseconds() &- start
        Self.copy(frame, into: &lastOutput)
        return analysis
    }

    private static func copy(_ frame: [Float], into buffer: inout [Float]) {
        buffer.removeAll(keepingCapacity: true)
        buffer.append(contentsOf: frame)
    }
}
