import Foundation

/// Reads a scenario file: JSON syntax, unknown keys and types, then `ScenarioResolver`'s
/// semantic checks. Every failure is a `ScenarioError` with the file, field and reason.
public enum ScenarioLoader {
    public static func load(path: String) throws(ScenarioError) -> ResolvedScenario {
        let scenario = try decode(path: path)
        let base = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return try ScenarioResolver.resolve(scenario, file: path, baseDirectory: base)
    }

    public static func decode(path: String) throws(ScenarioError) -> Scenario {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ScenarioError(file: path, field: "", reason: "cannot read file (\(error.localizedDescription))")
        }
        return try decode(data: data, file: path)
    }

    public static func decode(data: Data, file: String) throws(ScenarioError) -> Scenario {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            let reason = jsonReason(error)
            if let offset = byteOffset(in: reason) {
                let (line, column) = lineAndColumn(of: offset, in: data)
                throw ScenarioError(file: file, field: "", reason: "not valid JSON at line \(line), column \(column) (\(reason))")
            }
            throw ScenarioError(file: file, field: "", reason: "not valid JSON (\(reason))")
        }
        try checkKeys(object, schema: .scenario, path: "", file: file)
        do {
            return try JSONDecoder().decode(Scenario.self, from: data)
        } catch let error as DecodingError {
            throw describe(error, file: file)
        } catch {
            throw ScenarioError(file: file, field: "", reason: "\(error)")
        }
    }

    /// The byte offset Foundation's parser reports, as `NSJSONSerializationErrorIndex` or in its
    /// message ("… around character 25." — a 0-based offset into the UTF-8 data).
    static func byteOffset(in reason: String) -> Int? {
        guard let range = reason.range(of: "character ") else { return nil }
        let digits = reason[range.upperBound...].prefix(while: \.isNumber)
        return Int(digits)
    }

    /// 1-based line and column (in characters) of byte `offset` of `data`.
    static func lineAndColumn(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        let bytes = [UInt8](data.prefix(max(0, offset)))
        let line = 1 + bytes.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let lineStart = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        let column = 1 + String(decoding: bytes[lineStart...], as: UTF8.self).count
        return (line, column)
    }

    private static func jsonReason(_ error: Error) -> String {
        let ns = error as NSError
        let text = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
        if byteOffset(in: text) == nil, let index = ns.userInfo["NSJSONSerializationErrorIndex"] as? Int {
            return "\(text) around character \(index)."
        }
        return text
    }

    // MARK: - Unknown keys

    /// The objects of the schema and the keys each allows.
    private indirect enum Schema {
        case scenario, codec, jitterBuffer, network, link, gilbertElliott, perLink, event, participant, room, acoustics
        case audioProcessing

        var keys: Set<String> {
            switch self {
            case .scenario: return Set(Scenario.CodingKeys.allCases.map(\.rawValue))
            case .codec: return Set(CodecSpec.CodingKeys.allCases.map(\.rawValue))
            case .jitterBuffer: return Set(JitterBufferSpec.CodingKeys.allCases.map(\.rawValue))
            case .network: return Set(NetworkSpec.CodingKeys.allCases.map(\.rawValue))
            case .link: return Set(LinkSpec.CodingKeys.allCases.map(\.rawValue))
            case .gilbertElliott: return Set(GilbertElliottSpec.CodingKeys.allCases.map(\.rawValue))
            case .perLink: return Set(PerLinkSpec.CodingKeys.allCases.map(\.rawValue))
            case .event: return Set(NetworkEventSpec.CodingKeys.allCases.map(\.rawValue))
            case .participant: return Set(ParticipantSpec.CodingKeys.allCases.map(\.rawValue))
            case .room: return Set(RoomSpec.CodingKeys.allCases.map(\.rawValue))
            case .acoustics: return Set(AcousticsSpec.CodingKeys.allCases.map(\.rawValue))
            case .audioProcessing: return Set(AudioProcessingSpec.CodingKeys.allCases.map(\.rawValue))
            }
        }

        /// The schema of a nested object (or of each element of a nested array).
        func child(_ key: String) -> Schema? {
            switch (self, key) {
            case (.scenario, "codec"): return .codec
            case (.scenario, "jitter_buffer"): return .jitterBuffer
            case (.scenario, "network"): return .network
            case (.scenario, "participants"): return .participant
            case (.scenario, "room"): return .room
            case (.scenario, "audio_processing"): return .audioProcessing
            case (.participant, "acoustics"): return .acoustics
            case (.network, "links"): return .link
            case (.network, "per_link"): return .perLink
            case (.network, "events"): return .event
            case (.link, "gilbert_elliott"): return .gilbertElliott
            case (.perLink, "conditions"), (.event, "conditions"): return .link
            default: return nil
            }
        }
    }

    private static func checkKeys(_ value: Any, schema: Schema, path: String, file: String) throws(ScenarioError) {
        if let array = value as? [Any] {
            for (i, element) in array.enumerated() {
                try checkKeys(element, schema: schema, path: "\(path)[\(i)]", file: file)
            }
            return
        }
        guard let object = value as? [String: Any] else { return }
        for key in object.keys.sorted() {
            let field = path.isEmpty ? key : "\(path).\(key)"
            guard schema.keys.contains(key) else {
                throw ScenarioError(
                    file: file, field: field,
                    reason: "unknown key; allowed here: \(schema.keys.sorted().joined(separator: ", "))")
            }
            if let child = schema.child(key) { try checkKeys(object[key]!, schema: child, path: field, file: file) }
        }
    }

    // MARK: - Decoding errors

    private static func describe(_ error: DecodingError, file: String) -> ScenarioError {
        func path(_ codingPath: [CodingKey]) -> String {
            var out = ""
            for key in codingPath {
                if let index = key.intValue {
                    out += "[\(index)]"
                } else {
                    out += out.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return out
        }
        switch error {
        case let .typeMismatch(type, context):
            return ScenarioError(file: file, field: path(context.codingPath), reason: "expected \(typeName(type))")
        case let .valueNotFound(type, context):
            return ScenarioError(file: file, field: path(context.codingPath), reason: "expected \(typeName(type)), found null")
        case let .keyNotFound(key, context):
            return ScenarioError(file: file, field: path(context.codingPath + [key]), reason: "required field is missing")
        case let .dataCorrupted(context):
            return ScenarioError(file: file, field: path(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return ScenarioError(file: file, field: "", reason: "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        case is Int.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is [[Double]].Type: return "a list of [from, to] pairs"
        default: return "\(type)"
        }
    }
}
