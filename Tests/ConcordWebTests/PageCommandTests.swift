import Concord
import Testing

@testable import ConcordWebProtocol

/// `concord ui`'s commands as the page sends them: shapes checked before anything is tried.
@Suite struct PageCommandTests {
    @Test func aRoomRequestIsParsedWithItsFields() throws {
        let text = #"{"command":"joinRoom","room":"standup","name":"ana","network":"8056C2E21C000001","invite":"concord1-x","input":"USB"}"#
        let request = PageCommand.RoomRequest(room: "standup", name: "ana", network: "8056C2E21C000001", invite: "concord1-x", input: "USB")
        #expect(try PageCommand.parse(text).get() == .joinRoom(request))
        let bound = #"{"command":"joinRoom","room":"r","bind":"127.0.0.5","peers":["127.0.0.6:7400"],"passphrase":"p"}"#
        #expect(try PageCommand.parse(bound).get() == .joinRoom(.init(room: "r", bind: "127.0.0.5", peers: ["127.0.0.6:7400"], passphrase: "p")))
        #expect(try PageCommand.parse(#"{"command":"joinNetwork","network":"8056C2E21C000001"}"#).get() == .joinNetwork("8056c2e21c000001"))
        #expect(try PageCommand.parse(#"{"command":"leaveNetwork","network":"8056c2e21c000001"}"#).get() == .leaveNetwork("8056c2e21c000001"))
        #expect(PageCommand.RoomRequest.maximumIdentifierBytes == RoomMessage.maxIdentifierBytes)
    }

    @Test func aRoomRequestThatCannotBeARoomIsRefusedWithItsReason() {
        let long = String(repeating: "r", count: 33)
        let cases: [(String, String)] = [
            (#"{"command":"joinRoom"}"#, "a room id"),
            (#"{"command":"joinRoom","room":"","bind":"127.0.0.5"}"#, "the room id must be 1 to 32 bytes"),
            (#"{"command":"joinRoom","room":"\#(long)","bind":"127.0.0.5"}"#, "the room id must be 1 to 32 bytes"),
            (#"{"command":"joinRoom","room":"r","name":"","bind":"127.0.0.5"}"#, "your name must be 1 to 32 bytes"),
            (#"{"command":"joinRoom","room":"r"}"#, "choose a ZeroTier network or an address"),
            (#"{"command":"joinRoom","room":"r","bind":"127.0.0.5","network":"8056c2e21c000001"}"#, "choose a ZeroTier network or an address"),
            (#"{"command":"joinRoom","room":"r","network":"8056c2e21c00000"}"#, "16 hexadecimal digits"),
            (#"{"command":"joinRoom","room":"r","network":"8056c2e21c00000g"}"#, "16 hexadecimal digits"),
            (#"{"command":"joinRoom","room":"r","bind":"a","invite":"i","passphrase":"p"}"#, "an invite or a passphrase, not both"),
            (#"{"command":"joinRoom","room":"r","bind":7}"#, "a room id (and text fields only)"),
            (#"{"command":"joinNetwork","network":"xyz"}"#, "16 hexadecimal digits"),
            (#"{"command":"leaveNetwork"}"#, "16 hexadecimal digits"),
        ]
        for (text, reason) in cases {
            guard case .failure(let error) = PageCommand.parse(text) else {
                Issue.record("accepted \(text)")
                continue
            }
            #expect(error.description.contains(reason), "\(text): \(error)")
        }
    }
}
