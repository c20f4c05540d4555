/// What the terminal view shows besides the room's state: the line being typed, a panel (the
/// invite or the commands) until it is dismissed, and the view's own notices (command errors).
public struct LiveScreen: Sendable, Equatable {
    public enum Panel: Sendable, Equatable {
        /// The invite others join the room with.
        case invite(String)
        /// The commands.
        case help
    }

    /// The line being typed; nil: no input line (input is not a terminal).
    public var input: String?
    public var panel: Panel?
    /// Notices and errors of the view itself, oldest first, timed like the room's messages.
    public var notices: [LiveSnapshot.Message]

    public init(input: String? = nil, panel: Panel? = nil, notices: [LiveSnapshot.Message] = []) {
        self.input = input
        self.panel = panel
        self.notices = notices
    }
}
