import Concord
import FuzzDriver

/// Any bytes into `VoicePacket.parse`; a parsed packet must re-serialize to bytes that parse to
/// the same packet.
@main enum VoicePacketFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        _ = try? VoicePacket.Header.parse(bytes)
        if let packet = try? VoicePacket.parse(bytes) {
            guard (try? VoicePacket.parse(packet.serialize())) == packet else { fatalError("round trip differs") }
        }
    }
}
