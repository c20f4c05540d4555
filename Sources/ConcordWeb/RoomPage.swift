import ConcordLive
import ConcordWebProtocol

/// The page of one joined room (`concord join --web`): the terminal view's snapshot and commands.
struct RoomPage: PageModel {
    let snapshot: @Sendable () -> LiveSnapshot
    let submit: @Sendable (LiveCommand) -> Void
    let invite: String?

    func pageState() async -> String { WebSnapshot(snapshot()).pageJSON }

    func handle(_ command: PageCommand) async -> PageReply? {
        switch LiveCommand(command) {
        case .showInvite?:
            return invite.map(PageReply.invite) ?? .refused("this client has no invite to show")
        case let live?:
            submit(live)
            return nil
        case nil:
            return .refused("this page belongs to the room `concord join` joined; `concord ui` manages networks and rooms")
        }
    }
}

extension LiveCommand {
    /// A page's room command as the terminal view would have typed it; nil for the lobby's
    /// commands, which no room takes.
    init?(_ command: PageCommand) {
        switch command {
        case .say(let text): self = .say(text)
        case .mute: self = .mute
        case .unmute: self = .unmute
        case .volume(let member, let percent): self = .volume(member: member, gain: Float(percent / 100))
        case .leave: self = .leave
        case .invite: self = .showInvite
        case .joinNetwork, .leaveNetwork, .joinRoom: return nil
        }
    }
}
