import Concord
import FuzzDriver

/// Any bytes into the room control/text message parser (`RoomMessage.parse`) and its header
/// parser (what a sealed room message's clear part goes through).
@main enum RoomMessageFuzz: FuzzTarget {
    static func fuzz(_ bytes: [UInt8]) {
        _ = try? RoomMessage.Header.parse(bytes)
        _ = try? RoomMessage.parse(bytes)
    }
}
