import Concord

/// What the metrics need of every analysed stream (a talker with a microphone, heard by each
/// other participant): the packets the talker sent to the listener, the ones that arrived, the
/// listener's playout events and jitter-buffer statistics, and what it played (a track on disk).
/// Each listener's mix is kept too.
///
/// Listener l's signal `trackIndex[l][t]` is what l played of talker t; the mixes follow the
/// tracks, so participant i's mix is signal `streamCount + i`.
final class StreamRecorder {
    let count: Int
    let signals: SpilledSignals
    let streamCount: Int
    private let trackIndex: [[Int?]]
    private let indexOfVoiceID: [PeerID: Int]
    /// sent[t][l]: what talker t addressed to listener l (in a room, only its view's members).
    private var sent: [[[SentPacketRecord]]]
    /// listenerAt[t][address]: the listener talker t has sent to at `address`.
    private var listenerAt: [[RoomAddress: Int]]
    private var sentUnwrap: [(SequenceUnwrapper<UInt16>, SequenceUnwrapper<UInt32>)]
    private var arrivals: [[[ArrivalRecord]]]
    private var arrivalUnwrap: [[(SequenceUnwrapper<UInt16>, SequenceUnwrapper<UInt32>)]]
    private var events: [[[PlayoutEvent]]]
    /// Statistics of receivers released when their talker left the listener's view.
    private var retired: [[JitterBufferStatistics?]]

    /// - Parameters:
    ///   - talkers: which participants have a microphone (their streams are analysed).
    ///   - voiceIDs: each participant's voice id.
    init(talkers: [Bool], voiceIDs: [PeerID], totalSamples: Int) throws {
        let count = talkers.count
        self.count = count
        indexOfVoiceID = Dictionary(uniqueKeysWithValues: voiceIDs.enumerated().map { ($1, $0) })
        var trackIndex = [[Int?]](repeating: [Int?](repeating: nil, count: count), count: count)
        var streamCount = 0
        for t in 0..<count where talkers[t] {
            for l in 0..<count where l != t {
                trackIndex[l][t] = streamCount
                streamCount += 1
            }
        }
        self.trackIndex = trackIndex
        self.streamCount = streamCount
        signals = try SpilledSignals(count: streamCount + count, length: totalSamples)
        sent = .init(repeating: .init(repeating: [], count: count), count: count)
        listenerAt = .init(repeating: [:], count: count)
        sentUnwrap = (0..<count).map { _ in (.init(), .init()) }
        arrivals = .init(repeating: .init(repeating: [], count: count), count: count)
        arrivalUnwrap = (0..<count).map { _ in (0..<count).map { _ in (.init(), .init()) } }
        events = .init(repeating: .init(repeating: [], count: count), count: count)
        retired = .init(repeating: .init(repeating: nil, count: count), count: count)
    }

    /// Records what listener `l` does with its receivers: playout events only for analysed
    /// streams (the others' would be taken and dropped every tick), and the final figures of a
    /// receiver released when its talker left.
    func attach(listener l: Int, to participant: Participant) {
        let recordOnlyAnalysed = { [unowned self] (receiver: VoiceReceiver) in
            guard let t = indexOfVoiceID[receiver.peer] else { return }
            receiver.recordsEvents = trackIndex[l][t] != nil
        }
        participant.receivers.forEach(recordOnlyAnalysed)
        participant.onReceiverAdded = recordOnlyAnalysed
        participant.onReceiverRemoved = { [unowned self] receiver in
            guard let t = indexOfVoiceID[receiver.peer] else { return }
            let taken = receiver.takeEvents()
            if trackIndex[l][t] != nil { events[l][t].append(contentsOf: taken) }
            retired[l][t] = retired[l][t].map { $0.adding(receiver.statistics) } ?? receiver.statistics
        }
    }

    /// Talker `t` sent `frame` at `now` to the peers it names.
    func noteSent(_ frame: VoiceClient.EncodedFrame, by t: Int, at now: Instant) {
        guard frame.bytes != nil, !frame.destinations.isEmpty else { return }
        let sequence = sentUnwrap[t].0.unwrap(frame.sequenceNumber), timestamp = sentUnwrap[t].1.unwrap(frame.timestamp)
        for destination in frame.destinations {
            if let l = indexOfVoiceID[destination.peer] {
                if listenerAt[t][destination.address] != l { listenerAt[t][destination.address] = l }
                sent[t][l].append(
                    SentPacketRecord(sequence: sequence, timestamp: timestamp, sendTime: now, bytes: destination.wireBytes))
            }
        }
    }

    /// Talker `t`'s security layer dropped a voice datagram for `address` that waited too long
    /// for its handshake: it never went on the wire, so it is no longer one of the sent packets.
    func noteDropped(_ plain: [UInt8], by t: Int, to address: RoomAddress) {
        guard let header = try? VoicePacket.Header.parse(plain),
            let l = listenerAt[t][address],
            let k = sent[t][l].lastIndex(where: { UInt16(truncatingIfNeeded: $0.sequence) == header.sequenceNumber })
        else { return }
        sent[t][l].remove(at: k)
    }

    /// A voice datagram reached listener `l` (whatever became of it).
    func noteArrival(_ arrival: VoiceClient.VoiceArrival, at l: Int) {
        guard let t = indexOfVoiceID[arrival.senderID], trackIndex[l][t] != nil else { return }
        arrivals[l][t].append(
            ArrivalRecord(
                sequence: arrivalUnwrap[l][t].0.unwrap(arrival.sequenceNumber),
                timestamp: arrivalUnwrap[l][t].1.unwrap(arrival.timestamp), arrivalTime: arrival.at, bytes: arrival.bytes))
    }

    /// Listener `l` played one pull at sample `position`: its analysed receivers' samples and
    /// events, and its mix.
    func notePlayout(of participant: Participant, listener l: Int, at position: Int) {
        for r in participant.receivers where r.recordsEvents {  // the others are not analysed
            guard let t = indexOfVoiceID[r.peer], let k = trackIndex[l][t] else { continue }
            signals.write(r.frame, signal: k, at: position)
            events[l][t].append(contentsOf: r.takeEvents())
        }
        signals.write(participant.mix, signal: streamCount + l, at: position)
    }

    /// The stream from talker `t` to listener `l`, up to the end of speech; nil when it is not
    /// analysed. Its track stays on disk (signal `track`).
    func record(
        from t: Int, to l: Int, endOfSpeech: Instant, listener: Participant, talkerID: PeerID
    ) -> (sent: [SentPacketRecord], arrivals: [ArrivalRecord], playout: [PlayoutEvent], jitterBuffer: JitterBufferStatistics, track: Int)? {
        guard let k = trackIndex[l][t] else { return nil }
        let spoken = sent[t][l].filter { $0.sendTime <= endOfSpeech }
        let lastTimestamp = spoken.last?.timestamp ?? -1
        let heard = arrivals[l][t].filter { $0.sequence <= (spoken.last?.sequence ?? -1) }
        let played = events[l][t].filter { e in
            e.timestamp.map { $0 <= lastTimestamp } ?? (e.playoutTime <= endOfSpeech)
        }
        let statistics: JitterBufferStatistics
        switch (retired[l][t], listener.receiver(for: talkerID)?.statistics) {
        case let (a?, b?): statistics = a.adding(b)
        case let (a?, nil): statistics = a
        case let (nil, b?): statistics = b
        case (nil, nil): statistics = JitterBufferStatistics()
        }
        return (spoken, heard, played, statistics, k)
    }
}
