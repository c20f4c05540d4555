import Foundation

/// What the page asks for, as JSON text over its WebSocket: the terminal view's commands, and
/// the invite on request. Parsed here with nothing of the client linked in, so that the parser
/// of what a page (or anything that got hold of the socket) sends is small, total and fuzzed.
///
/// `{"command": "say", "text": "hi"}`, `{"command": "mute"}`, `{"command": "unmute"}`,
/// `{"command": "volume", "member": "bob", "percent": 50}`, `{"command": "invite"}`,
/// `{"command": "leave"}`.
public enum PageCommand: Sendable, Equatable {
    case say(String)
    case mute, unmute
    /// How loud `member` plays for this client, 0 to `maximumVolumePercent`.
    case volume(member: String, percent: Double)
    /// The room's invite, sent back to the page that asked and to no other.
    case invite
    case leave

    /// Longer messages are refused whole (a room message's own limit is lower still).
    public static let maximumBytes = 4096
    /// The terminal view's `/volume` limit (`LiveCommand.maximumVolumePercent`; a test holds them equal).
    public static let maximumVolumePercent = 400.0

    private struct Wire: Decodable {
        var command: String
        var text: String?
        var member: String?
        var percent: Double?
    }

    /// The command, or why the text is not one (the page shows it).
    public static func parse(_ text: String) -> Result<PageCommand, PageCommandError> {
        guard text.utf8.count <= maximumBytes else { return .failure(.init("a command longer than \(maximumBytes) bytes")) }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else {
            return .failure(.init("not a command: expected JSON with a \"command\" field"))
        }
        switch wire.command {
        case "say":
            // Scalar by scalar: a combining mark after a space is something to send (fuzzing found
            // that `Character.isWhitespace` calls " \u{6D7}" blank while trimming keeps it).
            guard let text = wire.text, text.unicodeScalars.contains(where: { !$0.properties.isWhitespace }) else {
                return .failure(.init("say: no text"))
            }
            return .success(.say(text))
        case "mute": return .success(.mute)
        case "unmute": return .success(.unmute)
        case "invite": return .success(.invite)
        case "leave": return .success(.leave)
        case "volume":
            guard let member = wire.member, !member.isEmpty, let percent = wire.percent, percent.isFinite,
                percent >= 0, percent <= maximumVolumePercent
            else {
                return .failure(.init("volume: a member and a percent from 0 to \(Int(maximumVolumePercent)) are needed"))
            }
            return .success(.volume(member: member, percent: percent))
        default:
            return .failure(.init("unknown command \"\(wire.command.prefix(40))\""))
        }
    }
}

/// Why a page's text is not a command; its description goes back to that page.
public struct PageCommandError: Error, Equatable, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
