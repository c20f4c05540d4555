import Foundation

/// What the page asks for, as JSON text over its WebSocket: the terminal view's commands, and
/// the invite on request. Parsed here with nothing of the client linked in, so that the parser
/// of what a page (or anything that got hold of the socket) sends is small, total and fuzzed.
///
/// `{"command": "say", "text": "hi"}`, `{"command": "mute"}`, `{"command": "unmute"}`,
/// `{"command": "volume", "member": "bob", "percent": 50}`, `{"command": "invite"}`,
/// `{"command": "leave"}`; and, from `concord ui`'s page before a room is joined,
/// `{"command": "joinNetwork", "network": "8056c2e21c000001"}`, `{"command": "leaveNetwork", …}`,
/// `{"command": "joinRoom", "room": "standup", "name": "ana", "network": "…" or "bind": "127.0.0.5",
/// "peers": ["127.0.0.6:7400"], "invite": "concord1-…" or "passphrase": "…", "input": "…", "output": "…"}`.
public enum PageCommand: Sendable, Equatable {
    case say(String)
    case mute, unmute
    /// How loud `member` plays for this client, 0 to `maximumVolumePercent`.
    case volume(member: String, percent: Double)
    /// The room's invite, sent back to the page that asked and to no other.
    case invite
    case leave
    case joinNetwork(String)
    case leaveNetwork(String)
    case joinRoom(RoomRequest)

    /// What the page's room form asks for. Shapes and sizes are checked here; whether an address
    /// or an invite means anything is the client's to say.
    public struct RoomRequest: Sendable, Equatable, Decodable {
        public var room: String
        public var name: String?
        /// A ZeroTier network id, or…
        public var network: String?
        /// …an address of this machine to bind.
        public var bind: String?
        public var peers: [String]?
        /// Neither: a new room secret is made.
        public var invite: String?
        public var passphrase: String?
        /// Sound devices by name or index; absent: the defaults.
        public var input: String?
        public var output: String?

        public init(
            room: String, name: String? = nil, network: String? = nil, bind: String? = nil, peers: [String]? = nil,
            invite: String? = nil, passphrase: String? = nil, input: String? = nil, output: String? = nil
        ) {
            self.room = room
            self.name = name
            self.network = network
            self.bind = bind
            self.peers = peers
            self.invite = invite
            self.passphrase = passphrase
            self.input = input
            self.output = output
        }

        /// Room ids and names: as a room message carries them (`RoomMessage.maxIdentifierBytes`).
        public static let maximumIdentifierBytes = 32
        public static let maximumPeers = 16

        /// Why the request cannot be a room to join, if it cannot.
        func problem() -> String? {
            let max = Self.maximumIdentifierBytes
            if room.isEmpty || room.utf8.count > max { return "the room id must be 1 to \(max) bytes" }
            if let name, name.isEmpty || name.utf8.count > max { return "your name must be 1 to \(max) bytes" }
            switch (network, bind) {
            case (nil, nil), (.some, .some): return "choose a ZeroTier network or an address to bind, one of them"
            case (let network?, nil) where !PageCommand.isNetworkID(network):
                return "a ZeroTier network id is 16 hexadecimal digits"
            default: break
            }
            if invite != nil && passphrase != nil { return "give an invite or a passphrase, not both" }
            if (peers?.count ?? 0) > Self.maximumPeers { return "at most \(Self.maximumPeers) peer addresses" }
            for text in [bind, invite, passphrase, input, output].compactMap({ $0 }) + (peers ?? []) where text.utf8.count > 1024 {
                return "a field longer than 1024 bytes"
            }
            return nil
        }
    }

    /// 16 hexadecimal digits, as ZeroTier writes network ids.
    public static func isNetworkID(_ text: String) -> Bool {
        text.utf8.count == 16 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0 | 0x20) }
    }

    /// Longer messages are refused whole (a room message's own limit is lower still).
    public static let maximumBytes = 4096
    /// The terminal view's `/volume` limit (`LiveCommand.maximumVolumePercent`; a test holds them equal).
    public static let maximumVolumePercent = 400.0

    private struct Wire: Decodable {
        var command: String
        var text: String?
        var member: String?
        var percent: Double?
        var network: String?
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
        case "joinNetwork", "leaveNetwork":
            guard let network = wire.network, isNetworkID(network) else {
                return .failure(.init("\(wire.command): a network id of 16 hexadecimal digits is needed"))
            }
            return .success(wire.command == "joinNetwork" ? .joinNetwork(network.lowercased()) : .leaveNetwork(network.lowercased()))
        case "joinRoom":
            guard let request = try? JSONDecoder().decode(RoomRequest.self, from: Data(text.utf8)) else {
                return .failure(.init("joinRoom: a room id (and text fields only) are needed"))
            }
            if let problem = request.problem() { return .failure(.init("joinRoom: \(problem)")) }
            return .success(.joinRoom(request))
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
