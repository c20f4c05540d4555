import ConcordLive
import Testing

@Suite struct ZeroTierHomeTests {
    @Test func zerotierHomeOverridesThePlatformDefault() {
        #expect(ZeroTierHome.resolve(environment: ["ZEROTIER_HOME": "/srv/zt"], platform: .linux).directory == "/srv/zt")
        #expect(ZeroTierHome.resolve(environment: [:], platform: .linux).directory == "/var/lib/zerotier-one")
        #expect(ZeroTierHome.resolve(environment: ["ZEROTIER_HOME": ""], platform: .linux).directory == "/var/lib/zerotier-one")
        #expect(
            ZeroTierHome.resolve(environment: [:], platform: .macOS).directory == "/Library/Application Support/ZeroTier/One")
        let home = ZeroTierHome.resolve(environment: ["ZEROTIER_HOME": "/srv/zt/"], platform: .linux)
        #expect(home.portFilePath == "/srv/zt/zerotier-one.port")
        #expect(home.tokenPath == "/srv/zt/authtoken.secret")
    }

    @Test func perUserTokenPathDependsOnThePlatform() {
        let linux = ZeroTierHome(directory: "/var/lib/zerotier-one", platform: .linux).tokenLocations(userHome: "/home/ada")
        #expect(linux.user == "/home/ada/.zeroTierOneAuthToken")
        let mac = ZeroTierHome(directory: "/x", platform: .macOS).tokenLocations(userHome: "/Users/ada")
        #expect(mac.user == "/Users/ada/Library/Application Support/ZeroTier/One/authtoken.secret")
        #expect(ZeroTierHome(directory: "/x", platform: .linux).tokenLocations(userHome: nil).user == nil)
    }

    @Test(arguments: [
        ("29993\n", 29993), ("  9994 ", 9994), ("1", 1), ("65535", 65535),
    ])
    func readsThePortFile(contents: String, port: Int) throws {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let (found, source) = try home.port(readFile: fakeFiles(["/zt/zerotier-one.port": .success(contents)]))
        #expect(found == port)
        #expect(source.contains("/zt/zerotier-one.port"))
    }

    @Test func missingOrUnreadablePortFileMeansTheDefaultPort() throws {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        #expect(try home.port(readFile: fakeFiles([:])).port == 9993)
        #expect(try home.port(readFile: fakeFiles(["/zt/zerotier-one.port": .failure(.permissionDenied)])).port == 9993)
    }

    @Test(arguments: ["abc", "", "0", "70000", "99 93", "-1"])
    func malformedPortFileIsAnError(contents: String) throws {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.port(readFile: fakeFiles(["/zt/zerotier-one.port": .success(contents)]))
        }
        #expect(error == .malformedPortFile(path: "/zt/zerotier-one.port", contents: contents))
        #expect(error?.description.contains("not a port number (1-65535)") == true)
        #expect(error?.description.contains("delete the file to use the default port 9993") == true)
    }

    @Test func tokenComesFromTheServiceHomeFirstThenTheUserCopy() throws {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let both = fakeFiles([
            "/zt/authtoken.secret": .success("servicetoken\n"), "/home/ada/.zeroTierOneAuthToken": .success("usertoken"),
        ])
        let token = try home.token(userHome: "/home/ada", readFile: both)
        #expect(token.secret == "servicetoken")
        #expect(token.path == "/zt/authtoken.secret")

        let deniedService = fakeFiles([
            "/zt/authtoken.secret": .failure(.permissionDenied), "/home/ada/.zeroTierOneAuthToken": .success("usertoken"),
        ])
        let copy = try home.token(userHome: "/home/ada", readFile: deniedService)
        #expect(copy.secret == "usertoken")
        #expect(copy.path == "/home/ada/.zeroTierOneAuthToken")
    }

    @Test func unreadableTokenGivesThePermissionFix() {
        // Tests run as root, where chmod 000 does not stop a read: the reader plays EACCES.
        let home = ZeroTierHome(directory: "/var/lib/zerotier-one", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada", readFile: fakeFiles(["/var/lib/zerotier-one/authtoken.secret": .failure(.permissionDenied)]))
        }
        let locations = ZeroTierTokenLocations(
            service: "/var/lib/zerotier-one/authtoken.secret", user: "/home/ada/.zeroTierOneAuthToken")
        #expect(error == .tokenUnreadable(path: locations.service, failure: .permissionDenied, locations: locations))
        let message = error?.description ?? ""
        #expect(message.contains("Cannot read the ZeroTier auth token /var/lib/zerotier-one/authtoken.secret: permission denied"))
        #expect(message.contains("run this command with sudo"))
        #expect(message.contains(
            #"`sudo cat "/var/lib/zerotier-one/authtoken.secret" > "/home/ada/.zeroTierOneAuthToken" && chmod 600 "/home/ada/.zeroTierOneAuthToken"`"#))
    }

    @Test func unreadableUserCopySaysToChownIt() {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada", readFile: fakeFiles(["/home/ada/.zeroTierOneAuthToken": .failure(.permissionDenied)]))
        }
        #expect(error?.description.contains("Cannot read your ZeroTier auth token copy /home/ada/.zeroTierOneAuthToken") == true)
        #expect(error?.description.contains("sudo chown $(id -un)") == true)
    }

    @Test func missingTokenSaysWhereItLookedAndHowToStartTheService() {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) { try home.token(userHome: "/home/ada", readFile: fakeFiles([:])) }
        #expect(error == .tokenMissing(ZeroTierTokenLocations(service: "/zt/authtoken.secret", user: "/home/ada/.zeroTierOneAuthToken")))
        let message = error?.description ?? ""
        #expect(message.contains("No ZeroTier auth token found (looked for /zt/authtoken.secret and /home/ada/.zeroTierOneAuthToken)"))
        #expect(message.contains("sudo systemctl start zerotier-one"))
        #expect(message.contains("ZEROTIER_HOME"))
    }

    @Test func emptyTokenFileIsAnError() {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(userHome: nil, readFile: fakeFiles(["/zt/authtoken.secret": .success(" \n")]))
        }
        #expect(error?.description.contains("The ZeroTier auth token file /zt/authtoken.secret is empty") == true)
    }

    @Test func tokenDescriptionIsRedacted() {
        let token = ZeroTierAuthToken("k3x9vq2m7p4r8t1w6y0z5a2b", path: "/zt/authtoken.secret")
        #expect(!"\(token)".contains("k3x9vq2m7p4r8t1w6y0z5a2b"))
        #expect(!String(reflecting: token).contains("k3x9vq2m7p4r8t1w6y0z5a2b"))
    }

    @Test func systemReaderMapsErrno() {
        #expect(systemFileReader("/nonexistent/concord/file") == .failure(.notFound))
        if case .success = systemFileReader("/") { Issue.record("reading a directory should fail") }
    }
}
