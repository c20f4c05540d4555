import ConcordLive
import Foundation
import Testing

@Suite struct ModelTests {
    @Test func parsesAssignedAddresses() throws {
        let v4 = try #require(AssignedAddress("10.147.17.5/24"))
        #expect(v4.ipv4 == IPv4Address(rawValue: 0x0A93_1105))
        #expect(v4.prefixLength == 24)
        #expect(v4.description == "10.147.17.5/24")
        let v6 = try #require(AssignedAddress("fd80:56c2:e21c:0000:0199:9393:4a83:f7a5/88"))
        #expect(v6.ipv6 != nil && v6.ipv4 == nil)
        #expect(v6.description == "fd80:56c2:e21c:0:199:9393:4a83:f7a5/88")
        #expect(AssignedAddress("fc9f:11e7:a4::1/40")?.prefixLength == 40)
    }

    @Test(arguments: ["10.147.17.5", "10.147.17.5/33", "10.147.17/24", "fd80::1/129", "host/24", "10.0.0.1/-1", "", "1.2.3.4/24/1"])
    func rejectsMalformedAssignedAddresses(text: String) {
        #expect(AssignedAddress(text) == nil)
    }

    @Test func picksTheIPv4AmongMixedAddresses() throws {
        let id = try NetworkID(parsing: "8056c2e21c000001")
        let addresses = ["fd80:56c2:e21c:0:199:9393:4a83:f7a5/88", "fc9f:11e7:a4::1/40", "10.147.17.5/24", "192.168.192.9/24"]
        let network = ZeroTierNetwork(id: id, status: .ok, assignedAddresses: addresses.compactMap(AssignedAddress.init))
        #expect(network.ipv4Address?.description == "10.147.17.5/24")
        #expect(network.isReady)
        let v6Only = ZeroTierNetwork(id: id, status: .ok, assignedAddresses: [AssignedAddress(addresses[0])!])
        #expect(v6Only.ipv4Address == nil)
        #expect(!v6Only.isReady)
    }

    @Test func decodesAMinimalNetworkAndIgnoresUnknownFields() throws {
        let json = #"{"nwid":"8056c2e21c000001","status":"OK","futureField":{"x":[1,2]},"assignedAddresses":["10.1.2.3/16"]}"#
        let network = try JSONDecoder().decode(ZeroTierNetwork.self, from: Data(json.utf8))
        #expect(network.id.description == "8056c2e21c000001")
        #expect(network.name == "")
        #expect(network.routes.isEmpty)
        #expect(network.ipv4Address?.description == "10.1.2.3/16")
    }

    @Test func keepsUnknownStatusesVerbatim() throws {
        let json = #"{"id":"8056c2e21c000001","status":"SOMETHING_NEW"}"#
        let network = try JSONDecoder().decode(ZeroTierNetwork.self, from: Data(json.utf8))
        #expect(network.status == .other("SOMETHING_NEW"))
        for name in ["REQUESTING_CONFIGURATION", "OK", "ACCESS_DENIED", "NOT_FOUND", "PORT_ERROR", "CLIENT_TOO_OLD", "AUTHENTICATION_REQUIRED"] {
            #expect(ZeroTierNetworkStatus(rawValue: name).rawValue == name)
            #expect(ZeroTierNetworkStatus(rawValue: name) != .other(name))
        }
    }

    @Test func rejectsANetworkWithoutStatusOrWithABadAddress() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(ZeroTierNetwork.self, from: Data(#"{"id":"8056c2e21c000001"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(
                ZeroTierNetwork.self, from: Data(#"{"id":"8056c2e21c000001","status":"OK","assignedAddresses":["nope"]}"#.utf8))
        }
    }

    @Test func decodesAMinimalStatus() throws {
        let status = try JSONDecoder().decode(ZeroTierStatus.self, from: Data(#"{"address":"89e92ceee5","online":false,"versionMajor":1,"versionMinor":12,"versionRev":0}"#.utf8))
        #expect(status.address == "89e92ceee5")
        #expect(!status.online)
        #expect(status.versionText == "1.12.0")
    }
}
