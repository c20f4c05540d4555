import Logging

/// One person in a voice room: a sender to every peer, a receiver per peer, and a mixer.
///
/// A state machine like the rest of the engine: its `VoiceClient` calls `encode` with each
/// captured frame, hands every voice packet that arrived to `receive`, and calls `playout` once
/// per pull of `pullSamples` — 5 ms, or the codec frame when that is shorter — so that playout
/// waits for its next turn a few milliseconds at most, not up to a codec frame; each call
/// takes `now`. Nothing here reads a clock, sleeps, spawns tasks or takes locks.
public final class Participant {
    public let id: PeerID
    public let sender: VoiceSender
    public let jitterBufferSettings: JitterBufferSettings
    /// Makes the playout of one remote stream (its peer, samples per frame).
    public typealias MakePlayout = (_ peer: PeerID, _ frameSamples: Int) throws -> any StreamPlayout
    /// nil: Concord's `JitterBufferPlayout` with `jitterBufferSettings`.
    private let makePlayout: MakePlayout?
    public private(set) var mixer: Mixer
    /// Samples each `playout` produces: 5 ms, or the codec frame when that is shorter.
    public let pullSamples: Int
    /// Receivers by peer, in the order peers were added (so mixes are reproducible).
    public private(set) var receivers: [VoiceReceiver] = []
    /// The last mixed frame.
    public private(set) var mix: [Float]
    /// When true, `encode` encodes and sends nothing; peers hear a pause, not loss.
    public var muted = false
    /// Echo cancellation and the rest, between the microphone and the encoder; nil: none.
    /// Its chunk must divide `frameSamples` and be a whole number of pulls (or divide a pull).
    public private(set) var captureProcessor: (any CaptureProcessor)?
    /// The mixes played since the processor last analysed a chunk of them.
    private var renderChunk: [Float] = []
    /// What the processor made of the last captured frame; nil without one.
    public private(set) var lastCapture: CaptureAnalysis?
    /// The processor's voice decisions with a hangover; never speaking without a processor.
    /// Under DTX, a frame captured while it says silence is encoded as digital silence, so the
    /// encoder stops sending in pauses rather than sending the room's noise and any echo left.
    public private(set) var voiceActivity: VoiceActivity
    /// Called with a receiver just before it is released (its final statistics and events).
    public var onReceiverRemoved: ((VoiceReceiver) -> Void)?
    /// Called with each new receiver before it plays (a driver may set `recordsEvents`).
    public var onReceiverAdded: ((VoiceReceiver) -> Void)?
    /// Told around every encode and decode (CPU accounting in the benchmark).
    public weak var codecObserver: CodecObserver? {
        didSet {
            sender.codecObserver = codecObserver
            for r in receivers { r.codecObserver = codecObserver }
        }
    }
    private let logger: Logger

    public struct Statistics: Sendable, Equatable, Codable {
        /// Datagrams that did not parse as voice packets (counted and dropped).
        public var malformedPackets = 0
        /// Well-formed packets from a sender that is not a peer of this participant.
        public var unknownSenderPackets = 0
    }
    public private(set) var statistics = Statistics()

    public init(
        id: PeerID, codec: OpusSettings = .init(), jitterBuffer: JitterBufferSettings = .init(),
        redundantFrames: Int = 0, copyBitrate: Int? = nil, playout makePlayout: MakePlayout? = nil,
        logger: Logger = Logger(label: "concord.participant")
    ) throws {
        try jitterBuffer.validate()
        self.id = id
        self.sender = try VoiceSender(
            senderID: id, settings: codec, redundantFrames: redundantFrames, copyBitrate: copyBitrate)
        self.jitterBufferSettings = jitterBuffer
        self.makePlayout = makePlayout
        self.pullSamples = Self.pullSamples(frameSamples: codec.frameSamples)
        self.mixer = Mixer(frameSamples: pullSamples)
        self.mix = [Float](repeating: 0, count: pullSamples)
        self.voiceActivity = VoiceActivity(frameSamples: codec.frameSamples)
        self.logger = logger
    }

    public var frameSamples: Int { sender.frameSamples }

    /// 5 ms, or the codec frame when that is shorter: what the devices and the mixer pull. A
    /// frame that arrives just after a pull waits for the next: half a pull on average (with
    /// 10 ms pulls a LAN call's mouth-to-ear sat 5 ms higher, median over 24 streams 34.7 →
    /// 30.0 ms). Sound cards commonly run periods this short (256 frames at 48 kHz: 5.3 ms).
    public static func pullSamples(frameSamples: Int) -> Int {
        min(frameSamples, AudioFormat.samples(milliseconds: 5))
    }
    public var peers: [PeerID] { receivers.map(\.peer) }
    public func receiver(for peer: PeerID) -> VoiceReceiver? { receivers.first { $0.peer == peer } }

    /// Starts sending to and receiving from `peer` (idempotent).
    public func addPeer(_ peer: PeerID) throws {
        guard peer != id, receiver(for: peer) == nil else { return }
        let receiver: VoiceReceiver
        if let makePlayout {
            receiver = VoiceReceiver(peer: peer, pullSamples: pullSamples, stream: try makePlayout(peer, frameSamples))
        } else {
            receiver = try VoiceReceiver(
                peer: peer, frameMilliseconds: sender.encoder.settings.frameMilliseconds, pullSamples: pullSamples,
                jitterBuffer: jitterBufferSettings)
        }
        receiver.codecObserver = codecObserver
        receivers.append(receiver)
        onReceiverAdded?(receiver)
        logger.debug("peer added", metadata: ["peer": "\(peer)"])
    }

    /// Stops the stream with `peer` and releases its jitter buffer and decoder.
    public func removePeer(_ peer: PeerID) {
        if let receiver = receiver(for: peer) { onReceiverRemoved?(receiver) }
        receivers.removeAll { $0.peer == peer }
        mixer.removeGain(for: peer)
        logger.debug("peer removed", metadata: ["peer": "\(peer)"])
    }

    public func setGain(_ gain: Float, for peer: PeerID) { mixer.setGain(gain, for: peer) }

    /// Puts `processor` on the capture path (nil takes it off).
    public func setCaptureProcessor(_ processor: (any CaptureProcessor)?) throws(CaptureProcessorError) {
        if let processor {
            let chunk = processor.chunkSamples
            guard chunk > 0, pullSamples % chunk == 0 || chunk % pullSamples == 0, frameSamples % chunk == 0 else {
                throw CaptureProcessorError(
                    description: "audio processing works on \(chunk)-sample chunks; pulls of \(pullSamples) and frames of "
                        + "\(frameSamples) samples do not fit them (use 10 ms frames or longer)")
            }
        }
        captureProcessor = processor
        renderChunk.removeAll()
        lastCapture = nil
        voiceActivity = VoiceActivity(frameSamples: frameSamples)
    }

    /// Encodes one captured frame for every peer: the voice datagram, or nil when nothing is sent
    /// (muted, no peers, or the encoder suppressed the frame).
    public func encode(_ frame: [Float]) throws -> [UInt8]? {
        try encodePacket(frame).map(sender.serialize)
    }

    /// `encode`, before serializing: the packet with every copy the sender makes.
    public func encodePacket(_ frame: [Float]) throws -> VoicePacket? {
        var frame = frame
        // Processed even when nothing is sent: the echo canceller keeps its estimate of the
        // room, and the level is shown while muted.
        if let captureProcessor {
            let analysis = captureProcessor.processCapture(&frame)
            lastCapture = analysis
            voiceActivity.note(voiceDetected: analysis.voiceDetected)
            if sender.encoder.settings.dtx && !voiceActivity.isSpeaking {
                for i in frame.indices { frame[i] = 0 }
            }
        }
        guard !muted, !receivers.isEmpty else {
            sender.skipFrame()
            return nil
        }
        return try sender.packetize(frame)
    }

    /// Counts a datagram that reached the voice pipeline and could not be read as voice.
    public func noteMalformed(_ reason: WireError?) {
        statistics.malformedPackets += 1
        logger.trace("malformed voice packet dropped", metadata: ["reason": "\(reason.map { "\($0)" } ?? "not voice")"])
    }

    /// Takes one parsed voice packet; one from a sender that is not a peer is counted and dropped.
    public func receive(_ packet: VoicePacket, now: Instant) {
        guard let receiver = receiver(for: packet.senderID) else {
            statistics.unknownSenderPackets += 1
            return
        }
        receiver.receive(packet, now: now)
    }

    /// Produces one pull (`pullSamples`) per remote stream and their mix (`mix`).
    public func playout(now: Instant) {
        for receiver in receivers { receiver.playout(now: now) }
        mixPlayedFrames()
    }

    /// Mixes the frames the receivers produced last into `mix`. For drivers that call each
    /// `VoiceReceiver.playout(now:)` themselves — receivers share no state, so a driver may
    /// run them on several threads — and then mix.
    public func mixPlayedFrames() {
        mixer.begin(&mix)
        // A silent frame adds +0.0 to every sample, which leaves the mix bit-identical (the mix
        // starts at +0.0 and a sum is -0.0 only when both terms are): skipping it is free.
        for receiver in receivers where !receiver.frameIsSilence { mixer.add(receiver.frame, from: receiver.peer, to: &mix) }
        mixer.finish(&mix)
        guard let captureProcessor else { return }
        guard mix.count < captureProcessor.chunkSamples else { return captureProcessor.analyzeRender(mix) }
        renderChunk += mix
        if renderChunk.count >= captureProcessor.chunkSamples {
            captureProcessor.analyzeRender(renderChunk)
            renderChunk.removeAll(keepingCapacity: true)
        }
    }
}

/// A capture processor that cannot work with a participant's frames.
public struct CaptureProcessorError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(description: String) { self.description = description }
}
