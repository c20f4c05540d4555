import ConcordLive
import Foundation

/// What the page asks for, as JSON text over its WebSocket: the terminal view's commands and
/// nothing else, so both views drive the client the same way.
///
/// `{"command": "say", "text": "hi"}`, `{"command": "mute"}`, `{"command": "unmute"}`,
/// `{"command": "volume", "member": "bob", "percent": 50}`, `{"command": "leave"}`.
enum WebCommand {
    /// Longer messages are refused whole (a room message's own limit is lower still).
    static let maximumBytes = 4096

    private struct Wire: Decodable {
        var command: String
        var text: String?
        var member: String?
        var percent: Double?
    }

    /// The command, or why the text is not one (the page shows it).
    static func parse(_ text: String) -> Result<LiveCommand, WebCommandError> {
        guard text.utf8.count <= maximumBytes else { return .failure(.init("a command longer than \(maximumBytes) bytes")) }
        guard let wire = try? JSONDecoder().decode(Wire.self, from: Data(text.utf8)) else {
            return .failure(.init("not a command: expected JSON with a \"command\" field"))
        }
        switch wire.command {
        case "say":
            guard let text = wire.text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                return .failure(.init("say: no text"))
            }
            return .success(.say(text))
        case "mute": return .success(.mute)
        case "unmute": return .success(.unmute)
        case "leave": return .success(.leave)
        case "volume":
            guard let member = wire.member, !member.isEmpty, let percent = wire.percent, percent.isFinite,
                percent >= 0, percent <= Double(LiveCommand.maximumVolumePercent)
            else {
                return .failure(.init("volume: a member and a percent from 0 to \(Int(LiveCommand.maximumVolumePercent)) are needed"))
            }
            return .success(.volume(member: member, gain: Float(percent / 100)))
        default:
            return .failure(.init("unknown command \"\(wire.command.prefix(40))\""))
        }
    }
}

struct WebCommandError: Error, Equatable, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
