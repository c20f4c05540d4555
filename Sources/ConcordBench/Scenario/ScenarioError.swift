/// A scenario that cannot run: names the file, the field (a JSON path such as
/// `participants[1].wav`) and the reason, so the user can fix it without reading code.
public struct ScenarioError: Error, Equatable, CustomStringConvertible {
    public var file: String
    public var field: String
    public var reason: String

    public init(file: String, field: String, reason: String) {
        self.file = file
        self.field = field
        self.reason = reason
    }

    public var description: String {
        field.isEmpty ? "\(file): \(reason)" : "\(file): \(field): \(reason)"
    }
}
