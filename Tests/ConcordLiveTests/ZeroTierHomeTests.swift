import ConcordLive
import Foundation
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

    @Test func unreadableServiceTokenWithoutACopySuggestsMakingOne() {
        // Case (a). Tests run as root, where chmod 000 does not stop a read: the reader plays EACCES.
        let home = ZeroTierHome(directory: "/var/lib/zerotier-one", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada", readFile: fakeFiles(["/var/lib/zerotier-one/authtoken.secret": .failure(.permissionDenied)]))
        }
        let locations = ZeroTierTokenLocations(
            service: "/var/lib/zerotier-one/authtoken.secret", user: "/home/ada/.zeroTierOneAuthToken")
        #expect(error == .tokenUnreadable(path: locations.service, failure: .permissionDenied, locations: locations))
        #expect(error?.description == #"Cannot read the ZeroTier auth token /var/lib/zerotier-one/authtoken.secret: permission denied (the service keeps it readable by root only). Either run this command with sudo, or give your user its own copy /home/ada/.zeroTierOneAuthToken, readable by you alone: `sudo install -m 600 -o "$(id -un)" "/var/lib/zerotier-one/authtoken.secret" "/home/ada/.zeroTierOneAuthToken"`."#)
    }

    @Test func unreadableCopyIsBlamedNotTheServiceFile() {
        // Case (b): the service's file is root-only and the user's copy exists but cannot be read
        // (e.g. made by `sudo sh -c 'cat … > ~/.zeroTierOneAuthToken'`, so root's): fix the copy.
        let home = ZeroTierHome(directory: "/var/lib/zerotier-one", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada",
                readFile: fakeFiles([
                    "/var/lib/zerotier-one/authtoken.secret": .failure(.permissionDenied),
                    "/home/ada/.zeroTierOneAuthToken": .failure(.permissionDenied),
                ]))
        }
        let locations = ZeroTierTokenLocations(
            service: "/var/lib/zerotier-one/authtoken.secret", user: "/home/ada/.zeroTierOneAuthToken")
        #expect(error == .tokenUnreadable(path: "/home/ada/.zeroTierOneAuthToken", failure: .permissionDenied, locations: locations))
        #expect(error?.description == #"Cannot read your ZeroTier auth token copy /home/ada/.zeroTierOneAuthToken: permission denied (and the service's own /var/lib/zerotier-one/authtoken.secret could not be read either). Replace your copy with one you own, readable by you alone: `sudo install -m 600 -o "$(id -un)" "/var/lib/zerotier-one/authtoken.secret" "/home/ada/.zeroTierOneAuthToken"`."#)
        #expect(error?.description.contains("give your user its own copy") == false)
    }

    @Test func unreadableCopyWithNoServiceFileIsStillTheCopysFault() {
        let home = ZeroTierHome(directory: "/zt", platform: .linux)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada", readFile: fakeFiles(["/home/ada/.zeroTierOneAuthToken": .failure(.permissionDenied)]))
        }
        #expect(error?.description.hasPrefix("Cannot read your ZeroTier auth token copy /home/ada/.zeroTierOneAuthToken: permission denied") == true)
    }

    @Test func onMacOSTheCopyCommandMakesTheCopysDirectoryFirst() {
        let home = ZeroTierHome(directory: "/Library/Application Support/ZeroTier/One", platform: .macOS)
        let error = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/Users/ada",
                readFile: fakeFiles(["/Library/Application Support/ZeroTier/One/authtoken.secret": .failure(.permissionDenied)]))
        }
        #expect(error?.description.hasSuffix(#"`mkdir -p "/Users/ada/Library/Application Support/ZeroTier/One" && sudo install -m 600 -o "$(id -un)" "/Library/Application Support/ZeroTier/One/authtoken.secret" "/Users/ada/Library/Application Support/ZeroTier/One/authtoken.secret"`."#) == true)
    }

    @Test func theSuggestedCopyCommandWorksInAShell() throws {
        // Run the exact command from the message through /bin/sh. This machine has no sudo and the
        // tests run as root, so `sudo` is a shim that runs its arguments; what is checked is that the
        // quoting, `$(id -un)` and `install` make a private copy owned by whoever ran it — replacing a
        // root-owned unreadable one, which `sudo cat … > copy` could not.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("concord-token-cmd \(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let shim = bin.appendingPathComponent("sudo")
        try "#!/bin/sh\nexec \"$@\"\n".write(to: shim, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: shim.path)
        let service = dir.appendingPathComponent("service home/authtoken.secret")
        try FileManager.default.createDirectory(at: service.deletingLastPathComponent(), withIntermediateDirectories: true)
        try "k3x9vq2m7p4r8t1w6y0z5a2b".write(to: service, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: service.path)
        let copy = dir.appendingPathComponent(".zeroTierOneAuthToken")
        try "stale".write(to: copy, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: copy.path)

        let locations = ZeroTierTokenLocations(service: service.path, user: copy.path)
        let message = ZeroTierError.tokenUnreadable(path: copy.path, failure: .permissionDenied, locations: locations).description
        let command = try #require(message.split(separator: "`").dropFirst().first.map(String.init))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = ["PATH": bin.path + ":/usr/bin:/bin"]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(command)")
        #expect(try String(contentsOf: copy, encoding: .utf8) == "k3x9vq2m7p4r8t1w6y0z5a2b")
        let attributes = try FileManager.default.attributesOfItem(atPath: copy.path)
        #expect(attributes[.posixPermissions] as? Int == 0o600)
        #expect(attributes[.ownerAccountID] as? UInt == UInt(getuid()))
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
        let copy = #expect(throws: ZeroTierError.self) {
            try home.token(
                userHome: "/home/ada",
                readFile: fakeFiles(["/zt/authtoken.secret": .failure(.permissionDenied), "/home/ada/.zeroTierOneAuthToken": .success("")]))
        }
        #expect(copy?.description == #"The ZeroTier auth token file /home/ada/.zeroTierOneAuthToken is empty. Copy the service's token into it: `sudo install -m 600 -o "$(id -un)" "/zt/authtoken.secret" "/home/ada/.zeroTierOneAuthToken"`."#)
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
