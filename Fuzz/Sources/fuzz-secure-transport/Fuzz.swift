import Concord

/// A long-lived `SecureTransport` of a fixed room, fed one datagram per input. First byte picks
/// the mode: 0 — the rest as is (raw network input); 1, 2, 3 — the rest sealed under a fixed
/// sender's bootstrap key as a broadcast, an initiation or a response, so the fuzzer reaches
/// the offer parser, the response check and the held-broadcast logic behind authentication;
/// 4 — a genuinely signed initiation with the rest XORed over it (all zeros: valid, so the
/// handshake completes and a session exists; anything else: a near-valid offer).
/// Invariant: every datagram is counted exactly once, opened or rejected by cause.
enum FuzzRoom {
    static let secret = try! RoomSecret(inviteString: "concord1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qk4rnhpu")
    static let identity = try! Identity(configString: "concord-identity1-aebagbafaydqqcikbmga2dqpcaireeyuculbogazdinryhi6d4qnqayuzu")
    static let key = RoomKey(secret: secret, roomID: "fuzz")
    static let salt = [UInt8](repeating: 7, count: 16)
}

nonisolated(unsafe) let victim = SecureTransport(
    roomKey: FuzzRoom.key, identity: .generate(), clientID: "victim", sessionSalt: [UInt8](repeating: 1, count: 16))
nonisolated(unsafe) let peerSealer = PacketSealer(key: FuzzRoom.key.bootstrapKey(sessionSalt: FuzzRoom.salt))
nonisolated(unsafe) var clock: Int64 = 0

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard let mode = input.first else { return 0 }
    let rest = Array(input.dropFirst())
    var datagram = rest
    if mode == 4 {
        var offer = PairwiseHandshake(identity: FuzzRoom.identity, roomKey: FuzzRoom.key, sender: Array("peer".utf8))
            .offer.serialize()
        for (i, b) in rest.prefix(offer.count).enumerated() { offer[i] ^= b }
        guard let sealed = try? peerSealer.seal(header: [1, 4, 0x80, 2] + FuzzRoom.salt, body: offer) else { return 0 }
        datagram = sealed
    } else if (1...3).contains(mode) {
        guard let sealed = try? peerSealer.seal(header: [1, 4, 0x80, mode] + FuzzRoom.salt, body: rest) else { return 0 }
        datagram = sealed
    }
    // 100 ms per input: unanswered handshakes time out after ~30 inputs, so the state (at most
    // 16 peer addresses) stays small and every input stays cheap.
    clock += 100_000_000
    let before = victim.counters
    let from = RoomAddress.ipv4(0x0A00_0000 | UInt32(input.count & 0x0F), port: 7400)
    _ = victim.receive(datagram, from: from, now: Instant(nanoseconds: clock))
    _ = victim.tick(now: Instant(nanoseconds: clock))
    let after = victim.counters
    if (after.opened + after.dropped) - (before.opened + before.dropped) != 1 {
        fatalError("a datagram was not counted exactly once: \(before) → \(after)")
    }
    return 0
}

/// SwiftPM links debug executables with `main` aliased to `<module>_main`; this hands control
/// to libFuzzer (see fuzz-sealed-opener).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("fuzz_secure_transport_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
