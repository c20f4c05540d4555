import Crypto
import _CryptoExtras

/// The secret every member of a room holds; everything else (room key, traffic keys) is
/// derived from it. Changing it (a new epoch) is how a removed member is shut out.
///
/// Two ways to make one: `generate()` (32 random bytes, shared as an invite string — preferred,
/// it has the full 256 bits) or `init(passphrase:roomID:)` (a memorable phrase stretched with
/// scrypt salted by the room id, so one phrase gives unrelated secrets in different rooms and a
/// precomputed dictionary is useless). The bytes never appear in `description`.
public struct RoomSecret: Sendable, Equatable, CustomStringConvertible {
    public static let byteCount = 32
    /// Invite strings start with this: a version for the format, and something a user recognises.
    public static let invitePrefix = "concord1-"
    static let checksumLength = 4

    let key: KeyMaterial

    init(key: SymmetricKey) { self.key = KeyMaterial(key) }

    /// A fresh random secret from the system CSPRNG (via swift-crypto).
    public static func generate() -> RoomSecret { RoomSecret(key: SymmetricKey(size: .bits256)) }

    public static func == (a: RoomSecret, b: RoomSecret) -> Bool { a.key == b.key }

    public var description: String { "RoomSecret(<redacted>)" }

    // MARK: Invite strings

    /// `concord1-` + base32(secret ‖ first 4 bytes of SHA-256("concord invite v1" ‖ secret)).
    /// The checksum catches typos (any change fails with probability 1 − 2⁻³²) before a user
    /// joins a room of nobody.
    public var inviteString: String {
        let bytes = key.bytes
        return Self.invitePrefix + Base32.encode(bytes + Self.checksum(bytes))
    }

    /// Parses an invite string; whitespace anywhere in it (an invite copied from a view that
    /// wrapped it over two lines) and letter case are forgiven.
    public init(inviteString: String) throws(SecurityError) {
        let trimmed = inviteString.filter { !$0.isWhitespace }
        guard trimmed.lowercased().hasPrefix(Self.invitePrefix) else {
            throw .invalidInvite("missing \(Self.invitePrefix) prefix")
        }
        let body = trimmed.dropFirst(Self.invitePrefix.count)
        guard let decoded = Base32.decode(body) else { throw .invalidInvite("not base32") }
        guard decoded.count == Self.byteCount + Self.checksumLength else {
            throw .invalidInvite("wrong length")
        }
        let secret = Array(decoded.prefix(Self.byteCount))
        guard Array(decoded.suffix(Self.checksumLength)) == Self.checksum(secret) else {
            throw .invalidInvite("checksum mismatch (typo?)")
        }
        self.key = KeyMaterial(bytes: secret)
    }

    static func checksum(_ secret: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array("concord invite v1".utf8) + secret).prefix(checksumLength))
    }

    // MARK: Passphrases

    /// scrypt cost. `interactive` (N = 2¹⁵, r = 8, p = 1: 32 MiB, ~0.1 s) is the OWASP /
    /// libsodium "interactive" level: once per join, slow enough to make each guess of an
    /// offline dictionary attack cost the same.
    public struct StretchParameters: Sendable, Equatable {
        public var rounds: Int
        public var blockSize: Int
        public var parallelism: Int
        public init(rounds: Int, blockSize: Int, parallelism: Int) {
            self.rounds = rounds
            self.blockSize = blockSize
            self.parallelism = parallelism
        }
        public static let interactive = StretchParameters(rounds: 1 << 15, blockSize: 8, parallelism: 1)
    }

    public static let minimumPassphraseLength = 8

    /// Stretches `passphrase` with scrypt, salted by "concord room v1" ‖ room id.
    public init(passphrase: String, roomID: String, parameters: StretchParameters = .interactive) throws(SecurityError) {
        let phrase = Array(passphrase.utf8)
        guard passphrase.count >= Self.minimumPassphraseLength else {
            throw .invalidPassphrase("shorter than \(Self.minimumPassphraseLength) characters")
        }
        let salt = Array("concord room v1".utf8) + [0] + Array(roomID.utf8)
        do {
            self.key = KeyMaterial(try KDF.Scrypt.deriveKey(
                from: phrase, salt: salt, outputByteCount: Self.byteCount, rounds: parameters.rounds,
                blockSize: parameters.blockSize, parallelism: parameters.parallelism))
        } catch {
            throw .invalidPassphrase("scrypt rejected the parameters")
        }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        let isSpace: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return Substring()
        }
        return self[first...last]
    }
}
