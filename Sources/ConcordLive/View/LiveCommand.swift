/// A line typed into `concord join`: a slash command, or text to send to the room.
public enum LiveCommand: Sendable, Equatable {
    case mute, unmute
    /// "/volume bob 50" → gain 0.5; "/volume bob 150%" → 1.5. 0...400 %.
    case volume(member: String, gain: Float)
    /// Any line not starting with "/"; "//text" sends "/text".
    case say(String)
    /// "/leave", "/quit", "/exit".
    case leave
    /// "/help": the terminal view shows the commands (a headless client prints them).
    case help
    /// "/invite": show the room's invite again (the terminal view's panel; headless: printed).
    case showInvite
    /// "/ok" (or Esc in the terminal view): hide the invite or help panel.
    case dismiss

    /// The highest volume `/volume` accepts, in percent.
    public static let maximumVolumePercent: Float = 400

    /// The commands, one a line (`help` itself is the `/help` case, hence the name).
    public static let helpText = """
        /mute                  stop sending your voice
        /unmute                send your voice again
        /volume NAME PERCENT   set how loud NAME plays for you, 0–400 % (0 silences them)
        /invite                show the invite others join this room with
        /ok                    hide this panel or the invite (also Esc)
        /leave                 leave the room and quit (also /quit, /exit)
        /help                  show this help
        anything else          is sent to the room as a message; start it with // to send a line beginning with /
        """

    /// nil for an empty (or all-whitespace) line; throws for an unknown command or bad arguments.
    public static func parse(_ line: String) throws(LiveCommandError) -> LiveCommand? {
        let text = trimmed(Substring(line))
        guard !text.isEmpty else { return nil }
        guard text.hasPrefix("/") else { return .say(String(text)) }
        if text.hasPrefix("//") { return .say(String(text.dropFirst())) }

        let afterSlash = text.dropFirst()
        let nameEnd = afterSlash.firstIndex(where: \.isWhitespace) ?? afterSlash.endIndex
        let name = afterSlash[..<nameEnd].lowercased()
        let arguments = trimmed(afterSlash[nameEnd...])

        switch name {
        case "mute":
            try noArguments("/mute", arguments)
            return .mute
        case "unmute":
            try noArguments("/unmute", arguments)
            return .unmute
        case "leave", "quit", "exit":
            try noArguments("/\(name)", arguments)
            return .leave
        case "help", "?":
            return .help
        case "invite":
            try noArguments("/invite", arguments)
            return .showInvite
        case "ok", "close":
            try noArguments("/\(name)", arguments)
            return .dismiss
        case "volume", "vol":
            return try volume(arguments)
        case "":
            throw .unknownCommand("/")
        default:
            throw .unknownCommand("/" + afterSlash[..<nameEnd])
        }
    }

    private static func volume(_ arguments: Substring) throws(LiveCommandError) -> LiveCommand {
        // The percentage is the last word; the member name is everything before it (names may
        // contain spaces).
        guard let split = arguments.lastIndex(where: \.isWhitespace) else {
            throw .badArguments(
                command: "/volume",
                reason: arguments.isEmpty ? "missing NAME and PERCENT" : "missing NAME or PERCENT")
        }
        let member = trimmed(arguments[..<split])
        var figure = arguments[arguments.index(after: split)...]
        if figure.hasSuffix("%") { figure = figure.dropLast() }
        guard let percent = Float(figure), percent.isFinite else {
            throw .badArguments(command: "/volume", reason: "“\(arguments[arguments.index(after: split)...])” is not a percentage")
        }
        guard (0...maximumVolumePercent).contains(percent) else {
            throw .badArguments(command: "/volume", reason: "\(figure) % is out of range 0–400 %")
        }
        return .volume(member: String(member), gain: percent / 100)
    }

    private static func noArguments(_ command: String, _ arguments: Substring) throws(LiveCommandError) {
        guard arguments.isEmpty else { throw .badArguments(command: command, reason: "takes no arguments") }
    }

    private static func trimmed(_ text: Substring) -> Substring {
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { return Substring() }
        return text[first...last]
    }
}

/// Why a typed line is not a command; the description says what is allowed.
public enum LiveCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownCommand(String)
    case badArguments(command: String, reason: String)

    static let usage =
        "/mute, /unmute, /volume NAME PERCENT, /invite, /ok, /leave, /help (start with // to send a message beginning with /)"

    public var description: String {
        switch self {
        case let .unknownCommand(command):
            return "unknown command \(command); commands are \(Self.usage)"
        case let .badArguments(command, reason):
            let usage = command == "/volume" ? "usage: /volume NAME PERCENT, PERCENT 0–400 (e.g. /volume bob 50)" : "usage: \(command)"
            return "\(command): \(reason); \(usage)"
        }
    }
}
