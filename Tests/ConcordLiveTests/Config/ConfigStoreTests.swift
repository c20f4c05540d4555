#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import ConcordLive
import Foundation
import Testing

/// A fresh directory per test, removed when the value is dropped.
private final class ScratchDirectory: @unchecked Sendable {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("concord-config-\(UUID().uuidString)").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    /// A store whose directory does not exist yet (the store creates it), found through
    /// CONCORD_HOME as the client finds it.
    func store() throws -> ConfigStore {
        try ConfigStore(environment: ["CONCORD_HOME": path + "/home/concord", "HOME": "/nonexistent"])
    }

    func write(_ name: String, _ contents: String, mode: mode_t = 0o600) -> String {
        let file = path + "/" + name
        _ = FileManager.default.createFile(atPath: file, contents: Data(contents.utf8))
        chmod(file, mode)
        return file
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private func mode(_ path: String) -> mode_t {
    var info = stat()
    guard stat(path, &info) == 0 else { return 0 }
    return info.st_mode & 0o777
}

/// The ConfigError `body` throws; nil (and a test failure for any other error) otherwise.
private func configError(_ body: () throws -> Void) -> ConfigError? {
    do {
        try body()
        return nil
    } catch let error as ConfigError {
        return error
    } catch {
        Issue.record("expected a ConfigError, got \(error)")
        return nil
    }
}

/// Cheap scrypt so passphrase tests stay fast; the real client uses `.interactive`.
private let cheap = RoomSecret.StretchParameters(rounds: 16, blockSize: 1, parallelism: 1)

@Suite struct ConfigStoreTests {
    // MARK: Directory

    @Test func directoryFollowsTheEnvironment() {
        #expect(ConfigStore.resolveDirectory(environment: ["CONCORD_HOME": "/c", "XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/c")
        #expect(ConfigStore.resolveDirectory(environment: ["XDG_CONFIG_HOME": "/x", "HOME": "/h"]) == "/x/concord")
        #expect(ConfigStore.resolveDirectory(environment: ["XDG_CONFIG_HOME": "/x/", "HOME": "/h"]) == "/x/concord")
        #expect(ConfigStore.resolveDirectory(environment: ["HOME": "/h"]) == "/h/.config/concord")
        // Empty means unset; a relative XDG_CONFIG_HOME is ignored, as the XDG spec says.
        #expect(ConfigStore.resolveDirectory(environment: ["CONCORD_HOME": "", "XDG_CONFIG_HOME": "", "HOME": "/h"]) == "/h/.config/concord")
        #expect(ConfigStore.resolveDirectory(environment: ["XDG_CONFIG_HOME": "rel", "HOME": "/h"]) == "/h/.config/concord")
        #expect(ConfigStore.resolveDirectory(environment: [:], userHome: "/pw") == "/pw/.config/concord")
        #expect(ConfigStore.resolveDirectory(environment: [:]) == nil)
    }

    @Test func concordHomeIsUsed() throws {
        let scratch = ScratchDirectory()
        let store = try ConfigStore(environment: ["CONCORD_HOME": scratch.path, "HOME": "/elsewhere"])
        #expect(store.directory == scratch.path)
        #expect(store.identityPath == scratch.path + "/identity")
        #expect(store.knownKeysPath == scratch.path + "/known_keys")
        _ = try store.loadOrCreateIdentity()
        #expect(FileManager.default.fileExists(atPath: scratch.path + "/identity"))
    }

    // MARK: Identity

    @Test func identityIsCreatedOnceThenReloaded() throws {
        let scratch = ScratchDirectory()
        let store = try scratch.store()
        let (first, created) = try store.loadOrCreateIdentity()
        #expect(created)
        let (second, createdAgain) = try store.loadOrCreateIdentity()
        #expect(!createdAgain)
        #expect(second.publicIdentity == first.publicIdentity)
        let contents = try String(contentsOfFile: store.identityPath, encoding: .utf8)
        #expect(contents == first.configString + "\n")
    }

    @Test func identityFileIs0600AndDirectory0700() throws {
        let scratch = ScratchDirectory()
        let store = try scratch.store()
        _ = try store.loadOrCreateIdentity()
        #expect(mode(store.identityPath) == 0o600)
        #expect(mode(store.directory) == 0o700)
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["identity"])
    }

    @Test(arguments: [mode_t(0o644), 0o640, 0o604, 0o660, 0o700])
    func refusesAnIdentityOthersCanRead(permissions: mode_t) throws {
        let scratch = ScratchDirectory()
        let store = try scratch.store()
        let (identity, _) = try store.loadOrCreateIdentity()
        chmod(store.identityPath, permissions)
        let error = configError { _ = try store.loadOrCreateIdentity() }
        if permissions & 0o077 == 0 {
            #expect(error == nil)
            return
        }
        let text = error.map(\.description) ?? ""
        #expect(error?.file == store.identityPath)
        #expect(text.contains("chmod 600 \(store.identityPath)"))
        #expect(text.contains("0" + String(permissions, radix: 8)))
        #expect(!text.contains(identity.configString.dropFirst(Identity.configPrefix.count).prefix(12)))
        chmod(store.identityPath, 0o600)
        #expect(try store.loadOrCreateIdentity().0.publicIdentity == identity.publicIdentity)
    }

    @Test func corruptIdentityNamesTheFileNotTheKey() throws {
        let scratch = ScratchDirectory()
        let store = try scratch.store()
        let (identity, _) = try store.loadOrCreateIdentity()
        // One character changed: the checksum catches it.
        var damaged = Array(identity.configString)
        let middle = Identity.configPrefix.count + 20
        damaged[middle] = damaged[middle] == "a" ? "b" : "a"
        let damagedText = String(damaged)
        try Data((damagedText + "\n").utf8).write(to: URL(fileURLWithPath: store.identityPath))
        chmod(store.identityPath, 0o600)
        let error = configError { _ = try store.loadOrCreateIdentity() }
        #expect(error?.file == store.identityPath)
        let text = error.map(\.description) ?? ""
        #expect(text.hasPrefix(store.identityPath + ": "))
        #expect(text.contains("checksum mismatch"))
        let body = damagedText.dropFirst(Identity.configPrefix.count)
        #expect(!text.contains(body.prefix(10)))
        // The damaged file is left for the user to look at, not overwritten.
        #expect(try String(contentsOfFile: store.identityPath, encoding: .utf8) == damagedText + "\n")
    }

    @Test(arguments: ["", "garbage\n", "concord-identity1-AAAA\n", "ssh-ed25519 AAAAC3Nza user@host\n"])
    func unreadableIdentitiesAreReported(contents: String) throws {
        let scratch = ScratchDirectory()
        let path = scratch.write("identity", contents)
        let store = ConfigStore(directory: scratch.path)
        let error = configError { _ = try store.loadOrCreateIdentity() }
        #expect(error?.file == path)
        #expect(error?.description.contains("not a Concord identity") == true)
    }

    @Test func identityPathThatIsADirectoryIsAnError() throws {
        let scratch = ScratchDirectory()
        try FileManager.default.createDirectory(atPath: scratch.path + "/identity", withIntermediateDirectories: false)
        let error = configError { _ = try ConfigStore(directory: scratch.path).loadOrCreateIdentity() }
        #expect(error?.description.contains("not a regular file") == true)
    }

    // MARK: Known keys

    @Test func knownKeysRoundTrip() throws {
        let scratch = ScratchDirectory()
        let store = try scratch.store()
        #expect(try store.loadKnownKeys() == KnownKeys())

        var keys = KnownKeys()
        _ = keys.check(clientID: "bob", key: Identity.generate().publicIdentity)
        _ = keys.check(clientID: "carol", key: Identity.generate().publicIdentity)
        try store.saveKnownKeys(keys)
        #expect(try store.loadKnownKeys() == keys)
        #expect(mode(store.knownKeysPath) == 0o600)
        #expect(mode(store.directory) == 0o700)

        // Replacing keeps the mode and leaves no temporary file.
        keys.trust(clientID: "bob", key: Identity.generate().publicIdentity)
        try store.saveKnownKeys(keys)
        #expect(try store.loadKnownKeys() == keys)
        #expect(mode(store.knownKeysPath) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory) == ["known_keys"])
    }

    @Test func corruptKnownKeysPointAtTheLine() throws {
        let scratch = ScratchDirectory()
        var keys = KnownKeys()
        _ = keys.check(clientID: "bob", key: Identity.generate().publicIdentity)
        let path = scratch.write("known_keys", keys.serialized + "carol not-a-key\n")
        let error = configError { _ = try ConfigStore(directory: scratch.path).loadKnownKeys() }
        #expect(error?.file == path)
        #expect(error?.reason.contains("line 2") == true)
    }

    // MARK: Room secret

    @Test func noSourceMeansGenerate() throws {
        #expect(try ConfigStore.roomSecret(invite: nil, passphrase: nil, passphraseFile: nil, roomID: "lobby") == nil)
    }

    @Test func inviteGivesItsSecret() throws {
        let secret = RoomSecret.generate()
        let found = try ConfigStore.roomSecret(
            invite: "  \(secret.inviteString)\n", passphrase: nil, passphraseFile: nil, roomID: "lobby")
        #expect(found == secret)
    }

    @Test func badInviteShowsRoomSecretsReason() throws {
        let invite = RoomSecret.generate().inviteString
        var characters = Array(invite)
        let middle = RoomSecret.invitePrefix.count + 20
        characters[middle] = characters[middle] == "a" ? "b" : "a"
        let typo = String(characters)
        var expected = ""
        do { _ = try RoomSecret(inviteString: typo) } catch { expected = error.description }
        let error = configError { _ = try ConfigStore.roomSecret(invite: typo, passphrase: nil, passphraseFile: nil, roomID: "r") }
        #expect(error?.description == expected)
        #expect(error?.description.contains("checksum") == true)
        #expect(error?.description.contains(typo.dropFirst(RoomSecret.invitePrefix.count).prefix(10)) == false)
    }

    @Test(arguments: [
        ("concord1-x", "p4ssphrase!", nil), ("concord1-x", nil, "/tmp/file"), (nil, "p4ssphrase!", "/tmp/file"),
        ("concord1-x", "p4ssphrase!", "/tmp/file"),
    ] as [(String?, String?, String?)])
    func moreThanOneSourceIsRefused(invite: String?, passphrase: String?, file: String?) {
        let error = configError {
            _ = try ConfigStore.roomSecret(invite: invite, passphrase: passphrase, passphraseFile: file, roomID: "r")
        }
        #expect(error?.description == "give one of --invite, --passphrase, --passphrase-file")
        #expect(error?.description.contains("p4ssphrase") == false)
    }

    @Test func passphraseAndPassphraseFileAgree() throws {
        let scratch = ScratchDirectory()
        let expected = try RoomSecret(passphrase: "correct horse battery", roomID: "lobby", parameters: cheap)
        let direct = try ConfigStore.roomSecret(
            invite: nil, passphrase: "correct horse battery", passphraseFile: nil, roomID: "lobby", parameters: cheap)
        #expect(direct == expected)
        for contents in ["correct horse battery", "correct horse battery\n", "correct horse battery\r\n\n"] {
            let file = scratch.write("phrase", contents)
            let fromFile = try ConfigStore.roomSecret(
                invite: nil, passphrase: nil, passphraseFile: file, roomID: "lobby", parameters: cheap)
            #expect(fromFile == expected)
        }
        // Another room, another secret.
        let otherRoom = try ConfigStore.roomSecret(
            invite: nil, passphrase: "correct horse battery", passphraseFile: nil, roomID: "attic", parameters: cheap)
        #expect(otherRoom != expected)
    }

    @Test func passphraseErrorsNameTheFileNotThePhrase() throws {
        let scratch = ScratchDirectory()
        let missing = scratch.path + "/nope"
        let notFound = configError {
            _ = try ConfigStore.roomSecret(invite: nil, passphrase: nil, passphraseFile: missing, roomID: "r", parameters: cheap)
        }
        #expect(notFound?.file == missing)
        #expect(notFound?.description.contains(missing) == true)

        let short = scratch.write("short", "hunter2\n")
        let tooShort = configError {
            _ = try ConfigStore.roomSecret(invite: nil, passphrase: nil, passphraseFile: short, roomID: "r", parameters: cheap)
        }
        #expect(tooShort?.file == short)
        #expect(tooShort?.description.contains("shorter than 8") == true)
        #expect(tooShort?.description.contains("hunter2") == false)

        let direct = configError {
            _ = try ConfigStore.roomSecret(invite: nil, passphrase: "hunter2", passphraseFile: nil, roomID: "r", parameters: cheap)
        }
        #expect(direct?.file == nil)
        #expect(direct?.description.contains("hunter2") == false)
    }
}
