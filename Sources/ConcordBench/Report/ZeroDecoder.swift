import Foundation

/// Decodes any `Decodable` with every field zero / empty / false.
///
/// Used to learn a type's column layout (via `FlatEncoder`) when there is no value to look at,
/// e.g. the CSV header of a report with no streams, without a hand-written list of fields that
/// would silently go stale when a metric is added.
enum ZeroDecoder {
    static func zero<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: ZeroValueDecoder(codingPath: []))
    }
}

private struct ZeroValueDecoder: Decoder {
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ZeroKeyedContainer<Key>(codingPath: codingPath))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { ZeroUnkeyedContainer(codingPath: codingPath) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { ZeroSingleValueContainer(codingPath: codingPath) }
}

/// The zero of a leaf type, or nil for a type that decodes itself from a nested container.
private func zeroScalar<T>(_ type: T.Type) -> T? {
    switch type {
    case is String.Type: return "" as? T
    case is Double.Type: return 0.0 as? T
    case is Float.Type: return Float(0) as? T
    case is Bool.Type: return false as? T
    case is Int.Type: return 0 as? T
    case is Int64.Type: return Int64(0) as? T
    case is Int32.Type: return Int32(0) as? T
    case is UInt64.Type: return UInt64(0) as? T
    case is UInt32.Type: return UInt32(0) as? T
    case is UInt.Type: return UInt(0) as? T
    default: return nil
    }
}

private struct ZeroKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var codingPath: [any CodingKey]
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try zeroScalar(type) ?? T(from: ZeroValueDecoder(codingPath: codingPath + [key]))
    }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(ZeroKeyedContainer<NestedKey>(codingPath: codingPath + [key]))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        ZeroUnkeyedContainer(codingPath: codingPath + [key])
    }
    func superDecoder() throws -> any Decoder { ZeroValueDecoder(codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> any Decoder { ZeroValueDecoder(codingPath: codingPath + [key]) }
}

/// Arrays decode as empty.
private struct ZeroUnkeyedContainer: UnkeyedDecodingContainer {
    var codingPath: [any CodingKey]
    var count: Int? { 0 }
    var isAtEnd: Bool { true }
    var currentIndex: Int { 0 }
    private func endOfArray() -> DecodingError {
        DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "empty array"))
    }
    mutating func decodeNil() throws -> Bool { throw endOfArray() }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { throw endOfArray() }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw endOfArray()
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { throw endOfArray() }
    mutating func superDecoder() throws -> any Decoder { throw endOfArray() }
}

private struct ZeroSingleValueContainer: SingleValueDecodingContainer {
    var codingPath: [any CodingKey]
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try zeroScalar(type) ?? T(from: ZeroValueDecoder(codingPath: codingPath))
    }
}
