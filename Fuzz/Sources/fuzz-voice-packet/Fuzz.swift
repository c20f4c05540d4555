import Concord

/// libFuzzer entry: any bytes into `VoicePacket.parse`; a parsed packet must re-serialize to
/// bytes that parse to the same packet (a crash or a trap here is a finding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? VoicePacket.Header.parse(bytes)
    if let packet = try? VoicePacket.parse(bytes) {
        guard (try? VoicePacket.parse(packet.serialize())) == packet else { fatalError("round trip differs") }
    }
    return 0
}

/// SwiftPM links debug executables with `main` aliased to `<module>_main` (testable
/// executables), which hides libFuzzer's own `main`; this entry hands control to libFuzzer.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

@_cdecl("fuzz_voice_packet_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzz)
}
