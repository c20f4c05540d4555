#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Concord
import Foundation

/// The `concord` client's config directory: its long-term identity (`identity`, a secret, mode
/// 0600) and the keys it has pinned for other members (`known_keys`, trust on first use).
///
/// The directory is `$CONCORD_HOME` if set, else `$XDG_CONFIG_HOME/concord`, else
/// `~/.config/concord`. The environment is a parameter, so tests (and embedders) never have to
/// touch the process environment.
public struct ConfigStore: Sendable, Equatable {
    public static let identityFileName = "identity"
    public static let knownKeysFileName = "known_keys"

    public var directory: String

    public init(directory: String) { self.directory = directory }

    /// The directory the environment selects; throws only when no home directory can be found.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigError) {
        guard let directory = Self.resolveDirectory(environment: environment, userHome: Self.passwdHome()) else {
            throw ConfigError(
                file: nil, reason: "cannot find a config directory: set CONCORD_HOME, XDG_CONFIG_HOME or HOME")
        }
        self.init(directory: directory)
    }

    /// `$CONCORD_HOME`, else `$XDG_CONFIG_HOME/concord` (absolute paths only, as the XDG spec
    /// says), else `$HOME/.config/concord` (`userHome` when HOME is unset); empty values count
    /// as unset.
    public static func resolveDirectory(environment: [String: String], userHome: String? = nil) -> String? {
        if let home = nonEmpty(environment["CONCORD_HOME"]) { return home }
        if let xdg = nonEmpty(environment["XDG_CONFIG_HOME"]), xdg.hasPrefix("/") { return join(xdg, "concord") }
        if let home = nonEmpty(environment["HOME"]) ?? nonEmpty(userHome) { return join(join(home, ".config"), "concord") }
        return nil
    }

    public var identityPath: String { Self.join(directory, Self.identityFileName) }
    public var knownKeysPath: String { Self.join(directory, Self.knownKeysFileName) }

    // MARK: Identity

    /// This client's identity: read from `identity`, or generated and saved there (file 0600,
    /// directory 0700) on first run. Like ssh, refuses a key file that group or others can
    /// access, and says how to fix it.
    public func loadOrCreateIdentity() throws(ConfigError) -> (Identity, created: Bool) {
        let path = identityPath
        if let identity = try readIdentity(path) { return (identity, false) }
        try createDirectory()
        let identity = Identity.generate()
        switch try Self.writeFile(path, contents: identity.configString + "\n", replacing: false) {
        case .written:
            return (identity, true)
        case .alreadyExists:
            // Another `concord` created it between our read and our write: use theirs.
            guard let existing = try readIdentity(path) else {
                throw ConfigError(file: path, reason: "appeared and vanished while being created; try again")
            }
            return (existing, false)
        }
    }

    private func readIdentity(_ path: String) throws(ConfigError) -> Identity? {
        guard let file = try Self.readFile(path) else { return nil }
        let permissions = file.mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw ConfigError(
                file: path,
                reason: "permissions \(Self.octal(permissions)) are too open: this file holds your private key "
                    + "and must be accessible only by you; fix with: chmod 600 \(path)")
        }
        do {
            return try Identity(configString: file.contents)
        } catch {
            // SecurityError reasons never quote the input, so no key material leaks here.
            throw ConfigError(
                file: path,
                reason: "not a Concord identity (\(error)); restore it from a backup, or move it away to make a new "
                    + "identity (others will then see your key as changed)")
        }
    }

    // MARK: Known keys

    /// The pinned keys of other members; empty when `known_keys` does not exist yet.
    public func loadKnownKeys() throws(ConfigError) -> KnownKeys {
        let path = knownKeysPath
        guard let file = try Self.readFile(path) else { return KnownKeys() }
        do {
            return try KnownKeys(serialized: file.contents)
        } catch {
            // Find the first bad line so the message can point at it.
            let lines = file.contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
            let bad = lines.firstIndex { (try? KnownKeys(serialized: String($0))) == nil }
            let location = bad.map { "line \($0 + 1) " } ?? ""
            throw ConfigError(
                file: path,
                reason: "\(location)is not “CLIENT-ID PUBLIC-KEY” (\(error)); fix or delete that line")
        }
    }

    /// Replaces `known_keys` atomically (temporary file, then rename), mode 0600.
    public func saveKnownKeys(_ keys: KnownKeys) throws(ConfigError) {
        try createDirectory()
        _ = try Self.writeFile(knownKeysPath, contents: keys.serialized, replacing: true)
    }

    // MARK: Room secret

    /// The room secret from at most one command-line source: an invite string, a passphrase, or
    /// a file holding a passphrase (trailing newlines ignored). nil when none is given: the
    /// caller then generates a secret and prints its invite. Errors never contain the secret.
    public static func roomSecret(
        invite: String?, passphrase: String?, passphraseFile: String?, roomID: String,
        parameters: RoomSecret.StretchParameters = .interactive
    ) throws(ConfigError) -> RoomSecret? {
        let given = [invite, passphrase, passphraseFile].compactMap { $0 }.count
        guard given <= 1 else {
            throw ConfigError(file: nil, reason: "give one of --invite, --passphrase, --passphrase-file")
        }
        if let invite {
            do {
                return try RoomSecret(inviteString: invite)
            } catch {
                throw ConfigError(file: nil, reason: "\(error)")
            }
        }
        if let passphrase {
            return try stretch(passphrase, roomID: roomID, parameters: parameters, file: nil)
        }
        if let passphraseFile {
            guard let file = try readFile(passphraseFile) else {
                throw ConfigError(file: passphraseFile, reason: "no such file")
            }
            var phrase = Substring(file.contents)
            while let last = phrase.last, last.isNewline { phrase = phrase.dropLast() }
            return try stretch(String(phrase), roomID: roomID, parameters: parameters, file: passphraseFile)
        }
        return nil
    }

    private static func stretch(
        _ passphrase: String, roomID: String, parameters: RoomSecret.StretchParameters, file: String?
    ) throws(ConfigError) -> RoomSecret {
        do {
            return try RoomSecret(passphrase: passphrase, roomID: roomID, parameters: parameters)
        } catch {
            throw ConfigError(file: file, reason: "\(error)")
        }
    }

    // MARK: Files

    /// Creates the config directory (and missing parents) with mode 0700.
    public func createDirectory() throws(ConfigError) {
        var path = directory.hasPrefix("/") ? "" : "."
        for component in directory.split(separator: "/") {
            path += "/" + component
            if mkdir(path, 0o700) == 0 {
                chmod(path, 0o700)  // whatever the umask
            } else if errno != EEXIST {
                throw ConfigError(file: path, reason: "cannot create directory: \(Self.systemError(errno))")
            }
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw ConfigError(file: directory, reason: "exists but is not a directory")
        }
    }

    struct FileContents {
        var contents: String
        var mode: mode_t
    }

    /// A small regular file's text and mode; nil when it does not exist.
    static func readFile(_ path: String) throws(ConfigError) -> FileContents? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw ConfigError(file: path, reason: "cannot read: \(systemError(errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw ConfigError(file: path, reason: "cannot read: \(systemError(errno))") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw ConfigError(file: path, reason: "not a regular file") }
        let limit = 1 << 20
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(file: path, reason: "cannot read: \(systemError(errno))")
            }
            if count == 0 { break }
            bytes += chunk[..<count]
            guard bytes.count <= limit else { throw ConfigError(file: path, reason: "larger than 1 MiB") }
        }
        return FileContents(contents: String(decoding: bytes, as: UTF8.self), mode: info.st_mode)
    }

    enum WriteOutcome { case written, alreadyExists }

    /// Writes `contents` to a temporary file (mode 0600) in the same directory, flushes it, then
    /// moves it into place: `rename` when `replacing`, else `link` (which fails rather than
    /// overwrite a file created meanwhile). Readers see the old file or the new, never half.
    static func writeFile(_ path: String, contents: String, replacing: Bool) throws(ConfigError) -> WriteOutcome {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let base = path.split(separator: "/").last.map(String.init) ?? path
        let temporary = join(directory.isEmpty ? "/" : directory, ".\(base).tmp-\(getpid())-\(String(UInt64.random(in: 0...UInt64.max), radix: 36))")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw ConfigError(file: path, reason: "cannot write: \(systemError(errno))") }
        var closed = false
        var placed = false
        defer {
            if !closed { close(fd) }
            if !placed { unlink(temporary) }
        }
        fchmod(fd, 0o600)  // whatever the umask
        let bytes = Array(contents.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
            if count < 0 {
                if errno == EINTR { continue }
                throw ConfigError(file: path, reason: "cannot write: \(systemError(errno))")
            }
            written += count
        }
        guard fsync(fd) == 0 else { throw ConfigError(file: path, reason: "cannot write: \(systemError(errno))") }
        closed = true
        guard close(fd) == 0 else { throw ConfigError(file: path, reason: "cannot write: \(systemError(errno))") }

        if replacing {
            guard rename(temporary, path) == 0 else {
                throw ConfigError(file: path, reason: "cannot replace: \(systemError(errno))")
            }
            placed = true
        } else if link(temporary, path) != 0 {
            let code = errno
            if code == EEXIST { return .alreadyExists }
            // File systems without hard links: fall back to an exclusive-enough rename.
            guard access(path, F_OK) != 0, rename(temporary, path) == 0 else {
                throw ConfigError(file: path, reason: "cannot create: \(systemError(code))")
            }
            placed = true
        }
        // After a link the temporary name is removed by the deferred unlink.
        syncDirectory(directory.isEmpty ? "/" : directory)
        return .written
    }

    private static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    // MARK: Helpers

    private static func passwdHome() -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(getuid(), &entry, &buffer, buffer.count, &result) == 0, result != nil, let dir = entry.pw_dir
        else { return nil }
        return String(cString: dir)
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }

    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    static func systemError(_ code: Int32) -> String { String(cString: strerror(code)) }
}
