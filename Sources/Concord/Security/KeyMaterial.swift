import Crypto

/// Secret key bytes held by the security types. swift-crypto 3.x does not mark `SymmetricKey`
/// `Sendable` on Linux, although it is an immutable value (its storage is never mutated after
/// init); this one wrapper is where that is asserted, so the key-holding types can be
/// `Sendable` and cross to a driver thread. Its description never shows the bytes.
struct KeyMaterial: @unchecked Sendable, Equatable, CustomStringConvertible {
    let key: SymmetricKey

    init(_ key: SymmetricKey) { self.key = key }
    init(bytes: [UInt8]) { self.key = SymmetricKey(data: bytes) }

    /// The raw bytes, for feeding another derivation. Internal: never for display.
    var bytes: [UInt8] { key.withUnsafeBytes { Array($0) } }

    var description: String { "<redacted>" }
}
