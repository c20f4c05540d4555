/// A config file (or command-line secret source) that could not be used. `file` names it when
/// there is one; `reason` says what is wrong and, where there is one, the fix. Neither ever
/// contains key or secret material, so the error can be printed as is.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var reason: String

    public init(file: String?, reason: String) {
        self.file = file
        self.reason = reason
    }

    public var description: String { file.map { "\($0): \(reason)" } ?? reason }
}
