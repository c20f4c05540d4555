import Foundation

/// Flattens an `Encodable` value into ordered `(name, scalar)` columns, joining nested keys
/// with `_` (`latency_ms` → `mean` becomes `latency_ms_mean`).
///
/// The CSV writers use this instead of a hand-written column list so that CSV headers can never
/// drift from the JSON names: both come from the same `CodingKeys`. Synthesized `Encodable`
/// conformances encode properties in declaration order, so the columns keep the order in which
/// the report types declare their fields (`from`, `to`, then the metrics).
enum FlatEncoder {
    /// One flattened leaf value.
    enum Scalar: Equatable {
        case string(String)
        case double(Double)
        case integer(String)
        case bool(Bool)
        case null
    }

    static func flatten<T: Encodable>(_ value: T) throws -> [(name: String, value: Scalar)] {
        let storage = FlatStorage()
        try value.encode(to: FlatValueEncoder(storage: storage, codingPath: []))
        return storage.fields
    }
}

/// Collects the leaves in encoding order; shared by all containers of one `flatten` call.
private final class FlatStorage {
    var fields: [(name: String, value: FlatEncoder.Scalar)] = []

    func append(_ path: [any CodingKey], _ value: FlatEncoder.Scalar) {
        let name = path.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: "_")
        fields.append((name, value))
    }

    /// Stores `value` at `path`: scalars directly, anything else by recursing into its `encode(to:)`.
    func encode<T: Encodable>(_ value: T, at path: [any CodingKey]) throws {
        switch value {
        case let v as String: append(path, .string(v))
        case let v as Double: append(path, .double(v))
        case let v as Float: append(path, .double(Double(v)))
        case let v as Bool: append(path, .bool(v))
        case let v as Int: append(path, .integer(String(v)))
        case let v as Int64: append(path, .integer(String(v)))
        case let v as Int32: append(path, .integer(String(v)))
        case let v as UInt64: append(path, .integer(String(v)))
        case let v as UInt32: append(path, .integer(String(v)))
        case let v as UInt: append(path, .integer(String(v)))
        default: try value.encode(to: FlatValueEncoder(storage: self, codingPath: path))
        }
    }
}

private struct FlatIndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ index: Int) {
        stringValue = String(index)
        intValue = index
    }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.init(intValue) }
}

private struct FlatValueEncoder: Encoder {
    let storage: FlatStorage
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(FlatKeyedContainer<Key>(storage: storage, codingPath: codingPath))
    }
    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        FlatUnkeyedContainer(storage: storage, codingPath: codingPath)
    }
    func singleValueContainer() -> any SingleValueEncodingContainer {
        FlatSingleValueContainer(storage: storage, codingPath: codingPath)
    }
}

private struct FlatKeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let storage: FlatStorage
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { storage.append(codingPath + [key], .null) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try storage.encode(value, at: codingPath + [key])
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        KeyedEncodingContainer(FlatKeyedContainer<NestedKey>(storage: storage, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        FlatUnkeyedContainer(storage: storage, codingPath: codingPath + [key])
    }
    mutating func superEncoder() -> any Encoder { FlatValueEncoder(storage: storage, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        FlatValueEncoder(storage: storage, codingPath: codingPath + [key])
    }
}

private struct FlatUnkeyedContainer: UnkeyedEncodingContainer {
    let storage: FlatStorage
    var codingPath: [any CodingKey]
    var count = 0

    init(storage: FlatStorage, codingPath: [any CodingKey]) {
        self.storage = storage
        self.codingPath = codingPath
    }

    private mutating func nextPath() -> [any CodingKey] {
        defer { count += 1 }
        return codingPath + [FlatIndexKey(count)]
    }
    mutating func encodeNil() throws { storage.append(nextPath(), .null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try storage.encode(value, at: nextPath()) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        KeyedEncodingContainer(FlatKeyedContainer<NestedKey>(storage: storage, codingPath: nextPath()))
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        FlatUnkeyedContainer(storage: storage, codingPath: nextPath())
    }
    mutating func superEncoder() -> any Encoder { FlatValueEncoder(storage: storage, codingPath: nextPath()) }
}

private struct FlatSingleValueContainer: SingleValueEncodingContainer {
    let storage: FlatStorage
    var codingPath: [any CodingKey]

    mutating func encodeNil() throws { storage.append(codingPath, .null) }
    mutating func encode<T: Encodable>(_ value: T) throws { try storage.encode(value, at: codingPath) }
}
