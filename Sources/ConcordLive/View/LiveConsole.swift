/// The terminal view's own state and its handling of what the user types: the input line, the
/// panel (invite or commands) and the view's notices. Lines that are room commands come out as
/// ``LiveCommand``s for the room; `/invite`, `/help`, `/ok` and Esc act on the panel; a line that
/// is not a command becomes an error notice in the view, saying why.
///
/// Pure: it is fed bytes (or whole lines, when input is not a terminal) and the time since the
/// client started, and the terminal plumbing (`LiveTerminalView`) does the rest.
public struct LiveConsole: Sendable, Equatable {
    /// The view's own notices kept; older ones are dropped.
    public static let maximumNotices = 50

    /// The room's invite, for the panel.
    public let invite: String
    /// Whether there is an input line (input is a terminal) or lines arrive whole.
    public let hasInputLine: Bool
    public private(set) var editor = LineEditor()
    public private(set) var panel: LiveScreen.Panel?
    public private(set) var notices: [LiveSnapshot.Message] = []

    /// `showInvite`: open with the invite shown (the user made a new room, so others need it).
    public init(invite: String, showInvite: Bool, hasInputLine: Bool) {
        self.invite = invite
        self.hasInputLine = hasInputLine
        panel = showInvite ? .invite(invite) : nil
    }

    public var screen: LiveScreen {
        LiveScreen(input: hasInputLine ? editor.text : nil, panel: panel, notices: notices)
    }

    /// True while a lone Esc is waiting to be told from an escape sequence.
    public var awaitingEscapeSequence: Bool { editor.awaitingEscapeSequence }

    /// Bytes typed, at `seconds` since the client started; returns the commands for the room.
    public mutating func type(_ bytes: some Sequence<UInt8>, at seconds: Double) -> [LiveCommand] {
        handle(editor.feed(bytes), at: seconds)
    }

    /// No byte followed an Esc: it was the Esc key.
    public mutating func escapeTimedOut(at seconds: Double) -> [LiveCommand] {
        handle(editor.escapeTimedOut(), at: seconds)
    }

    /// A whole line (input that is not a terminal).
    public mutating func enter(_ line: String, at seconds: Double) -> [LiveCommand] {
        handle([.submitted(line)], at: seconds)
    }

    private mutating func handle(_ events: [LineEditor.Event], at seconds: Double) -> [LiveCommand] {
        var commands: [LiveCommand] = []
        for event in events {
            switch event {
            case .escape:
                panel = nil
            case .submitted(let line):
                do {
                    guard let command = try LiveCommand.parse(line) else { continue }
                    switch command {
                    case .showInvite: panel = .invite(invite)
                    case .help: panel = .help
                    case .dismiss: panel = nil
                    case .mute, .unmute, .volume, .say, .leave: commands.append(command)
                    }
                } catch {
                    note("\(error)", at: seconds)
                }
            }
        }
        return commands
    }

    private mutating func note(_ error: String, at seconds: Double) {
        notices.append(LiveSnapshot.Message(secondsSinceStart: seconds, from: "", text: error, kind: .error))
        if notices.count > Self.maximumNotices { notices.removeFirst(notices.count - Self.maximumNotices) }
    }

    /// A line the process wrote to its standard error while the view covered it (a log line):
    /// shown as an error notice.
    public mutating func noteStandardError(_ line: String, at seconds: Double) {
        note(line, at: seconds)
    }
}
