#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The operating systems whose ZeroTier One layout this client knows.
public enum ZeroTierPlatform: Sendable, Equatable {
    case linux
    case macOS

    /// The platform this binary was built for (Linux layout for any non-Apple Unix).
    public static var current: ZeroTierPlatform {
        #if os(macOS)
        .macOS
        #else
        .linux
        #endif
    }

    /// Where the service keeps its state when `ZEROTIER_HOME` is not set.
    public var defaultHome: String {
        switch self {
        case .linux: "/var/lib/zerotier-one"
        case .macOS: "/Library/Application Support/ZeroTier/One"
        }
    }

    /// The per-user token copy, relative to the user's home directory (what `zerotier-cli` reads
    /// when it cannot read the service's root-only `authtoken.secret`).
    public var userTokenRelativePath: String {
        switch self {
        case .linux: ".zeroTierOneAuthToken"
        case .macOS: "Library/Application Support/ZeroTier/One/authtoken.secret"
        }
    }
}

/// Reads a whole small file as text. Injected so tests can play "permission denied" while
/// running as root (where `chmod 000` does not stop a read).
public typealias ZeroTierFileReader = @Sendable (_ path: String) -> Result<String, FileReadFailure>

/// The real file system, through POSIX `open`/`read` so that `errno` (EACCES, ENOENT) maps
/// exactly onto ``FileReadFailure``: the fix for an unreadable token depends on which it is.
public let systemFileReader: ZeroTierFileReader = { path in
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else { return .failure(FileReadFailure(errno: errno)) }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return .failure(FileReadFailure(errno: errno))
        }
        if count == 0 { break }
        bytes += chunk[..<count]
        guard bytes.count <= 1 << 20 else { return .failure(.other("larger than 1 MiB")) }
    }
    return .success(String(decoding: bytes, as: UTF8.self))
}

extension FileReadFailure {
    init(errno code: Int32) {
        switch code {
        case ENOENT, ENOTDIR: self = .notFound
        case EACCES, EPERM: self = .permissionDenied
        default: self = .other(String(cString: strerror(code)))
        }
    }
}

/// The ZeroTier One service's home directory: where its port file and auth token are.
///
/// `ZEROTIER_HOME` overrides the platform default, as it does for `zerotier-one` and
/// `zerotier-cli`, so a user running the service from a custom home (or a test running a fake)
/// points Concord at it the same way.
public struct ZeroTierHome: Equatable, Sendable {
    public var directory: String
    public var platform: ZeroTierPlatform

    public init(directory: String, platform: ZeroTierPlatform = .current) {
        self.directory = directory
        self.platform = platform
    }

    /// `ZEROTIER_HOME` from `environment` if set and non-empty, else the platform's default.
    public static func resolve(
        environment: [String: String], platform: ZeroTierPlatform = .current
    ) -> ZeroTierHome {
        if let home = environment["ZEROTIER_HOME"]?.trimmingWhitespace(), !home.isEmpty {
            return ZeroTierHome(directory: home, platform: platform)
        }
        return ZeroTierHome(directory: platform.defaultHome, platform: platform)
    }

    /// The port the service listens on when `zerotier-one.port` does not say otherwise.
    public static let defaultPort = 9993

    /// `zerotier-one.port`, which the service writes at start-up with the port it actually bound.
    public var portFilePath: String { join(directory, "zerotier-one.port") }

    /// `authtoken.secret`, the service's token (mode 0600, root-owned on Linux).
    public var tokenPath: String { join(directory, "authtoken.secret") }

    /// The token's two possible places, given the user's home directory.
    public func tokenLocations(userHome: String?) -> ZeroTierTokenLocations {
        guard let userHome, !userHome.isEmpty else { return ZeroTierTokenLocations(service: tokenPath, user: nil) }
        let relative = platform.userTokenRelativePath
        let directory = relative.split(separator: "/").dropLast().joined(separator: "/")
        return ZeroTierTokenLocations(
            service: tokenPath, user: join(userHome, relative), userDirectory: directory.isEmpty ? nil : join(userHome, directory))
    }

    /// The service's port: from the port file if present, else 9993.
    ///
    /// A missing or unreadable file means the default (older services write none); a file that
    /// exists but does not hold a port is an error, since guessing would talk to the wrong port.
    public func port(readFile: ZeroTierFileReader) throws(ZeroTierError) -> (port: Int, source: String) {
        switch readFile(portFilePath) {
        case .success(let text):
            let trimmed = text.trimmingWhitespace()
            guard let port = Int(trimmed), (1...65535).contains(port) else {
                throw .malformedPortFile(path: portFilePath, contents: trimmed)
            }
            return (port, "port from \(portFilePath)")
        case .failure(.notFound):
            return (Self.defaultPort, "the default port; there is no \(portFilePath)")
        case .failure:
            return (Self.defaultPort, "the default port; \(portFilePath) is unreadable")
        }
    }

    /// The auth token: the service's `authtoken.secret` if readable, else the per-user copy.
    ///
    /// When neither can be read, the error names the file to fix: the user's copy if it exists but
    /// cannot be read (it is the file meant for this user, so blaming the service's root-only file
    /// and suggesting a copy that already exists would mislead), else the service's file if it
    /// exists but cannot be read (with the make-a-copy fix), else "not found".
    public func token(userHome: String?, readFile: ZeroTierFileReader) throws(ZeroTierError) -> ZeroTierAuthToken {
        let locations = tokenLocations(userHome: userHome)
        var failures: [(path: String, failure: FileReadFailure)] = []
        for path in [locations.service] + (locations.user.map { [$0] } ?? []) {
            switch readFile(path) {
            case .success(let text):
                let token = text.trimmingWhitespace()
                guard !token.isEmpty else { throw .tokenEmpty(path: path, locations: locations) }
                return ZeroTierAuthToken(token, path: path)
            case .failure(.notFound):
                continue
            case .failure(let failure):
                failures.append((path, failure))
            }
        }
        if let blamed = failures.last {
            throw .tokenUnreadable(path: blamed.path, failure: blamed.failure, locations: locations)
        }
        throw .tokenMissing(locations)
    }

    private func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}

/// The service's auth token. Its `description` is redacted so that it cannot reach a log or a
/// terminal by accident (string interpolation, `Logger` metadata, a `dump`); only the HTTP layer
/// reads ``secret``.
public struct ZeroTierAuthToken: Equatable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The token itself: send it in `X-ZT1-Auth`, never print it.
    public let secret: String
    /// The file it came from, for error messages.
    public let path: String

    public init(_ secret: String, path: String) {
        self.secret = secret
        self.path = path
    }

    public var description: String { "<token from \(path), \(secret.count) characters>" }
    public var debugDescription: String { description }
}
