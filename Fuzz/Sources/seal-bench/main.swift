import Concord
import Foundation

/// Seal+open cost per voice packet under a pair session's key, run by hand in release:
/// `swift run -c release --package-path Fuzz seal-bench`. Prints overhead and µs per packet for
/// typical Opus payload sizes (20 ms frames at 16, 32 and 64 kbit/s, plus one RED block).
let roomKey = RoomKey(secret: .generate(), roomID: "bench")
let ours = PairwiseHandshake(identity: .generate(), roomKey: roomKey, sender: Array("a".utf8))
let theirs = PairwiseHandshake(identity: .generate(), roomKey: roomKey, sender: Array("b".utf8))
let key = try ours.complete(with: theirs.offer).sending
let iterations = 200_000
print("overhead per packet: \(SealedFormat.overhead) bytes")
for payloadBytes in [40, 80, 160, 320] {
    let sealer = PacketSealer(key: key)
    let opener = PacketOpener<PeerID>()
    opener.install(key, for: 1)
    let plain = VoicePacket(senderID: 1, sequenceNumber: 0, timestamp: 0, payload: [UInt8](repeating: 0x5a, count: payloadBytes)).serialize()
    var header = Array(plain[0..<VoicePacket.headerLength])
    header[2] |= VoicePacket.Flags.sealed.rawValue
    let body = Array(plain[VoicePacket.headerLength...])
    var sealed: [[UInt8]] = []
    sealed.reserveCapacity(iterations)
    let t0 = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<iterations { sealed.append(try sealer.seal(header: header, body: body)) }
    let t1 = DispatchTime.now().uptimeNanoseconds
    for packet in sealed { _ = try opener.open(packet, headerLength: VoicePacket.headerLength, sender: 1) }
    let t2 = DispatchTime.now().uptimeNanoseconds
    precondition(opener.counters.opened == iterations)
    let seal = Double(t1 - t0) / Double(iterations) / 1000
    let open = Double(t2 - t1) / Double(iterations) / 1000
    print(String(format: "payload %4d B (packet %4d → %4d B): seal %.2f µs, open %.2f µs, seal+open %.2f µs", payloadBytes, plain.count, plain.count + SealedFormat.overhead, seal, open, seal + open))
}
