import Concord
import Foundation

/// CPU a member spends per forged handshake initiation, run by hand in release:
/// `swift run -c release --package-path Fuzz handshake-flood-bench [count] [datagram-bytes]`.
///
/// An outsider knows the public room tag, so it can send initiations that pass every check
/// short of authentication: the right header and key id, a fresh random session salt each, a
/// random body and tag. Each one is fed to one `SecureTransport.receive` from one of 256
/// spoofed addresses; the CPU time of the loop (this thread's CPU clock, so other processes on
/// the machine do not count) divided by the count is the cost per forged initiation. Every
/// datagram must be counted as a drop, and nothing may be sent back.
let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let count = arguments.first ?? 200_000
let datagramBytes = arguments.dropFirst().first ?? 294
guard count > 0, datagramBytes >= 48 else {
    print("usage: handshake-flood-bench [count > 0] [datagram-bytes >= 48]")
    exit(64)
}

let roomKey = RoomKey(secret: .generate(), roomID: "bench")
let victim = SecureTransport(
    roomKey: roomKey, identity: .generate(), clientID: "victim", sessionSalt: SecureTransport.randomSalt())
func randomBytes(_ n: Int) -> [UInt8] {
    var random = SystemRandomNumberGenerator()
    return (0..<n).map { _ in UInt8.random(in: 0...255, using: &random) }
}

// Built before timing: the cost measured is the victim's alone.
var forged: [[UInt8]] = []
forged.reserveCapacity(count)
for _ in 0..<count {
    var datagram: [UInt8] = [1, 4, 0x80, 2] + randomBytes(16)
    datagram += [UInt8(roomKey.roomTag >> 8), UInt8(roomKey.roomTag & 0xFF), 0, 0]  // key id: room tag, generation 0
    datagram += [0, 0, 0, 0, 0, 0, 0, 0]  // counter 0
    datagram += randomBytes(datagramBytes - datagram.count)
    forged.append(datagram)
}

func threadCPUNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

var sent = 0
var now = Instant(nanoseconds: 1_000_000_000)
let before = threadCPUNanoseconds()
for (i, datagram) in forged.enumerated() {
    now = Instant(nanoseconds: 1_000_000_000 + Int64(i) * 25_000)  // 40 000 per second
    let from = RoomAddress.ipv4(0x0A00_0000 | UInt32(i & 0xFF), port: 7400)
    sent += victim.receive(datagram, from: from, now: now).effects.count
}
let after = threadCPUNanoseconds()
let counters = victim.counters
guard counters.dropped == count, counters.opened == 0, sent == 0 else {
    print("unexpected outcome: \(counters), \(sent) datagrams sent back")
    exit(1)
}
let perInitiation = Double(after - before) / Double(count) / 1000
print(String(format: "%d forged initiations of %d B: %.2f µs CPU each (%.1f %% of one core at 40 000/s)",
    count, datagramBytes, perInitiation, perInitiation * 40_000 / 10_000))
print("counters: \(counters)")

// The most a datagram can cost once its room mac verifies (a member's, or a replayed
// capture's): an initiation from an unseen sender run — bootstrap key derivation, signature
// check, key agreement and a new signed offer of our own. Measured with the budget lifted; the
// default shared budget (`HandshakeBudget.Settings().total`) caps how many get this per second.
var unlimited = SecureTransport.Settings()
unlimited.handshakeBudget.total = .init(perSecond: 1e9, burst: 1e9)
unlimited.handshakeBudget.perSource = .init(perSecond: 1e9, burst: 1e9)
unlimited.pendingHandshakeLimit = 1 << 20
unlimited.handshakeBudget.sourceLimit = 1 << 20
let member = SecureTransport(
    roomKey: roomKey, identity: .generate(), clientID: "member", sessionSalt: SecureTransport.randomSalt(), settings: unlimited)
let replays = 2000
var genuine: [[UInt8]] = []
for i in 0..<replays {
    let sender = SecureTransport(roomKey: roomKey, identity: .generate(), clientID: "m\(i)", sessionSalt: SecureTransport.randomSalt())
    let voice = VoicePacket(senderID: 1, sequenceNumber: 0, timestamp: 0, payload: [1]).serialize()
    for case .send(let bytes, _) in sender.send(voice, to: .ipv4(1, port: 1), now: now) { genuine.append(bytes) }
}
var answers = 0
let g0 = threadCPUNanoseconds()
for (i, bytes) in genuine.enumerated() {
    answers += member.receive(bytes, from: .ipv4(0x0C00_0000 | UInt32(i), port: 7400), now: now).effects.count
}
let g1 = threadCPUNanoseconds()
let perGenuine = Double(g1 - g0) / Double(genuine.count) / 1000
let shared = HandshakeBudget.Settings().total
print(String(format: "%d genuine initiations from unseen senders: %.1f µs CPU each (%d answered); at the shared budget (%.0f/s, burst %.0f): ≤ %.1f %% of one core",
    genuine.count, perGenuine, answers, shared.perSecond, shared.burst, perGenuine * shared.perSecond / 10_000))

// The normal path, for comparison: voice packets through an established session, sealed by
// one transport's `send` and opened by the other's `receive` (CPU clock, per packet).
let aliceAddress = RoomAddress.ipv4(0x0A00_0001, port: 7400)
let bobAddress = RoomAddress.ipv4(0x0A00_0002, port: 7400)
let alice = SecureTransport(roomKey: roomKey, identity: .generate(), clientID: "alice", sessionSalt: SecureTransport.randomSalt())
let bob = SecureTransport(roomKey: roomKey, identity: .generate(), clientID: "bob", sessionSalt: SecureTransport.randomSalt())
func sends(_ effects: [OutboundDatagram]) -> [[UInt8]] {
    effects.compactMap { if case .send(let bytes, _) = $0 { return bytes } else { return nil } }
}
let voice = VoicePacket(senderID: 1, sequenceNumber: 0, timestamp: 0, payload: [UInt8](repeating: 0x5a, count: 80)).serialize()
var toBob = sends(alice.send(voice, to: bobAddress, now: now))
for _ in 0..<4 {
    let toAlice = toBob.flatMap { sends(bob.receive($0, from: aliceAddress, now: now).effects) }
    toBob = toAlice.flatMap { sends(alice.receive($0, from: bobAddress, now: now).effects) }
}
guard alice.peer(at: bobAddress) != nil, bob.peer(at: aliceAddress) != nil else {
    print("the session did not complete")
    exit(1)
}
let packets = 200_000
var sealedVoice: [[UInt8]] = []
sealedVoice.reserveCapacity(packets)
let s0 = threadCPUNanoseconds()
for _ in 0..<packets { sealedVoice += sends(alice.send(voice, to: bobAddress, now: now)) }
let s1 = threadCPUNanoseconds()
var opened = 0
for packet in sealedVoice { opened += bob.receive(packet, from: aliceAddress, now: now).delivered.count }
let s2 = threadCPUNanoseconds()
guard opened == packets else {
    print("only \(opened) of \(packets) voice packets opened")
    exit(1)
}
print(String(format: "session path, 80 B Opus payload: send (seal) %.2f µs, receive (open) %.2f µs CPU per packet",
    Double(s1 - s0) / Double(packets) / 1000, Double(s2 - s1) / Double(packets) / 1000))
