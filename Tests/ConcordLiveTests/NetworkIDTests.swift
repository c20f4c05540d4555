import ConcordLive
import Testing

@Suite struct NetworkIDTests {
    @Test(arguments: [
        ("8056c2e21c000001", UInt64(0x8056_c2e2_1c00_0001)),
        ("8056C2E21C000001", UInt64(0x8056_c2e2_1c00_0001)),
        ("  0000000000000001\n", UInt64(1)),
    ])
    func parsesSixteenHexDigits(text: String, value: UInt64) throws {
        let id = try NetworkID(parsing: text)
        #expect(id.rawValue == value)
    }

    @Test func printsCanonicalLowercaseZeroPadded() throws {
        #expect(NetworkID(rawValue: 1).description == "0000000000000001")
        #expect(try NetworkID(parsing: "8056C2E21C000001").description == "8056c2e21c000001")
        #expect(try NetworkID(parsing: "8056c2e21c000001").controllerAddress == "8056c2e21c")
    }

    @Test(arguments: [
        ("8056c2e21c00001", "it has 15 digits, not 16"),
        ("8056c2e21c0000011", "it has 17 digits, not 16"),
        ("8056c2e21c00000g", "'g' is not a hexadecimal digit"),
        ("0x8056c2e21c0000", "'x' is not a hexadecimal digit"),
        ("", "it is empty"),
        ("my-room", "'m' is not a hexadecimal digit"),
    ])
    func rejectsAnythingElseSayingWhatAnIDLooksLike(text: String, reason: String) {
        #expect(throws: ZeroTierError.invalidNetworkID(input: text, reason: reason)) {
            try NetworkID(parsing: text)
        }
        let message = ZeroTierError.invalidNetworkID(input: text, reason: reason).description
        #expect(message.contains("is not a ZeroTier network id"))
        #expect(message.contains("16 hexadecimal digits"))
        #expect(message.contains("for example 8056c2e21c000001"))
    }
}
