import Crypto

/// A client's long-term signing key (Ed25519 over Curve25519), kept in its config file. It signs
/// each pairwise handshake offer (a member's signed announcement to one peer), so members know
/// *who* holds each sender id; people compare `fingerprint`s out of band to rule out a man in
/// the middle.
public struct Identity: Sendable, CustomStringConvertible {
    /// Config-file form: prefix + base32(private key ‖ 4-byte checksum).
    public static let configPrefix = "concord-identity1-"

    /// The private key's raw bytes; the swift-crypto key is rebuilt per signature (signing is
    /// rare: once per handshake), so this type can be `Sendable`.
    let privateKey: KeyMaterial

    var signingKey: Curve25519.Signing.PrivateKey {
        // The bytes came from a valid key, so this cannot fail.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: privateKey.bytes)
    }

    public static func generate() -> Identity { Identity(signingKey: Curve25519.Signing.PrivateKey()) }

    init(signingKey: Curve25519.Signing.PrivateKey) { self.privateKey = KeyMaterial(bytes: Array(signingKey.rawRepresentation)) }

    public var publicIdentity: PublicIdentity {
        PublicIdentity(validated: Array(signingKey.publicKey.rawRepresentation))
    }

    /// Shows only the public fingerprint, never the private key.
    public var description: String { "Identity(\(publicIdentity.fingerprint))" }

    /// The private key as a config-file value. Treat the string as a secret (file mode 0600).
    public var configString: String {
        let raw = Array(signingKey.rawRepresentation)
        return Self.configPrefix + Base32.encode(raw + Self.checksum(raw))
    }

    public init(configString: String) throws(SecurityError) {
        let trimmed = configString.trimmingWhitespace()
        guard trimmed.lowercased().hasPrefix(Self.configPrefix) else {
            throw .invalidIdentity("missing \(Self.configPrefix) prefix")
        }
        guard let decoded = Base32.decode(trimmed.dropFirst(Self.configPrefix.count)), decoded.count == 36 else {
            throw .invalidIdentity("not a 32-byte key with checksum")
        }
        let raw = Array(decoded.prefix(32))
        guard Array(decoded.suffix(4)) == Self.checksum(raw) else { throw .invalidIdentity("checksum mismatch") }
        guard (try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)) != nil else {
            throw .invalidIdentity("not a Curve25519 key")
        }
        self.privateKey = KeyMaterial(bytes: raw)
    }

    static func checksum(_ raw: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: Array("concord identity v1".utf8) + raw).prefix(4))
    }

    func sign(context: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        // Signing with a valid key over in-memory bytes cannot fail in practice; an empty
        // signature would simply never verify.
        (try? Array(signingKey.signature(for: context + bytes))) ?? []
    }
}

/// A member's public signing key, as announced and as pinned in `KnownKeys`.
public struct PublicIdentity: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let signatureLength = 64

    public let rawRepresentation: [UInt8]

    init(validated raw: [UInt8]) { self.rawRepresentation = raw }

    public init(rawRepresentation raw: [UInt8]) throws(SecurityError) {
        guard raw.count == Self.byteCount, (try? Curve25519.Signing.PublicKey(rawRepresentation: raw)) != nil else {
            throw .invalidIdentity("not a 32-byte Curve25519 public key")
        }
        self.rawRepresentation = raw
    }

    /// 5 groups of 4 base32 characters of SHA-256(public key): 100 bits, enough that nobody can
    /// make a key matching a given fingerprint (2¹⁰⁰ work), short enough to read aloud.
    public var fingerprint: String {
        let text = Array(Base32.encode(Array(SHA256.hash(data: rawRepresentation))).prefix(20))
        return stride(from: 0, to: 20, by: 4).map { String(text[$0..<$0 + 4]) }.joined(separator: "-")
    }

    public var description: String { "PublicIdentity(\(fingerprint))" }

    func isValidSignature(_ signature: [UInt8], context: [UInt8], for bytes: [UInt8]) -> Bool {
        guard signature.count == Self.signatureLength,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: rawRepresentation)
        else { return false }
        return key.isValidSignature(signature, for: context + bytes)
    }
}

/// Trust on first use: the first key seen for a client id is pinned; a different key later is
/// flagged (shown in the peer list) rather than silently accepted.
public struct KnownKeys: Sendable, Equatable {
    public enum Check: Sendable, Equatable {
        /// First time this client id is seen; its key is now pinned.
        case new
        case matches
        /// The client id now presents another key: a reinstall, or an impostor. Not pinned.
        case changed(previousFingerprint: String, newFingerprint: String)
    }

    public private(set) var keys: [String: PublicIdentity] = [:]

    public init() {}

    public mutating func check(clientID: String, key: PublicIdentity) -> Check {
        guard let known = keys[clientID] else {
            keys[clientID] = key
            return .new
        }
        return known == key ? .matches : .changed(previousFingerprint: known.fingerprint, newFingerprint: key.fingerprint)
    }

    /// Accepts a changed key after the user compared fingerprints.
    public mutating func trust(clientID: String, key: PublicIdentity) { keys[clientID] = key }

    /// One `client-id base32(public key)` per line, sorted: a plain config file.
    public var serialized: String {
        keys.sorted { $0.key < $1.key }.map { "\($0.key) \(Base32.encode($0.value.rawRepresentation))\n" }.joined()
    }

    public init(serialized: String) throws(SecurityError) {
        for line in serialized.split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let raw = Base32.decode(fields[1]) else {
                throw .invalidIdentity("bad known-keys line")
            }
            keys[String(fields[0])] = try PublicIdentity(rawRepresentation: raw)
        }
    }
}
